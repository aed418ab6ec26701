package storetest

import (
	bolt "go.etcd.io/bbolt"
)

// DropWakeIndex makes the closed store file at path look as one written
// before the wake index: its two buckets and the recorded wake policy are
// removed, the rest is left alone.
func DropWakeIndex(path string) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		for _, name := range []string{"idx_wake", "wake_by_case"} {
			if tx.Bucket([]byte(name)) == nil {
				continue
			}
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("wake_policy"))
	})
}
