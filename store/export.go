package store

import (
	"context"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// ExportSequence is the ExportRecord.Kind of a bucket's sequence counter:
// Key is the bucket's name, Value the number in decimal.
const ExportSequence = "sequence"

// ExportRecord is one key of the store as Export walks it: Kind is the
// bucket's name (see the package documentation), Key and Value are the
// stored bytes. They belong to the read transaction: copy them to keep
// them past the callback.
type ExportRecord struct {
	Kind  string
	Key   []byte
	Value []byte
}

// Export walks every bucket of the store in one read transaction, so the
// records are one consistent snapshot, and calls fn for each key, then
// once per bucket whose sequence counter is set (Kind ExportSequence).
// It writes nothing: `offboard migrate` copies a store to etcd with it.
// A nested bucket, which this layout never has, is an error rather than
// something skipped.
func (db *DB) Export(ctx context.Context, fn func(ExportRecord) error) error {
	return db.view(func(btx *bolt.Tx) error {
		var seqs []ExportRecord
		err := btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			kind := string(name)
			n := 0
			err := b.ForEach(func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("store: export: bucket %s holds a nested bucket %q this offboard does not know", kind, k)
				}
				if n++; n%1024 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				return fn(ExportRecord{Kind: kind, Key: k, Value: v})
			})
			if err != nil {
				return err
			}
			if seq := b.Sequence(); seq != 0 {
				seqs = append(seqs, ExportRecord{Kind: ExportSequence, Key: []byte(kind), Value: []byte(strconv.FormatUint(seq, 10))})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range seqs {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}
