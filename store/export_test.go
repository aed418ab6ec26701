package store

import bolt "go.etcd.io/bbolt"

// Bolt exposes the underlying bbolt handle to tests that tamper with the
// file while the store holds its lock.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

// SetRevokedBuildBatch makes BuildRevokedIndex's batches small, so a
// test sees several without writing tens of thousands of cases.
func SetRevokedBuildBatch(n int) (restore func()) {
	old := revokedBuildBatch
	revokedBuildBatch = n
	return func() { revokedBuildBatch = old }
}
