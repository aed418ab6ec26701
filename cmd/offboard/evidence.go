package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/evidence"
	"github.com/offboard-dev/offboard/web/dashboard"
)

// caseList collects repeated or comma-separated --case flags.
type caseList []offboard.CaseID

func (l *caseList) String() string {
	parts := make([]string, len(*l))
	for i, id := range *l {
		parts[i] = string(id)
	}
	return strings.Join(parts, ",")
}

func (l *caseList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		id, ok := offboard.ParseCaseID(part)
		if !ok {
			return fmt.Errorf("%q is not a case id like OFF-0042", part)
		}
		*l = append(*l, id)
	}
	return nil
}

func cmdEvidence(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("evidence", "Write the evidence pack of the leavers whose case clock started in a period: index.csv (one row a leaver),\n"+
		"cases/ID.html (one printable record a leaver), summary.html and controls.html, in one zip.\n"+
		"Opens the store read-only and never changes it; the store is locked while offboard serve runs: use a backup copy (--store).", stderr)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD in company.time_zone (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (required)")
	out := fs.String("out", "", "the zip to write (required)")
	storePath := fs.String("store", "", "read this store file instead of store.path (a backup copy, while serve runs)")
	var cases caseList
	fs.Var(&cases, "case", "only this case (repeat, or comma-separate, for several)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *from == "" || *to == "" || *out == "" {
		return fmt.Errorf("%w: --from, --to and --out are required", errUsage)
	}
	cfg, err := loadConfig(*cfgPath)
	switch {
	case err != nil && *storePath != "" && errors.Is(err, os.ErrNotExist):
		cfg = config.Default() // an auditor's machine with a store copy only
	case err != nil:
		return err
	}
	if *storePath != "" {
		cfg.Store.Path, cfg.Store.Backend = *storePath, config.BackendBbolt
	}
	loc := cfg.Location()
	start, err := parseDay("--from", *from, loc)
	if err != nil {
		return err
	}
	last, err := parseDay("--to", *to, loc)
	if err != nil {
		return err
	}
	if last.Before(start) {
		return fmt.Errorf("%w: --to %s is before --from %s", errUsage, *to, *from)
	}
	db, closeStore, err := openBackend(ctx, cfg, discardLogger(), true)
	if err != nil {
		return err
	}
	defer closeStore()
	storeFile := cfg.Store.Path
	if cfg.EtcdBackend() {
		storeFile = "" // no file to name: the pack's commands show a placeholder
	}
	pack, err := evidence.Build(ctx, db, evidence.Options{
		From: start, To: last.AddDate(0, 0, 1), Cases: cases, SLA: cfg.Evidence.SLAPolicy(), Zone: loc,
		CheckpointFile: cfg.Audit.CheckpointFile, StorePath: storeFile, Redactor: redactorFor(cfg), Now: time.Now(),
	})
	if err != nil {
		return err
	}
	// Written beside the target and renamed, so a failed run leaves no
	// half pack that looks complete.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".evidence-*.zip")
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pack.Write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s: %s, %s within SLA, %s\n", *out, offboard.Count(len(pack.Records), "leaver", ""), pack.WithinPercent(),
		offboard.Count(len(pack.Exceptions()), "exception", ""))
	return nil
}

func parseDay(flagName, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: use a date like 2026-11-25", errUsage, flagName, s)
	}
	return t, nil
}

// evidencePack builds the dashboard's download from the serving store: it
// reads in View transactions only, like the command on a copy.
func (a *app) evidencePack(ctx context.Context, from, to time.Time) (dashboard.EvidencePack, error) {
	cfg := a.cfg
	return evidence.Build(ctx, a.db, evidence.Options{From: from, To: to, SLA: cfg.Evidence.SLAPolicy(), Zone: cfg.Location(),
		CheckpointFile: cfg.Audit.CheckpointFile, Redactor: redactorFor(cfg), Now: time.Now()})
}
