package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RestoreResult says what Restore put in place and where the store it
// replaced was kept.
type RestoreResult struct {
	// Restored is what CheckBackup read from the backup.
	Restored BackupCheck
	// KeptAs is the path of the replaced store, "" when there was none.
	KeptAs string
}

// Restore replaces the store file at path with a copy of the backup at
// from. The backup is checked first (CheckBackup) and a bad one changes
// nothing. The store must not be in use: Restore takes its lock as a
// writer would and fails with a *LockedError after lockTimeout while
// serve holds it. The replaced file is kept, copied to
// path.before-restore-YYYYMMDDTHHMMSSZ, before the backup is copied to a
// temporary file beside path and renamed over it, so path always holds
// either the old store or the whole backup.
func Restore(ctx context.Context, from, path string, lockTimeout time.Duration, now time.Time) (RestoreResult, error) {
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	if same, err := sameFile(from, path); err != nil {
		return RestoreResult{}, err
	} else if same {
		return RestoreResult{}, fmt.Errorf("restore: %s is the store itself; name a backup copy", from)
	}
	check, err := CheckBackup(ctx, from)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore: the backup failed its check, nothing was changed: %w", err)
	}
	res := RestoreResult{Restored: check}
	cur, err := os.OpenFile(path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cur = nil // nothing to keep
	case err != nil:
		return res, fmt.Errorf("restore: open %s: %w", path, err)
	default:
		defer cur.Close()
		ok, err := lockExclusive(cur, lockTimeout)
		if err != nil {
			return res, fmt.Errorf("restore: lock %s: %w", path, err)
		}
		if !ok {
			return res, &LockedError{Path: path, Waited: lockTimeout}
		}
		defer unlockFile(cur)
		keptAs := path + ".before-restore-" + now.UTC().Format(backupTimeLayout)
		kept, err := os.OpenFile(keptAs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return res, fmt.Errorf("restore: keep the current store: %w", err)
		}
		if err := copySynced(cur, kept); err != nil {
			_ = os.Remove(keptAs) // a partial copy must not pass for the old store
			return res, fmt.Errorf("restore: keep the current store: %w", err)
		}
		res.KeptAs = keptAs
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	src, err := os.Open(from)
	if err != nil {
		return res, fmt.Errorf("restore: open %s: %w", from, err)
	}
	defer src.Close()
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".restore-*.tmp")
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // gone after the rename
	if err := copySynced(src, tmp); err != nil {
		return res, fmt.Errorf("restore: copy %s: %w", from, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return res, fmt.Errorf("restore: put the backup in place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return res, err
	}
	return res, nil
}

// copySynced copies src from its start into dst, fsyncs and closes dst.
func copySynced(src, dst *os.File) error {
	if _, err := io.Copy(dst, io.NewSectionReader(src, 0, 1<<62)); err != nil {
		_ = dst.Close()
		return fmt.Errorf("copy to %s: %w", dst.Name(), err)
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return fmt.Errorf("sync %s: %w", dst.Name(), err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst.Name(), err)
	}
	return nil
}

// sameFile reports whether a and b are one file; a missing b is not.
func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("restore: backup %s: %w", a, err)
	}
	ib, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("restore: store %s: %w", b, err)
	}
	return os.SameFile(ia, ib), nil
}
