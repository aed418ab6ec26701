package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
)

// backupActor takes the scheduled backups.
var backupActor = offboard.System("backup")

// backups takes checked hot backups of the store while serve runs: on a
// schedule (store.backup.every) and on demand (the admin API). A copy
// counts only once it passed store.CheckBackup; one that failed is
// deleted. Both outcomes go into the audit chain.
type backups struct {
	db  *store.DB
	cfg config.Backup
	// anchoring is audit: a copy must agree with its signed checkpoints.
	anchoring config.Audit
	audit     offboard.AuditLog
	log       *slog.Logger
	clock     offboard.Clock
	// mu lets one backup run at a time: two would race on names and on
	// pruning, and copying the file twice at once helps nobody.
	mu sync.Mutex
}

// newBackups returns nil when store.backup.dir is not set.
func newBackups(cfg config.Backup, anchoring config.Audit, db *store.DB, audit offboard.AuditLog, log *slog.Logger, clock offboard.Clock) *backups {
	if cfg.Dir == "" {
		return nil
	}
	return &backups{db: db, cfg: cfg, anchoring: anchoring, audit: audit, log: log.With("component", "backup"), clock: clock}
}

// take makes one backup for by, checks it, audits the outcome and
// prunes the backups beyond store.backup.keep. A backup that fails is
// not kept and is an error.
func (b *backups) take(ctx context.Context, by offboard.Actor) (offboard.BackupReport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A backup once started finishes even if the caller goes away.
	ctx = context.WithoutCancel(ctx)
	began := time.Now()
	path, size, err := b.db.WriteBackup(ctx, b.cfg.Dir, b.clock.Now())
	if err != nil {
		return offboard.BackupReport{}, b.failed(ctx, by, "", size, fmt.Errorf("copying the store: %w", err))
	}
	check, err := store.CheckBackup(ctx, path)
	var anchored backupAnchoring
	if err == nil {
		anchored, err = checkBackupAnchoring(ctx, path, b.anchoring)
	}
	if err != nil {
		if rerr := os.Remove(path); rerr != nil {
			b.log.Error("a backup that failed its check could not be deleted; delete it by hand, it must not be restored", "file", path, "err", rerr)
		}
		return offboard.BackupReport{}, b.failed(ctx, by, filepath.Base(path), size, fmt.Errorf("the copy failed its check and was deleted: %w", err))
	}
	rep := offboard.BackupReport{
		Name: filepath.Base(path), SizeBytes: check.SizeBytes, AuditEvents: check.AuditEvents, ChainHead: check.ChainHead,
		Cases: check.Cases, Jobs: check.Jobs, Checks: append(slices.Clone(store.BackupChecks), anchored.Check()), TookMS: time.Since(began).Milliseconds(),
	}
	ev := offboard.AuditEvent{Time: b.clock.Now(), Actor: by, Action: "backup.made", Target: rep.Name, Outcome: offboard.OutcomeOK,
		Detail: fmt.Sprintf("checked backup %s: %d bytes, %d cases, %d jobs, audit chain of %d events with head %s",
			rep.Name, rep.SizeBytes, rep.Cases, rep.Jobs, rep.AuditEvents, rep.ChainHead),
		Evidence: map[string]string{"file": rep.Name, "size_bytes": strconv.FormatInt(rep.SizeBytes, 10),
			"chain_head": rep.ChainHead, "audit_events": strconv.FormatUint(rep.AuditEvents, 10),
			"cases": strconv.Itoa(rep.Cases), "jobs": strconv.Itoa(rep.Jobs), "checkpoints": anchored.Check()}}
	if err := b.audit.Append(ctx, ev); err != nil {
		// The copy is good; only its record is missing. Say so loudly.
		b.log.Error("backup made but not audited", "file", rep.Name, "err", err)
	}
	b.log.Info("backup made", "file", rep.Name, "size_bytes", rep.SizeBytes, "cases", rep.Cases,
		"audit_events", rep.AuditEvents, "chain_head", rep.ChainHead, "took", time.Since(began).Round(time.Millisecond), "by", by.String())
	removed, err := store.PruneBackups(b.cfg.Dir, b.cfg.Keep)
	if err != nil {
		b.log.Warn("old backups could not all be deleted", "dir", b.cfg.Dir, "err", err)
	}
	for _, name := range removed {
		b.log.Info("old backup deleted", "file", name, "keep", b.cfg.Keep)
	}
	return rep, nil
}

// failed logs and audits a backup that does not count, and returns the
// error for the caller.
func (b *backups) failed(ctx context.Context, by offboard.Actor, name string, size int64, err error) error {
	b.log.Error("BACKUP FAILED: no backup was kept this time", "dir", b.cfg.Dir, "file", name, "err", err, "by", by.String())
	ev := offboard.AuditEvent{Time: b.clock.Now(), Actor: by, Action: "backup.failed", Target: name, Outcome: offboard.OutcomeFailed,
		Detail: offboard.UpstreamText([]byte(err.Error())), Evidence: map[string]string{"size_bytes": strconv.FormatInt(size, 10)}}
	if aerr := b.audit.Append(ctx, ev); aerr != nil {
		b.log.Error("a failed backup could not be audited", "err", aerr)
	}
	return offboard.Errorf(offboard.EINTERNAL, "the backup failed and was not kept: %v", err)
}

// run takes a backup every store.backup.every until ctx is done. The
// first one is due every after the newest backup already in the
// directory (now, if that is overdue), so a restart does not stretch
// the recovery point.
func (b *backups) run(ctx context.Context) {
	every := b.cfg.Every.D()
	var wait time.Duration // no backup yet: take one now
	if names, err := store.ListBackups(b.cfg.Dir); err == nil && len(names) > 0 {
		if info, err := os.Stat(filepath.Join(b.cfg.Dir, names[0])); err == nil {
			wait = max(time.Until(info.ModTime().Add(every)), 0)
		}
	}
	b.log.Info("scheduled backups on", "dir", b.cfg.Dir, "every", every.String(), "keep", b.cfg.Keep, "first_in", wait.Round(time.Second).String())
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = b.take(ctx, backupActor) // failures are logged and audited
		t.Reset(every)
	}
}

// backupDoctor says whether backups are being made: the newest one's
// age against store.backup.every. It reads names and file times only;
// each backup was checked when it was made.
func backupDoctor(b config.Backup, now time.Time) offboard.CheckResult {
	const name = "Backups"
	if b.Dir == "" {
		return offboard.CheckResult{Name: name, Status: offboard.CheckSkip,
			Detail: "not configured (store.backup.dir is empty: no backups are taken; the store file is the only copy)"}
	}
	names, err := store.ListBackups(b.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && len(names) == 0:
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn, Detail: "no backup in " + b.Dir + " yet",
			Fix: "set store.backup.every (serve then takes one at start), or POST /api/v1/admin/backup with an admin token"}
	case err != nil:
		return offboard.CheckFailed(name, err.Error(), "let offboard's user read and write "+b.Dir)
	}
	info, err := os.Stat(filepath.Join(b.Dir, names[0]))
	if err != nil {
		return offboard.CheckFailed(name, err.Error(), "let offboard's user read and write "+b.Dir)
	}
	age := now.Sub(info.ModTime()).Round(time.Minute)
	every := b.Every.D()
	if every > 0 && age > 2*every {
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn,
			Detail: fmt.Sprintf("the newest backup, %s, is %s old although store.backup.every is %s: scheduled backups are not being made", names[0], age, b.Every),
			Fix:    "check that serve runs, and its log for BACKUP FAILED (the audit trail has backup.failed with the reason)"}
	}
	return offboard.CheckOf(name, fmt.Sprintf("newest %s, %s old; %d kept in %s (keep %d)", names[0], age, len(names), b.Dir, b.Keep))
}
