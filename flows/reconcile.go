package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// The engine decides for reconciliation, which gathers in flows/runner.
var _ offboard.Reconciliation = (*Engine)(nil)

// ReconcileTermination is the engine's half of reconciliation; it is the
// pure ReconcileTermination.
func (e *Engine) ReconcileTermination(f offboard.ReconcileFinding) offboard.ReconcileDecision {
	return ReconcileTermination(f)
}

// ReconcileTermination decides what one termination asks for: nothing
// while it lies ahead or the person cannot sign in any more, a problem
// when it cannot be checked, else a case opened with the finding in its
// notes. The case carries the webhook intake's dedupe key, so a webhook
// and a reconciliation run open one case; when the person has a case
// already, the engine adds the finding to it instead.
func ReconcileTermination(f offboard.ReconcileFinding) offboard.ReconcileDecision {
	t := f.Termination
	ref := f.Ref()
	email := strings.TrimSpace(t.Email)
	if email == "" {
		return offboard.ReconcileDecision{Problem: ref + " is terminated but has no work email; check " + f.Identity + " by hand"}
	}
	date := t.TerminationDate
	var effective time.Time
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return offboard.ReconcileDecision{Problem: fmt.Sprintf("%s: termination date %q is not a date", ref, date)}
		}
		if date > f.Today {
			return offboard.ReconcileDecision{} // not gone yet: being active is expected
		}
		effective = d
	}
	if f.Status == nil {
		return offboard.ReconcileDecision{Check: true}
	}
	if !f.Status.Found || !f.Status.Active {
		return offboard.ReconcileDecision{}
	}
	keyDate, when := date, "on "+date
	if date == "" {
		keyDate, when = f.Today, "(no termination date)"
	}
	notes := []string{fmt.Sprintf("Reconciliation: terminated in %s %s but still %s in %s", f.HR.Label, when, f.Status.Status, f.Identity)}
	if !t.KindMapped {
		if t.Type == "" {
			notes = append(notes, f.HR.Label+" has no termination type; confirm voluntary/involuntary")
		} else {
			notes = append(notes, fmt.Sprintf("%s termination type %s is not mapped; confirm voluntary/involuntary", f.HR.Label, t.Type))
		}
	}
	kind := t.Kind
	if kind == "" {
		kind = offboard.Voluntary
	}
	source := offboard.ReconcileSource(f.HR.Name)
	return offboard.ReconcileDecision{Open: &offboard.OpenCase{
		By: offboard.System(source), Kind: kind,
		Employee: offboard.Employee{HRISID: t.EmployeeID, Name: t.Name, Email: email, ManagerEmail: t.ManagerEmail},
		// The termination is past, so the last day is today (the engine
		// refuses a past last day for a voluntary exit).
		LastDay: f.Today, EffectiveAt: effective,
		Source: source, SourceRef: t.EmployeeID,
		DedupeKey: offboard.HRDedupeKey(f.HR.Name, t.EmployeeID, keyDate),
		Notes:     strings.Join(notes, "\n"),
	}}
}

// recordReconciliation appends one "reconcile.ran" event: the run's
// figures, outcome failed when the HR system could not be read. Clean runs
// are recorded too; they are what lets an auditor see the check ran.
func (d *decision) recordReconciliation(c offboard.RecordReconciliation) (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's reconciliation records its runs")
	}
	if c.HR == "" || c.Identity == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "a reconciliation run names the HR and identity systems it compared")
	}
	outcome := offboard.OutcomeOK
	var detail string
	if c.Failed != "" {
		outcome = offboard.OutcomeFailed
		detail = fmt.Sprintf("Could not read terminations from %s, so nothing was checked: %s", c.HR, c.Failed)
	} else {
		detail = fmt.Sprintf("Compared %d terminations in %s with %s: %d still active, %d cases opened, %d flagged, %d problems",
			c.Terminated, c.HR, c.Identity, c.StillActive, c.Opened, c.Flagged, c.Problems)
	}
	ev := map[string]string{
		"hr": c.HR, "identity": c.Identity,
		"terminated": strconv.Itoa(c.Terminated), "checked": strconv.Itoa(c.Checked),
		"still_active": strconv.Itoa(c.StillActive), "opened": strconv.Itoa(c.Opened),
		"flagged": strconv.Itoa(c.Flagged), "problems": strconv.Itoa(c.Problems),
	}
	if err := d.audit("", offboard.ActionReconcileRan, "", outcome, detail, ev); err != nil {
		return nil, err
	}
	return &offboard.Result{}, nil
}
