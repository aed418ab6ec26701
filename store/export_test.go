package store

import bolt "go.etcd.io/bbolt"

// Bolt exposes the underlying bbolt handle to tests that tamper with the
// file while the store holds its lock.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

// SetTimeBuildBatch makes BuildTimeIndexes' batches small, so a test
// sees several without writing tens of thousands of cases.
func SetTimeBuildBatch(n int) (restore func()) {
	old := timeBuildBatch
	timeBuildBatch = n
	return func() { timeBuildBatch = old }
}

// WaitMapRelease waits for a release of the map's pages under way, so a
// test measures resident memory after it rather than racing it.
func (db *DB) WaitMapRelease() { db.releaseWG.Wait() }
