package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/offboard-dev/offboard"
)

// DoctorLockTimeout is how long the doctor waits for the file lock: a
// running serve holds it for good, so waiting longer gains nothing.
const DoctorLockTimeout = 300 * time.Millisecond

// Low free space on the store's volume: under either is a warning.
const (
	LowDiskBytes   = 1 << 30
	LowDiskPercent = 10
)

// restoreFix is the short form of the restore advice in the README.
const restoreFix = "stop offboard, run offboard restore --from COPY with the newest backup (it checks the copy and keeps the damaged file) and start offboard (README → Backups and restore)"

// Doctor checks the store read-only: the file's pages and contents,
// the audit chain, the indexes, and the free space of its volume. When
// another process (serve) holds the lock it says so and checks only the
// disk: serve checks the file when it opens it.
func Doctor(ctx context.Context, path string) []offboard.CheckResult {
	const name = "Store"
	out := []offboard.CheckResult{DiskCheck(path)}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return append(out, offboard.CheckResult{Name: name, Status: offboard.CheckWarn,
			Detail: path + " does not exist yet; serve creates it on first start"})
	}
	db, err := Open(path, Options{LockTimeout: DoctorLockTimeout, ReadOnly: true, Check: true, CheckContents: true})
	if le, ok := errors.AsType[*LockedError](err); ok {
		return append(out, offboard.CheckResult{Name: name, Status: offboard.CheckSkip,
			Detail: le.Path + " is in use by serve; checked by serve at start (offboard audit verify --store COPY checks a backup)"})
	}
	if ce, ok := errors.AsType[*CorruptError](err); ok {
		return append(out, offboard.CheckFailed(name, ce.Error(), restoreFix))
	}
	if err != nil {
		return append(out, offboard.CheckFailed(name, "open: "+err.Error(), "check store.path and the file's permissions"))
	}
	defer db.Close()
	res, err := db.VerifyAudit(ctx)
	switch {
	case err != nil:
		out = append(out, offboard.CheckFailed("Store: audit chain", err.Error(), restoreFix))
	case !res.OK:
		out = append(out, offboard.CheckFailed("Store: audit chain",
			fmt.Sprintf("broken at event %d: %s", res.BadSeq, res.Problem), restoreFix))
	default:
		out = append(out, offboard.CheckOf("Store: audit chain", fmt.Sprintf("%d events, intact", res.Events)))
	}
	problems, err := db.VerifyIndexes(ctx)
	switch {
	case err != nil:
		out = append(out, offboard.CheckFailed("Store: indexes", err.Error(), restoreFix))
	case len(problems) > 0:
		out = append(out, offboard.CheckFailed("Store: indexes",
			fmt.Sprintf("%d problems, first: %s", len(problems), problems[0].String()), "run offboard audit verify for the list; "+restoreFix))
	default:
		out = append(out, offboard.CheckOf("Store: indexes", "every index agrees with the audit chain and the records"))
	}
	return out
}

// DiskCheck warns when the store's volume runs low: bbolt grows the
// file in steps and a full disk stops every write, audit included.
func DiskCheck(path string) offboard.CheckResult {
	const name = "Store: free disk space"
	free, total, err := diskSpace(filepath.Dir(path))
	if err != nil {
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn, Detail: "could not read the volume's free space: " + err.Error()}
	}
	detail := fmt.Sprintf("%s free of %s on the volume of %s", bytesText(free), bytesText(total), path)
	if free < LowDiskBytes || (total > 0 && free*100/total < LowDiskPercent) {
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn, Detail: detail,
			Fix: fmt.Sprintf("free space or move store.path to a larger volume (warned under %s or %d%%)", bytesText(LowDiskBytes), LowDiskPercent)}
	}
	return offboard.CheckOf(name, detail)
}

func bytesText(n uint64) string {
	const gib, mib = 1 << 30, 1 << 20
	if n >= gib {
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/mib)
}
