package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Transactions hold db.swap shared, so Compact can replace the bbolt
// handle under them. None of these may be called from inside another on
// the same goroutine (as bbolt already forbids for Update): a pending
// Compact makes the second wait for the first.
func (db *DB) view(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.View(fn)
}

func (db *DB) update(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.Update(fn)
}

func (db *DB) batch(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.Batch(fn)
}

// CompactReport says what Compact did.
type CompactReport struct {
	SizeBefore, SizeAfter int64
	Took                  time.Duration
}

// compactTxSize bounds how much Compact copies per write transaction.
const compactTxSize = 16 << 20

// Compact rewrites the store into a new file holding only live data and
// puts it in the old one's place, so bytes that were deleted or
// overwritten (erased personal data) leave the file: bbolt keeps them in
// free pages until those are reused. It runs while offboard serves:
// it waits for the transactions in progress, holds new ones back while it
// copies (about a second per 10,000 cases), then swaps the handle. The new
// file is locked before it is renamed into place, so the path is locked
// throughout; a process that was waiting for the old file's lock meanwhile
// finds it unlinked and must open the path again. A failure before the
// rename leaves the store as it was.
func (db *DB) Compact(ctx context.Context) (CompactReport, error) {
	if err := ctx.Err(); err != nil {
		return CompactReport{}, err
	}
	start := time.Now()
	db.swap.Lock()
	defer db.swap.Unlock()
	if db.bolt.IsReadOnly() {
		return CompactReport{}, fmt.Errorf("store: compact %s: opened read-only", db.path)
	}
	var rep CompactReport
	if info, err := os.Stat(db.path); err == nil {
		rep.SizeBefore = info.Size()
	}
	tmpPath := db.path + ".compact"
	if err := os.Remove(tmpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{Timeout: time.Second, PreLoadFreelist: true, NoSync: true})
	if err != nil {
		return rep, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	fail := func(err error) (CompactReport, error) {
		_ = dst.Close()
		_ = os.Remove(tmpPath)
		return rep, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	if err := withFaultsAsPanics(db.path, func() error { return bolt.Compact(dst, db.bolt, compactTxSize) }); err != nil {
		return fail(err)
	}
	dst.NoSync = false
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpPath, db.path); err != nil {
		return fail(err)
	}
	// From here the new file is the store: the old handle goes whatever
	// happens next.
	old := db.bolt
	dst.MaxBatchDelay = old.MaxBatchDelay
	db.bolt = dst
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		db.logger.Warn("store compacted but its directory was not synced", "path", db.path, "err", err)
	}
	if err := old.Close(); err != nil {
		db.logger.Warn("store compacted but the old file did not close", "path", db.path, "err", err)
	}
	if info, err := os.Stat(db.path); err == nil {
		rep.SizeAfter = info.Size()
	}
	rep.Took = time.Since(start)
	db.logger.Info("store compacted", "path", db.path, "size_before", rep.SizeBefore, "size_after", rep.SizeAfter, "took", rep.Took.Round(time.Millisecond))
	return rep, nil
}
