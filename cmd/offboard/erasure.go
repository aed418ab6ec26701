package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
)

// retentionActor erases personal data when retention.personal_data has
// passed.
var retentionActor = offboard.System("retention")

// erasureCheckEvery is how often serve looks for cases due for erasure:
// retention is counted in days, so an hour late is nothing.
const erasureCheckEvery = time.Hour

// dueErasures lists the closed, not yet erased cases whose retention has
// passed at now: those it can erase, and those opened before per-case
// keys existed, which it cannot (their events hold the plaintext). It
// reads the cases the store's closing index holds as closed before now
// minus retention and not erased; a file whose index is not built yet
// has every closed case read.
func dueErasures(ctx context.Context, db offboard.Store, retention time.Duration, now time.Time) (due, legacy []offboard.CaseID, err error) {
	if retention <= 0 {
		return nil, nil, nil
	}
	err = db.View(ctx, func(tx offboard.Tx) error {
		ids, err := closedUnerased(tx, now.Add(-retention))
		if err != nil {
			return err
		}
		for _, id := range ids {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if c.ErasedAt != nil || !c.Status.Closed() {
				continue
			}
			if at, err := flows.ErasureDue(c, retention); err != nil || now.Before(at) {
				continue
			}
			keyed, err := tx.PersonalKeyed(id)
			if err != nil {
				return err
			}
			if keyed {
				due = append(due, id)
			} else {
				legacy = append(legacy, id)
			}
		}
		return nil
	})
	slices.SortFunc(due, compareCaseIDs)
	slices.SortFunc(legacy, compareCaseIDs)
	return due, legacy, err
}

// closedUnerased returns the cases to look at for erasure: those the
// store's closing index holds as closed by before and not erased, or
// every closed case when the index is not built.
func closedUnerased(tx offboard.Tx, before time.Time) ([]offboard.CaseID, error) {
	type closingIndex interface {
		ClosedUnerasedBefore(at time.Time) ([]offboard.CaseID, bool, error)
	}
	if ix, ok := tx.(closingIndex); ok {
		ids, ready, err := ix.ClosedUnerasedBefore(before)
		if err != nil || ready {
			return ids, err
		}
	}
	return offboard.ClosedCaseIDs(tx)
}

// compareCaseIDs orders case ids by number (OFF-9999 before OFF-10000).
func compareCaseIDs(a, b offboard.CaseID) int {
	na, _ := a.Number()
	nb, _ := b.Number()
	return cmp.Or(cmp.Compare(na, nb), strings.Compare(string(a), string(b)))
}

// eraseCases applies EraseCase to each id for by, then compacts the
// store once if anything was erased, so the old bytes leave the file.
// It returns the cases erased; a refusal of one case does not stop the
// others and is returned joined with the rest.
func eraseCases(ctx context.Context, engine offboard.CaseService, db storeBackend, by offboard.Actor, reason string, ids []offboard.CaseID, out io.Writer) (erased []offboard.CaseID, err error) {
	var errs []error
	for _, id := range ids {
		res, aerr := engine.Apply(ctx, offboard.EraseCase{By: by, CaseID: id, Reason: reason})
		switch {
		case aerr != nil:
			errs = append(errs, aerr)
		case res.Duplicate:
			fmt.Fprintln(out, res.Message)
		default:
			erased = append(erased, id)
			fmt.Fprintln(out, res.Message)
		}
	}
	// On etcd deleting the keys is the erasure: the old values stay in
	// the cluster's history until its compaction (README: Store backends).
	file, ok := db.(fileStore)
	if !ok {
		return erased, errors.Join(errs...)
	}
	// An earlier run that erased and then failed to compact (or stopped
	// before it could) left old bytes behind: compact for it too.
	pending, perr := file.NeedsCompaction(ctx)
	if perr != nil {
		errs = append(errs, perr)
	}
	if len(erased) > 0 || pending {
		rep, cerr := file.Compact(ctx)
		if cerr != nil {
			errs = append(errs, fmt.Errorf("erased %d case(s), but the store was not compacted, so their old bytes are still in its free pages: %w", len(erased), cerr))
		} else {
			fmt.Fprintf(out, "store compacted: %d → %d bytes in %s\n", rep.SizeBefore, rep.SizeAfter, rep.Took.Round(time.Millisecond))
		}
	}
	return erased, errors.Join(errs...)
}

// startErasures runs the erasure of due cases every erasureCheckEvery
// while this replica leads, until ctx is done; the channel closes when it has stopped. Off when
// retention.personal_data is zero.
func (a *app) startErasures(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	retention := a.cfg.Retention.PersonalData.D()
	if retention <= 0 {
		close(done)
		return done
	}
	log := a.log.With("component", "retention")
	log.Info("erasure of personal data on", "retention", a.cfg.Retention.PersonalData.String(), "check_every", erasureCheckEvery.String())
	go func() {
		defer close(done)
		// Only the leading replica erases: two replicas erasing the same
		// case would only add refusals to the chain.
		a.eachTerm(ctx, func(term context.Context) {
			t := time.NewTimer(time.Minute) // not during start-up
			defer t.Stop()
			for {
				select {
				case <-term.Done():
					return
				case <-t.C:
				}
				a.eraseDue(term, retention, log)
				t.Reset(erasureCheckEvery)
			}
		})
	}()
	return done
}

// eraseDue erases every case due now and compacts once; what it did, or
// could not do, goes to the log (each erasure is audited by the engine).
func (a *app) eraseDue(ctx context.Context, retention time.Duration, log *slog.Logger) {
	// A file from before the closing index gets it once; until then each
	// check reads every closed case.
	// (The etcd store keeps no time indexes yet: it reads every closed case.)
	began := time.Now()
	if b, ok := a.db.(offboard.TimeIndexBuilder); ok {
		if n, built, err := b.BuildTimeIndexes(ctx); err != nil {
			log.Warn("case time indexes not built; the erasure check reads every closed case", "err", err)
		} else if built {
			log.Info("revocation and closing indexes built for a store written before them (once)", "cases", n,
				"took", time.Since(began).Round(time.Millisecond))
		}
	}
	due, legacy, err := dueErasures(ctx, a.db, retention, a.clock.Now())
	if err != nil {
		log.Error("cases due for erasure could not be listed", "err", err)
		return
	}
	if len(legacy) > 0 {
		// Not tried: each try would only add a refusal to the chain.
		log.Warn("cases past retention cannot be erased: opened before personal data was kept apart from the audit chain", "cases", len(legacy), "first", string(legacy[0]))
	}
	var sb strings.Builder
	erased, err := eraseCases(ctx, a.engine, a.db, retentionActor, "", due, &sb)
	if err != nil {
		log.Error("erasure of personal data failed for some cases", "erased", len(erased), "due", len(due), "err", err)
	}
	if a.console != nil {
		// The console's rooms remember what they heard since start.
		for _, id := range erased {
			a.console.Forget(id)
		}
	}
	if len(erased) > 0 {
		log.Info("personal data erased", "cases", len(erased))
	}
}

func cmdErase(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("erase", "Erase the personal data (name, email) of closed cases whose retention.personal_data has passed.\n"+
		"The audit chain still verifies; the store is compacted afterwards so no old bytes remain in it.\n"+
		"serve does this on its own every hour; this is for an admin at the machine (serve must be stopped: it holds the store).\n"+
		"Backups older than the erasure still hold the data until store.backup.keep rotates them out.", stderr)
	var ids caseList
	fs.Var(&ids, "case", "a case to erase (repeatable, or comma-separated)")
	allDue := fs.Bool("due", false, "erase every case whose retention has passed")
	reason := fs.String("reason", "", "why, for the audit trail (required unless --dry-run)")
	dryRun := fs.Bool("dry-run", false, "only list the cases due for erasure, and those that cannot be erased")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	retention := cfg.Retention.PersonalData.D()
	if *dryRun {
		db, closeStore, err := openBackend(ctx, cfg, discardLogger(), true)
		if err != nil {
			return err
		}
		defer closeStore()
		if retention <= 0 {
			fmt.Fprintln(stdout, "retention.personal_data is off: personal data is kept, nothing is due")
			return nil
		}
		due, legacy, err := dueErasures(ctx, db, retention, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "due for erasure (closed more than %s ago): %d\n", cfg.Retention.PersonalData, len(due))
		for _, id := range due {
			fmt.Fprintf(stdout, "  %s\n", id)
		}
		if len(legacy) > 0 {
			fmt.Fprintf(stdout, "past retention but cannot be erased (opened before personal data was kept apart from the audit chain): %d\n", len(legacy))
			for _, id := range legacy {
				fmt.Fprintf(stdout, "  %s\n", id)
			}
		}
		return nil
	}
	if len(ids) == 0 && !*allDue {
		return fmt.Errorf("%w: erase needs --case ID (repeatable) or --due, or --dry-run to list what is due", errUsage)
	}
	if strings.TrimSpace(*reason) == "" {
		return fmt.Errorf("%w: erase needs --reason, which goes into the audit trail", errUsage)
	}
	var db storeBackend
	if cfg.EtcdBackend() {
		// Opened as to read: a prefix without a store is refused, not begun.
		var closeStore func()
		if db, closeStore, err = openBackend(ctx, cfg, discardLogger(), true); err != nil {
			return err
		}
		defer closeStore()
	} else {
		file, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: cfg.Store.LockTimeout.D(), Check: true})
		if err != nil {
			return withRestoreAdvice(err)
		}
		defer file.Close()
		db = file
	}
	a, err := wire(cfg, discardLogger(), db, wireOptions{})
	if err != nil {
		return err
	}
	targets := slices.Clone([]offboard.CaseID(ids))
	if *allDue {
		due, _, err := dueErasures(ctx, db, retention, time.Now())
		if err != nil {
			return err
		}
		targets = append(targets, due...)
	}
	_, err = eraseCases(ctx, a.engine, db, cliActor(), *reason, targets, stdout)
	return err
}
