package storetest

import bolt "go.etcd.io/bbolt"

// DropRevokedIndex makes the closed store file at path look as one
// written before the revocation index: its bucket and the meta key that
// says it is complete are removed, the rest is left alone.
func DropRevokedIndex(path string) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("idx_revoked")) != nil {
			if err := tx.DeleteBucket([]byte("idx_revoked")); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("revoked_index"))
	})
}
