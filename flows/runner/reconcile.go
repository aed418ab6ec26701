package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// DefaultLookback is how far back a reconciliation asks for changes.
const DefaultLookback = 30 * 24 * time.Hour

// ReconcileOptions configure a Reconciler. Engine, Decide, HR and IdP
// are required.
type ReconcileOptions struct {
	// Engine opens the cases.
	Engine offboard.CaseService
	// Decide says what each termination asks for: the engine's pure
	// ReconcileTermination.
	Decide offboard.Reconciliation
	// HR lists the terminations (connectors/bamboohr implements it).
	HR offboard.TerminationSource
	// IdP says who can still sign in (connectors/okta implements it).
	IdP    offboard.IdentityStatusSource
	Clock  offboard.Clock
	Logger *slog.Logger
	// Lookback is how far back changes are read (default 30 days).
	Lookback time.Duration
	// Location is the company time zone, for "today" (default UTC).
	Location *time.Location
}

// Reconciler finds people terminated in the HR system but still active
// in the identity provider, and opens (or flags) their cases: it catches
// lost webhooks, and it is the diff an auditor runs. It gathers what the
// two systems say; the engine's pure ReconcileTermination decides.
type Reconciler struct {
	engine   offboard.CaseService
	decide   offboard.Reconciliation
	hr       offboard.TerminationSource
	idp      offboard.IdentityStatusSource
	system   offboard.HRSystem
	source   string // the source and actor of the cases it opens
	clock    offboard.Clock
	log      *slog.Logger
	lookback time.Duration
	loc      *time.Location
}

// Report is what one run found.
type Report struct {
	// Checked counts terminations looked up in the identity provider.
	Checked int
	// StillActive counts those not suspended or deprovisioned there.
	StillActive int
	// Opened counts new cases; Flagged counts open (or earlier) cases
	// the finding was added to.
	Opened, Flagged int
	// Problems say, by HR employee id, what could not be checked or
	// opened. They hold no email addresses.
	Problems []string
}

// NewReconciler checks the options.
func NewReconciler(o ReconcileOptions) (*Reconciler, error) {
	if o.Engine == nil || o.Decide == nil || o.HR == nil || o.IdP == nil {
		return nil, errors.New("runner: reconcile: engine, decide, HR and IdP are required")
	}
	r := &Reconciler{engine: o.Engine, decide: o.Decide, hr: o.HR, idp: o.IdP, clock: o.Clock, log: o.Logger,
		lookback: o.Lookback, loc: o.Location}
	r.system = o.HR.HRSystem()
	r.source = offboard.ReconcileSource(r.system.Name)
	if r.clock == nil {
		r.clock = offboard.WallClock()
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.lookback <= 0 {
		r.lookback = DefaultLookback
	}
	if r.loc == nil {
		r.loc = time.UTC
	}
	return r, nil
}

// Run reconciles once. An error means the HR system could not be read
// (nothing was checked); per-person trouble goes to Report.Problems.
func (r *Reconciler) Run(ctx context.Context) (Report, error) {
	var rep Report
	now := r.clock.Now()
	terms, err := r.hr.Terminated(ctx, now.Add(-r.lookback))
	if err != nil {
		r.log.Error("reconcile: could not list terminations", "source", r.source, "err", err)
		r.record(ctx, len(terms), rep, offboard.ErrorMessage(err))
		return rep, fmt.Errorf("reconcile: list terminations: %w", err)
	}
	today := now.In(r.loc).Format(time.DateOnly)
	for _, t := range terms {
		if ctx.Err() != nil {
			rep.Problems = append(rep.Problems, "stopped before every termination was checked: "+ctx.Err().Error())
			break
		}
		r.one(ctx, t, today, &rep)
	}
	level := slog.LevelInfo
	if len(rep.Problems) > 0 {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "reconcile: done", "source", r.source, "terminated", len(terms),
		"checked", rep.Checked, "still_active", rep.StillActive, "opened", rep.Opened,
		"flagged", rep.Flagged, "problems", len(rep.Problems))
	for _, p := range rep.Problems {
		r.log.Warn("reconcile: problem", "source", r.source, "problem", p)
	}
	r.record(ctx, len(terms), rep, "")
	return rep, nil
}

// record puts the run in the audit chain, clean runs included, so the
// evidence pack can say when the diff ran and what it found. A run that
// cannot be recorded is logged; the cases it opened stand either way.
func (r *Reconciler) record(ctx context.Context, terminated int, rep Report, failed string) {
	_, err := r.engine.Apply(ctx, offboard.RecordReconciliation{
		By: offboard.System(r.source), HR: r.system.Label, Identity: r.idp.IdentityLabel(),
		Terminated: terminated, Checked: rep.Checked, StillActive: rep.StillActive,
		Opened: rep.Opened, Flagged: rep.Flagged, Problems: len(rep.Problems), Failed: failed,
	})
	if err != nil {
		r.log.Error("reconcile: could not record the run in the audit log", "source", r.source, "err", err)
	}
}

// one checks one termination; true means a case was opened or changed.
func (r *Reconciler) one(ctx context.Context, t offboard.Termination, today string, rep *Report) bool {
	f := offboard.ReconcileFinding{HR: r.system, Identity: r.idp.IdentityLabel(), Termination: t, Today: today}
	d := r.decide.ReconcileTermination(f)
	if d.Check {
		email := strings.TrimSpace(t.Email)
		st, err := r.idp.AccountStatus(ctx, email)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %s lookup failed: %s", f.Ref(), f.Identity, redactEmail(err.Error(), email)))
			return false
		}
		rep.Checked++
		f.Status = &st
		d = r.decide.ReconcileTermination(f)
	}
	if d.Problem != "" {
		rep.Problems = append(rep.Problems, d.Problem)
		return false
	}
	if d.Open == nil {
		return false
	}
	rep.StillActive++
	r.log.Debug("reconcile: terminated but still active", "employee", t.EmployeeID, "email", d.Open.Employee.Email, "status", f.Status.Status)
	res, err := r.engine.Apply(ctx, *d.Open)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: still %s in %s, but no case was opened: %s",
			f.Ref(), f.Status.Status, f.Identity, redactEmail(offboard.ErrorMessage(err), d.Open.Employee.Email)))
		if offboard.ErrorCode(err) == offboard.EINTERNAL {
			r.log.Error("reconcile: could not open a case", "employee", t.EmployeeID, "err", err)
		}
		return false
	}
	if res.Duplicate {
		rep.Flagged++
	} else {
		rep.Opened++
	}
	return true
}

// redactEmail keeps the address out of problems, which are logged.
func redactEmail(s, email string) string {
	return strings.ReplaceAll(s, email, "[employee email]")
}
