package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/hris"
)

// ReconcileSource is the source, and the system actor, of the cases the
// reconciliation opens.
const ReconcileSource = "reconcile:bamboohr"

// DefaultLookback is how far back a reconciliation asks for changes.
const DefaultLookback = 30 * 24 * time.Hour

// Terminations lists employees terminated in the HR system;
// *hris.BambooHRAPI implements it.
type Terminations interface {
	Terminated(ctx context.Context, since time.Time) ([]hris.Termination, error)
}

// Directory reports a person's identity-provider status;
// *okta.Client implements it.
type Directory interface {
	UserStatus(ctx context.Context, email string) (status string, found bool, err error)
}

// ReconcileOptions configure a Reconciler. Engine, HR and IdP are
// required.
type ReconcileOptions struct {
	Engine offboard.CaseService
	HR     Terminations
	IdP    Directory
	Clock  offboard.Clock
	Logger *slog.Logger
	// Lookback is how far back changes are read (default 30 days).
	Lookback time.Duration
	// Location is the company time zone, for "today" (default UTC).
	Location *time.Location
}

// Reconciler finds people terminated in the HR system but still active
// in the identity provider, and opens (or flags) their cases: it catches
// lost webhooks, and it is the diff an auditor runs.
type Reconciler struct {
	engine   offboard.CaseService
	hr       Terminations
	idp      Directory
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
	if o.Engine == nil || o.HR == nil || o.IdP == nil {
		return nil, errors.New("runner: reconcile: engine, HR and IdP are required")
	}
	r := &Reconciler{engine: o.Engine, hr: o.HR, idp: o.IdP, clock: o.Clock, log: o.Logger,
		lookback: o.Lookback, loc: o.Location}
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
		r.log.Error("reconcile: could not list terminations", "source", ReconcileSource, "err", err)
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
	r.log.Log(ctx, level, "reconcile: done", "source", ReconcileSource, "terminated", len(terms),
		"checked", rep.Checked, "still_active", rep.StillActive, "opened", rep.Opened,
		"flagged", rep.Flagged, "problems", len(rep.Problems))
	for _, p := range rep.Problems {
		r.log.Warn("reconcile: problem", "source", ReconcileSource, "problem", p)
	}
	return rep, nil
}

// one checks one termination; true means a case was opened or changed.
func (r *Reconciler) one(ctx context.Context, t hris.Termination, today string, rep *Report) bool {
	ref := "BambooHR employee " + t.EmployeeID
	email := strings.TrimSpace(t.Email)
	if email == "" {
		rep.Problems = append(rep.Problems, ref+" is terminated but has no work email; check Okta by hand")
		return false
	}
	date := t.TerminationDate
	var effective time.Time
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: termination date %q is not a date", ref, date))
			return false
		}
		if date > today {
			return false // not gone yet: being active is expected
		}
		effective = d
	}
	status, found, err := r.idp.UserStatus(ctx, email)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: Okta lookup failed: %s", ref, redactEmail(err.Error(), email)))
		return false
	}
	rep.Checked++
	if !found || status == "SUSPENDED" || status == "DEPROVISIONED" {
		return false
	}
	rep.StillActive++
	r.log.Debug("reconcile: terminated but still active", "employee", t.EmployeeID, "email", email, "okta_status", status)

	keyDate, when := date, "on "+date
	if date == "" {
		keyDate, when = today, "(no termination date)"
	}
	notes := []string{fmt.Sprintf("Reconciliation: terminated in BambooHR %s but still %s in Okta", when, status)}
	if !t.KindMapped {
		if t.Type == "" {
			notes = append(notes, "BambooHR has no termination type; confirm voluntary/involuntary")
		} else {
			notes = append(notes, fmt.Sprintf("BambooHR termination type %s is not mapped; confirm voluntary/involuntary", t.Type))
		}
	}
	kind := t.Kind
	if kind == "" {
		kind = offboard.Voluntary
	}
	res, err := r.engine.Apply(ctx, offboard.OpenCase{
		By: offboard.System(ReconcileSource), Kind: kind,
		Employee: offboard.Employee{HRISID: t.EmployeeID, Name: t.Name, Email: email, ManagerEmail: t.ManagerEmail},
		// The termination is past, so the last day is today (the engine
		// refuses a past last day for a voluntary exit).
		LastDay: today, EffectiveAt: effective,
		Source: ReconcileSource, SourceRef: t.EmployeeID,
		// The webhook intake's key: webhook and reconciliation open one case.
		DedupeKey: "bamboohr:" + t.EmployeeID + ":" + keyDate,
		Notes:     strings.Join(notes, "\n"),
	})
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: still %s in Okta, but no case was opened: %s",
			ref, status, redactEmail(offboard.ErrorMessage(err), email)))
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
