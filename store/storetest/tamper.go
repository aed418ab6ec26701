package storetest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TamperAudit rewrites the stored bytes of audit event seq in the closed
// store file at path, behind the store's back, as an attacker with write
// access to the file would: tests of audit verification need a chain that
// is broken on disk. Tests outside store use this rather than bbolt, so
// bbolt stays inside store.
func TamperAudit(path string, seq uint64, rewrite func(v []byte) ([]byte, error)) error {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open store file: %w", err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		if b == nil {
			return errors.New("no audit bucket")
		}
		key := binary.BigEndian.AppendUint64(nil, seq)
		v := b.Get(key)
		if v == nil {
			return fmt.Errorf("no audit event %d", seq)
		}
		nv, err := rewrite(append([]byte(nil), v...))
		if err != nil {
			return err
		}
		return b.Put(key, nv)
	})
	if cerr := bdb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store file: %w", cerr)
	}
	return err
}
