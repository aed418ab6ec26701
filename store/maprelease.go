package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The store file's pages that reads touch stay in the process's resident
// memory (RSS) until the kernel needs the memory back, though they are
// the kernel's page cache, not offboard's: bbolt reads through a memory
// map, and each page fault maps the 16 pages around the one needed
// (Linux's fault-around, which bbolt's MADV_RANDOM does not turn off). A
// status lookup in a million-case file needs ~6 pages and maps ~350 KB,
// so a few hundred lookups would hold 100 MB of RSS that is only cache.
// Past Options.MapResidentBudget of such growth, the store releases the
// map's pages from the process (releaseMap): they stay in the page
// cache, so the next read of one is a minor fault, not a disk read.

// DefaultMapResidentBudget is how much the process's file-backed
// resident memory may grow before the map's pages are released, when
// Options.MapResidentBudget is zero.
const DefaultMapResidentBudget = 32 << 20

// mapCheckEvery is how many transactions go by between two looks at the
// resident memory: a look reads a small /proc file, a few microseconds;
// a lookup maps ~350 KB, so 16 of them add ~6 MB past the budget at most.
const mapCheckEvery = 16

// afterTx releases the map's pages when file-backed resident memory grew
// past the budget since the last release (or since Open).
func (db *DB) afterTx() {
	budget := db.mapBudget.Load()
	if budget <= 0 || db.txSinceCheck.Add(1)%mapCheckEvery != 0 {
		return
	}
	resident, ok := fileResident()
	if !ok || resident-db.mapBaseline.Load() < budget {
		return
	}
	if !db.releasing.CompareAndSwap(false, true) {
		return
	}
	// Off the caller's path: releasing takes about a microsecond a
	// resident page (~10 ms for the budget), which a status lookup must
	// not wait for. Reads go on meanwhile; a writer that must grow the
	// file waits for it.
	db.releaseWG.Add(1)
	go func() {
		defer db.releaseWG.Done()
		defer db.releasing.Store(false)
		// Inside a read transaction bbolt cannot remap the file, so the
		// range released is the map and nothing else.
		err := db.view(func(btx *bolt.Tx) error { return releaseMap(db.bolt.Info().Data, btx.Size()) })
		switch {
		case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
			return // closed meanwhile
		case err != nil:
			db.logger.Warn("store: releasing the file's mapped pages failed; resident memory grows with reads", "err", err)
			db.mapBudget.Store(0)
			return
		}
		db.mapReleases.Add(1)
		if after, ok := fileResident(); ok {
			db.mapBaseline.Store(after)
		}
	}()
}

// MapReleases counts the times the store released its map's pages from
// resident memory since Open.
func (db *DB) MapReleases() uint64 { return db.mapReleases.Load() }
