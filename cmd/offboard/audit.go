package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("audit export", "Write audit events as JSON lines (one event per line, with its hash) or CSV.\n"+
		"The store is locked while offboard serve runs: export from a backup copy (--store), or stop the service.", stderr)
	format := fs.String("format", "json", "json (JSON lines) or csv")
	caseID := fs.String("case", "", "only events of this case (OFF-0042)")
	since := fs.String("since", "", "only events at or after this time (RFC 3339 or YYYY-MM-DD)")
	until := fs.String("until", "", "only events before this time (RFC 3339 or YYYY-MM-DD)")
	out := fs.String("out", "", "write to this file instead of standard output")
	storePath := fs.String("store", "", "read this store file instead of store.path (a backup copy, while serve runs)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var f offboard.AuditFilter
	var err error
	if *format != "json" && *format != "csv" {
		return fmt.Errorf("%w: --format %q: use json or csv", errUsage, *format)
	}
	if *caseID != "" {
		id, ok := offboard.ParseCaseID(*caseID)
		if !ok {
			return fmt.Errorf("%w: --case %q is not a case id like OFF-0042", errUsage, *caseID)
		}
		f.CaseID = id
	}
	if f.Since, err = parseWhen("--since", *since); err != nil {
		return err
	}
	if f.Until, err = parseWhen("--until", *until); err != nil {
		return err
	}
	db, closeStore, err := openConfiguredBackend(ctx, *cfgPath, *storePath)
	if err != nil {
		return err
	}
	defer closeStore()

	w := stdout
	if *out != "" {
		file, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	n, err := exportAudit(ctx, db.AuditEvents, f, *format, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d audit events\n", n)
	return nil
}

type auditSource func(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error

// exportAudit writes events in sequence order and returns how many.
func exportAudit(ctx context.Context, events auditSource, f offboard.AuditFilter, format string, w io.Writer) (int, error) {
	return offboard.WriteAudit(w, format, func(fn func(*offboard.AuditEvent) error) error { return events(ctx, f, fn) })
}

func parseWhen(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: use RFC 3339 (2026-11-25T09:00:00Z) or a date (2026-11-25)", errUsage, flagName, s)
}

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("audit verify", "Check the store file, recompute the SHA-256 chain over every audit event and check every index against it.\n"+
		"With --checkpoints, also check every signed checkpoint and that the chain still holds each signed head.\n"+
		"Exit 0: all intact. Exit 1: the file is corrupt, the chain is broken (the first bad event is named) or an index disagrees (index and case named).\n"+
		"Opens the file read-only and never changes it.", stderr)
	storePath := fs.String("store", "", "verify this store file instead of store.path (a backup copy, while serve runs)")
	checkpoints := fs.String("checkpoints", "", "also check the chain against this signed checkpoint file (audit.checkpoint_file): detects a chain cut short or re-chained")
	publicKey := fs.String("public-key", "", "the checkpoints' public key: a PEM file, or the base64 key that audit keygen printed (default: derived from audit.signing_key_file)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var anchorKey *checkpointKey
	if *checkpoints != "" {
		k, err := loadCheckpointKey(*cfgPath, *publicKey)
		if err != nil {
			return err
		}
		anchorKey = &k
	} else if *publicKey != "" {
		return fmt.Errorf("%w: --public-key needs --checkpoints FILE", errUsage)
	}
	db, closeStore, err := openConfiguredBackend(ctx, *cfgPath, *storePath)
	if err != nil {
		return err
	}
	defer closeStore()
	res, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	// The index check reads the bbolt file's buckets; it has no etcd
	// counterpart yet, and says so rather than "indexes OK".
	file, indexed := db.(fileStore)
	var problems []store.IndexProblem
	if indexed {
		if problems, err = file.VerifyIndexes(ctx); err != nil {
			return err
		}
	}
	var broken []string
	if res.OK {
		fmt.Fprintf(stdout, "audit chain OK: %d events, head %s\n", res.Events, res.HeadHash)
	} else {
		broken = append(broken, fmt.Sprintf("audit chain BROKEN at event %d: %s (%d events checked)", res.BadSeq, res.Problem, res.Events))
	}
	if anchorKey != nil {
		msg, err := verifyCheckpoints(ctx, db, *checkpoints, *anchorKey, stdout)
		if err != nil {
			return err
		}
		if msg != "" {
			broken = append(broken, msg)
		}
	}
	switch {
	case !indexed:
		fmt.Fprintln(stdout, "indexes not checked: the index check reads the bbolt store only, not etcd (yet)")
	case len(problems) == 0:
		fmt.Fprintln(stdout, "indexes OK: every index agrees with the audit chain and the records")
	default:
		const shown = 20
		lines := make([]string, 0, shown+1)
		for i, p := range problems {
			if i == shown {
				lines = append(lines, fmt.Sprintf("… and %d more", len(problems)-shown))
				break
			}
			lines = append(lines, p.String())
		}
		count := fmt.Sprintf("%d problems", len(problems))
		switch {
		case len(problems) == 1:
			count = "1 problem"
		case len(problems) >= store.MaxIndexProblems:
			count = fmt.Sprintf("at least %d problems", store.MaxIndexProblems)
		}
		broken = append(broken, fmt.Sprintf("indexes BROKEN: %s; case lists, searches and audit export --case can miss or misplace records:\n  %s",
			count, strings.Join(lines, "\n  ")))
	}
	if len(broken) > 0 {
		return exitError{code: 1, msg: strings.Join(broken, "\noffboard: ")}
	}
	return nil
}
