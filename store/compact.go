package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	// Counted after the commit and before RUnlock: Compact, which takes
	// the lock before it compares the count, sees every write that may
	// have committed after its copy began.
	defer db.commits.Add(1)
	return db.bolt.Update(fn)
}

func (db *DB) batch(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	defer db.commits.Add(1)
	return db.bolt.Batch(fn)
}

// CompactReport says what Compact did.
type CompactReport struct {
	SizeBefore, SizeAfter int64
	Took                  time.Duration
	// Held is how long other transactions were held back.
	Held time.Duration
	// Copies counts the copies made: one more for each that a write
	// overtook.
	Copies int
}

// compactTxSize bounds how much Compact copies per write transaction.
const compactTxSize = 16 << 20

// compactTries is how many copies Compact makes while writes go on
// before it makes one with writers held back.
const compactTries = 3

// Compact rewrites the store into a new file holding only live data and
// puts it in the old one's place, so bytes that were deleted or
// overwritten (erased personal data) leave the file: bbolt keeps them in
// free pages until those are reused. It runs while offboard serves: it
// copies from a read transaction, so readers and writers go on, then
// holds new transactions back only to swap the handle, if nothing was
// committed meanwhile. A copy a write overtook is thrown away and made
// again; after compactTries such copies, the last one is made with
// writers held back (about 2 s per 10,000 cases on two busy cores).
//
// The new file is locked before it is renamed into place, so the path is
// locked throughout; a process that was waiting for the old file's lock
// meanwhile finds it unlinked and must open the path again. A failure
// before the rename leaves the store as it was.
func (db *DB) Compact(ctx context.Context) (CompactReport, error) {
	db.compacting.Lock()
	defer db.compacting.Unlock()
	start := time.Now()
	var rep CompactReport
	if info, err := os.Stat(db.path); err == nil {
		rep.SizeBefore = info.Size()
	}
	for try := 0; try <= compactTries; try++ {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		exclusive := try == compactTries
		if exclusive {
			db.swap.Lock()
		} else {
			db.swap.RLock()
		}
		held := time.Now()
		commits := db.commits.Load()
		dst, err := db.compactCopy()
		rep.Copies++
		if exclusive {
			defer db.swap.Unlock()
		} else {
			db.swap.RUnlock()
			if err == nil {
				db.swap.Lock()
				held = time.Now()
			}
		}
		if err != nil {
			return rep, err
		}
		if db.commits.Load() != commits {
			// A write committed after the copy began: it is not in dst.
			db.swap.Unlock()
			db.discardCopy(dst)
			continue
		}
		err = db.swapIn(dst)
		rep.Held = time.Since(held)
		if !exclusive {
			db.swap.Unlock()
		}
		if err != nil {
			return rep, err
		}
		break
	}
	if info, err := os.Stat(db.path); err == nil {
		rep.SizeAfter = info.Size()
	}
	rep.Took = time.Since(start)
	db.logger.Info("store compacted", "path", db.path, "size_before", rep.SizeBefore, "size_after", rep.SizeAfter,
		"took", rep.Took.Round(time.Millisecond), "held", rep.Held.Round(time.Millisecond), "copies", rep.Copies)
	return rep, nil
}

func (db *DB) compactPath() string { return db.path + ".compact" }

// compactCopy copies the live data into a new file beside the store; the
// caller holds db.swap (shared or exclusive).
func (db *DB) compactCopy() (*bolt.DB, error) {
	if db.bolt.IsReadOnly() {
		return nil, fmt.Errorf("store: compact %s: opened read-only", db.path)
	}
	tmpPath := db.compactPath()
	if err := os.Remove(tmpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{Timeout: time.Second, PreLoadFreelist: true, NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	if err := withFaultsAsPanics(db.path, func() error { return copyLive(dst, db.bolt) }); err != nil {
		db.discardCopy(dst)
		return nil, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	dst.NoSync = false
	if err := dst.Sync(); err != nil {
		db.discardCopy(dst)
		return nil, fmt.Errorf("store: compact %s: %w", db.path, err)
	}
	return dst, nil
}

func (db *DB) discardCopy(dst *bolt.DB) {
	_ = dst.Close()
	_ = os.Remove(db.compactPath())
}

// swapIn renames the copy over the store and makes it the handle; the
// caller holds db.swap exclusively.
func (db *DB) swapIn(dst *bolt.DB) error {
	if err := os.Rename(db.compactPath(), db.path); err != nil {
		db.discardCopy(dst)
		return fmt.Errorf("store: compact %s: %w", db.path, err)
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
	return nil
}

// copyLive copies every bucket, key, value and bucket sequence of src
// into dst from one read transaction of src, committing dst every
// compactTxSize bytes. bbolt's own Compact is not used: it commits its
// last batch after its read transaction of src has ended, with keys and
// values still pointing into src's memory map, which a concurrent writer
// growing the file unmaps (a crash seen under test). Here every key and
// value is cloned, and src's transaction stays open throughout.
func copyLive(dst, src *bolt.DB) error {
	return src.View(func(stx *bolt.Tx) error {
		dtx, err := dst.Begin(true)
		if err != nil {
			return err
		}
		defer func() { _ = dtx.Rollback() }()
		size := 0
		var copyBucket func(from *bolt.Bucket, path [][]byte) error
		copyBucket = func(from *bolt.Bucket, path [][]byte) error {
			return from.ForEach(func(k, v []byte) error {
				if size > compactTxSize {
					if err := dtx.Commit(); err != nil {
						return err
					}
					if dtx, err = dst.Begin(true); err != nil {
						return err
					}
					size = 0
				}
				to := dtx.Bucket(path[0])
				for _, name := range path[1:] {
					to = to.Bucket(name)
				}
				to.FillPercent = 1.0
				if len(path) == 1 && bytes.Equal(path[0], bucketMeta) && bytes.Equal(k, metaErasedUncompacted) {
					return nil // the copy holds no erased bytes
				}
				if v != nil {
					size += len(k) + len(v)
					return to.Put(bytes.Clone(k), bytes.Clone(v))
				}
				sub := from.Bucket(k)
				nb, err := to.CreateBucket(bytes.Clone(k))
				if err != nil {
					return err
				}
				if err := nb.SetSequence(sub.Sequence()); err != nil {
					return err
				}
				return copyBucket(sub, append(slices.Clone(path), bytes.Clone(k)))
			})
		}
		if err := stx.ForEach(func(name []byte, b *bolt.Bucket) error {
			nb, err := dtx.CreateBucket(bytes.Clone(name))
			if err != nil {
				return err
			}
			if err := nb.SetSequence(b.Sequence()); err != nil {
				return err
			}
			return copyBucket(b, [][]byte{bytes.Clone(name)})
		}); err != nil {
			return err
		}
		return dtx.Commit()
	})
}
