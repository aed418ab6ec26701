package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AuditHead returns the sequence number of the last chained event and the
// head hash recorded with it (0 and "" for an empty chain). Checkpoints
// sign these two.
func (db *DB) AuditHead(ctx context.Context) (seq uint64, head string, err error) {
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	err = db.view(func(btx *bolt.Tx) error {
		seq = btx.Bucket(bucketAudit).Sequence()
		head = string(btx.Bucket(bucketMeta).Get(metaAuditHeadKey))
		return nil
	})
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, head, nil
}

// AuditHashes returns the stored hash of each event in seqs, read in one
// transaction; a sequence number with no event is absent from the map.
// Only the hash is decoded, so checking thousands of checkpoints stays
// fast; VerifyAudit is what proves those hashes belong to their events.
func (db *DB) AuditHashes(ctx context.Context, seqs []uint64) (map[uint64]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[uint64]string, len(seqs))
	err := withFaultsAsPanics(db.path, func() error {
		return db.view(func(btx *bolt.Tx) error {
			audit := btx.Bucket(bucketAudit)
			for i, seq := range seqs {
				if i%ctxCheckEvery == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				raw := audit.Get(u64(seq))
				if raw == nil {
					continue
				}
				var e struct {
					Hash string `json:"hash"`
				}
				if err := json.Unmarshal(raw, &e); err != nil {
					return fmt.Errorf("audit event %d: %w", seq, err)
				}
				out[seq] = e.Hash
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit hashes: %w", err)
	}
	return out, nil
}
