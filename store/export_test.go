package store

import bolt "go.etcd.io/bbolt"

// Bolt exposes the underlying bbolt handle to tests that tamper with the
// file while the store holds its lock.
func (db *DB) Bolt() *bolt.DB { return db.bolt }
