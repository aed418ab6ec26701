package storetest

import bolt "go.etcd.io/bbolt"

// DropTimeIndexes makes the closed store file at path look as one
// written before the indexes of cases by time: their buckets and the
// meta keys that say they are complete are removed, the rest is left
// alone.
func DropTimeIndexes(path string) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		for _, name := range []string{"revoked", "closed"} {
			if tx.Bucket([]byte("idx_"+name)) != nil {
				if err := tx.DeleteBucket([]byte("idx_" + name)); err != nil {
					return err
				}
			}
			if err := tx.Bucket([]byte("meta")).Delete([]byte(name + "_index")); err != nil {
				return err
			}
		}
		return nil
	})
}
