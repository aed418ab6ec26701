package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup files are named offboard-YYYYMMDDTHHMMSSZ.db after the time
// they were taken (UTC); a second one in the same second gets -2, -3, ….
const (
	backupPrefix     = "offboard-"
	backupSuffix     = ".db"
	backupTimeLayout = "20060102T150405Z"
	backupTempPrefix = ".offboard-backup-"
	backupTempSuffix = ".tmp"
)

// BackupChecks name, for people, what CheckBackup checks.
var BackupChecks = []string{
	"the file opens read-only as an offboard store",
	"bbolt consistency (every page reachable once, keys in order)",
	"the audit chain verifies end to end",
	"every index agrees with the chain and the records",
	"cases and jobs read",
}

// BackupCheck is what CheckBackup read from a good copy.
type BackupCheck struct {
	AuditEvents uint64
	ChainHead   string
	Cases       int
	Jobs        int
	SizeBytes   int64
}

// WriteBackup writes a consistent hot copy of the store into dir (made
// if missing, mode 0700: the copy holds personal data) and returns its
// path and size. The copy is written inside one read transaction, which
// blocks no writer, to a temporary file that is fsynced and then renamed
// to its final name, so dir never holds a partial backup under a backup
// name. Callers must not run two WriteBackups into one dir at once.
func (db *DB) WriteBackup(ctx context.Context, dir string, now time.Time) (string, int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("store: backup dir %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, backupTempPrefix+"*"+backupTempSuffix)
	if err != nil {
		return "", 0, fmt.Errorf("store: backup into %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := db.Backup(ctx, tmp)
	if err != nil {
		return "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("store: backup sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("store: backup close %s: %w", tmp.Name(), err)
	}
	final, err := freeBackupName(dir, now)
	if err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("store: backup rename to %s: %w", final, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return final, n, err
	}
	return final, n, nil
}

// freeBackupName returns the path of the first backup name for now that
// is not taken in dir.
func freeBackupName(dir string, now time.Time) (string, error) {
	base := backupPrefix + now.UTC().Format(backupTimeLayout)
	for i := 1; i < 1000; i++ {
		name := base + backupSuffix
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + backupSuffix
		}
		p := filepath.Join(dir, name)
		_, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", fmt.Errorf("store: backup name %s: %w", p, err)
		}
	}
	return "", fmt.Errorf("store: backup: too many backups named %s* in %s", base, dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("store: sync dir %s: %w", dir, err)
	}
	return nil
}

// CheckBackup checks a copy of the store before it counts as a backup
// or is restored: it opens the file read-only, reads every page and runs
// bbolt's consistency check, verifies the audit chain from the first
// event to the last and every index against it (as audit verify does),
// and counts cases and jobs. Any failure is an error saying what is
// wrong; the file is never changed.
func CheckBackup(ctx context.Context, path string) (BackupCheck, error) {
	info, err := os.Stat(path)
	if err != nil {
		return BackupCheck{}, fmt.Errorf("store: backup %s: %w", path, err)
	}
	db, err := Open(path, Options{ReadOnly: true, Check: true, CheckContents: true, LockTimeout: time.Second})
	if err != nil {
		return BackupCheck{}, err
	}
	defer db.Close()
	res, err := db.VerifyAudit(ctx)
	if err != nil {
		return BackupCheck{}, err
	}
	if !res.OK {
		return BackupCheck{}, fmt.Errorf("backup %s: audit chain broken at event %d: %s", path, res.BadSeq, res.Problem)
	}
	problems, err := db.VerifyIndexes(ctx)
	if err != nil {
		return BackupCheck{}, err
	}
	if len(problems) > 0 {
		return BackupCheck{}, fmt.Errorf("backup %s: %d index problems, the first: %s", path, len(problems), problems[0])
	}
	c := BackupCheck{AuditEvents: res.Events, ChainHead: res.HeadHash, SizeBytes: info.Size()}
	err = withFaultsAsPanics(path, func() error {
		return db.view(func(btx *bolt.Tx) error {
			c.Cases = countKeys(btx.Bucket(bucketCases))
			c.Jobs = countKeys(btx.Bucket(bucketJobs)) + countKeys(btx.Bucket(bucketDead))
			return nil
		})
	})
	if err != nil {
		return BackupCheck{}, fmt.Errorf("store: backup %s: count records: %w", path, err)
	}
	return c, nil
}

// backupFile is a backup in a backup dir, ordered by when it was taken.
type backupFile struct {
	name  string
	taken time.Time
	n     int
}

// parseBackupName reads the time and sequence number of a backup name.
func parseBackupName(name string) (backupFile, bool) {
	rest, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return backupFile{}, false
	}
	rest, ok = strings.CutSuffix(rest, backupSuffix)
	if !ok {
		return backupFile{}, false
	}
	stamp, seq, hasSeq := strings.Cut(rest, "-")
	t, err := time.Parse(backupTimeLayout, stamp)
	if err != nil {
		return backupFile{}, false
	}
	n := 1
	if hasSeq {
		if n, err = strconv.Atoi(seq); err != nil || n < 2 {
			return backupFile{}, false
		}
	}
	return backupFile{name: name, taken: t, n: n}, true
}

// ListBackups returns the names of the backups in dir, newest first.
// Other files are not backups and are left out.
func ListBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: list backups in %s: %w", dir, err)
	}
	var files []backupFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if f, ok := parseBackupName(e.Name()); ok {
			files = append(files, f)
		}
	}
	slices.SortFunc(files, func(a, b backupFile) int {
		return cmp.Or(b.taken.Compare(a.taken), cmp.Compare(b.n, a.n))
	})
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	return names, nil
}

// PruneBackups keeps the newest keep backups in dir and deletes the
// older ones, and any temporary file a backup cut off by a crash left
// behind. Only files named as backups are touched; keep below 1 counts
// as 1. It returns the names deleted. Callers must not run it while a
// WriteBackup into dir is in progress.
func PruneBackups(dir string, keep int) ([]string, error) {
	names, err := ListBackups(dir)
	if err != nil {
		return nil, err
	}
	keep = max(keep, 1)
	var removed []string
	var errs []error
	drop := func(name string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			return
		}
		removed = append(removed, name)
	}
	if len(names) > keep {
		for _, name := range names[keep:] {
			drop(name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return removed, fmt.Errorf("store: prune backups in %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), backupTempPrefix) && strings.HasSuffix(e.Name(), backupTempSuffix) {
			drop(e.Name())
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("store: prune backups in %s: %w", dir, errors.Join(errs...))
	}
	return removed, nil
}
