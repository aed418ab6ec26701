package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
)

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("restore", "Replace the store (store.path) with a backup copy, after checking the copy as serve checks its backups:\n"+
		"bbolt consistency, the audit chain end to end, every index. Refused while offboard serve holds the store: stop it first.\n"+
		"The replaced store is kept beside it as <store.path>.before-restore-<time>. The restore is recorded in the audit chain.", stderr)
	from := fs.String("from", "", "the backup file to restore (required), e.g. backups/offboard-20261206T180000Z.db")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *from == "" {
		return fmt.Errorf("%w: restore needs --from FILE, the backup to restore", errUsage)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if cfg.EtcdBackend() {
		return errEtcdFileDuty("offboard restore")
	}
	// A copy of a truncated or re-chained store must not come back as
	// the record: check it against the signed checkpoints first.
	anchored, err := checkBackupAnchoring(ctx, *from, cfg.Audit)
	if err != nil {
		return fmt.Errorf("restore refused, nothing was changed: %w", err)
	}
	res, err := store.Restore(ctx, *from, cfg.Store.Path, cfg.Store.LockTimeout.D(), time.Now())
	if _, locked := errors.AsType[*store.LockedError](err); locked {
		return fmt.Errorf("restore refused, nothing was changed: %w", err)
	}
	if err != nil {
		return err
	}
	r := res.Restored
	fmt.Fprintf(stdout, "restored %s into %s\n", *from, cfg.Store.Path)
	fmt.Fprintf(stdout, "  audit chain OK: %d events, head %s\n", r.AuditEvents, r.ChainHead)
	fmt.Fprintf(stdout, "  cases: %d, jobs: %d, %d bytes\n", r.Cases, r.Jobs, r.SizeBytes)
	fmt.Fprintf(stdout, "  %s\n", anchored.Check())
	if res.KeptAs != "" {
		fmt.Fprintf(stdout, "  the store it replaced is kept at %s\n", res.KeptAs)
	}
	seq, err := recordRestore(ctx, cfg.Store.Path, cfg.Store.LockTimeout.D(), *from, res)
	if err != nil {
		// The files are in place; only the record of the restore failed.
		return fmt.Errorf("restored, but the restore could not be recorded in the audit chain: %w", err)
	}
	fmt.Fprintf(stdout, "  recorded as audit event %d (store.restored)\n", seq)
	fmt.Fprintln(stdout, "Whatever happened after the backup was taken is not in it: check recent cases against chat and the HR system, then start offboard.")
	if err := reportErasuresDue(ctx, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "offboard: restored, but the cases due for erasure could not be listed: %v\n", err)
	}
	if anchored.Beyond > 0 {
		// serve refuses to sign a head behind the file's last checkpoint,
		// and audit verify --checkpoints would report the cut for ever.
		fmt.Fprintf(stdout, "The checkpoint file %s signs events up to %d; the backup ended at event %d, so events %d to %d are gone with the restore.\n"+
			"Before starting offboard, move that file aside (keep it with the incident notes: it proves what was lost) so a new one starts;\n"+
			"an auditor verifies the old file against %s, the store as it was before the restore.\n",
			cfg.Audit.CheckpointFile, anchored.BeyondSeq, anchored.ChainLen, anchored.ChainLen+1, anchored.BeyondSeq, displayKept(res.KeptAs))
	}
	return nil
}

// reportErasuresDue says which restored cases hold personal data past
// retention: a backup taken before an erasure brings the leaver's name and
// email back, and the case.erased events after it are gone with the
// restore. serve erases them again at its first check; the admin should
// know that the data is back until then.
func reportErasuresDue(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	retention := cfg.Retention.PersonalData.D()
	if retention <= 0 {
		return nil
	}
	db, err := openStoreReadOnly(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	due, _, err := dueErasures(ctx, db, retention, time.Now())
	if err != nil || len(due) == 0 {
		return err
	}
	fmt.Fprintf(stdout, "Past retention.personal_data (%s) and holding the leaver's personal data again (erased after this backup was taken, or due since): %s, first %s.\n"+
		"serve erases them a minute after it starts; `offboard erase --due --reason R` does it now.\n",
		cfg.Retention.PersonalData.String(), offboard.Count(len(due), "case", "cases"), due[0])
	return nil
}

// recordRestore appends store.restored to the restored chain, so the
// audit trail itself says from which backup it continues, and returns
// the event's sequence number.
func recordRestore(ctx context.Context, path string, lockTimeout time.Duration, from string, res store.RestoreResult) (uint64, error) {
	db, err := store.Open(path, store.Options{LockTimeout: lockTimeout, Check: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	r := res.Restored
	ev := offboard.AuditEvent{Time: time.Now(), Actor: offboard.System("restore"), Action: "store.restored", Target: filepath.Base(from),
		Outcome: offboard.OutcomeOK,
		Detail: fmt.Sprintf("store restored from backup %s: %d cases, audit chain of %d events with head %s; what happened after the backup was taken is not in this store",
			filepath.Base(from), r.Cases, r.AuditEvents, r.ChainHead),
		Evidence: map[string]string{"backup": filepath.Base(from), "chain_head": r.ChainHead,
			"audit_events": strconv.FormatUint(r.AuditEvents, 10), "cases": strconv.Itoa(r.Cases), "kept_as": filepath.Base(res.KeptAs)}}
	if err := db.AuditLog(nil).Append(ctx, ev); err != nil {
		return 0, err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		return 0, err
	}
	return st.AuditEvents, nil
}

// displayKept names the replaced store for a message.
func displayKept(keptAs string) string {
	if keptAs == "" {
		return "no copy (there was no store to replace)"
	}
	return keptAs
}
