package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// Tick finds its work through two indexes keyed by time: the due index of
// tasks (RunAt: scheduled and last-day revocations, tasks whose wait ran
// out) and the wake index of cases (offboard.Tx.Wake): the earliest time
// anything else of a case can come due — an approval's reminder,
// escalation or stuck page, a task's overdue notices, a device return's
// write-off. Every command sets the wake time of each case it changed in
// its own transaction (resummarize), so Tick reads only the cases that
// are due instead of every open case.

// wakePolicyVersion changes whenever wakeAt's rules change, so stored
// times are recomputed by prepareWakes.
const wakePolicyVersion = "wake-v1"

// wakePolicy fingerprints what the stored wake times depend on.
func (e *Engine) wakePolicy() string {
	p := e.escalation
	return fmt.Sprintf("%s remind=%s escalate=%s max_level=%d write_off=%s",
		wakePolicyVersion, p.RemindAfter, p.EscalateAfter, p.MaxLevel, e.writeOffAfter)
}

// wakeAt is the earliest time Tick can owe case cs a nudge or a
// write-off question, or zero when it owes none. It must never be later
// than the time nudge or askWriteOffs would act: earlier only costs a
// read. Business hours are left out: a nudge held back by them keeps its
// case due (read on each tick, written only once it goes out).
func (d *decision) wakeAt(cs *offboard.Case, tasks []*offboard.Task, apps []*offboard.Approval) time.Time {
	if cs.Status.Closed() {
		return time.Time{}
	}
	p := d.e.escalation
	var at time.Time
	consider := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	for _, a := range apps {
		if a.Status != offboard.ApprovalPending {
			continue
		}
		// As nudgeApproval decides.
		if p.RemindAfter > 0 && a.EscalationLevel == 0 && a.Reminders == 0 {
			consider(a.CreatedAt.Add(p.RemindAfter))
		}
		if p.EscalateAfter > 0 && (a.EscalationLevel < p.MaxLevel || !a.Paged) {
			since := a.CreatedAt
			if a.EscalationLevel > 0 && a.LastNudgeAt != nil {
				since = *a.LastNudgeAt
			}
			consider(since.Add(p.EscalateAfter))
		}
	}
	for _, t := range tasks {
		// As nudgeTask decides.
		if !t.Status.Settled() && t.Status != offboard.TaskRunning && t.Due != nil {
			switch {
			case t.Nudges == 0:
				consider(*t.Due)
			case t.Nudges == 1 && p.RemindAfter > 0 && t.LastNudgeAt != nil:
				consider(later(*t.Due, t.LastNudgeAt.Add(p.RemindAfter)))
			}
		}
		// As askWriteOffs decides.
		if d.e.writeOffAfter > 0 && !cs.RevokeAt.IsZero() && writeOffDue(t) {
			consider(cs.RevokeAt.Add(d.e.writeOffAfter))
		}
	}
	return at
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// wakeCase reports whether due case id is open, and clears the wake
// entry of a case closed or gone meanwhile.
func (d *decision) wakeCase(id offboard.CaseID) (bool, error) {
	cs, err := d.tx.Case(id)
	switch {
	case offboard.ErrorCode(err) == offboard.ENOTFOUND:
		return false, d.tx.SetWake(id, time.Time{})
	case err != nil:
		return false, err
	case cs.Status.Closed():
		return false, d.tx.SetWake(id, time.Time{})
	}
	return true, nil
}

// prepareWakes computes the wake time of every open case once, when the
// stored ones were computed under other rules or not at all (a store
// written before the wake index, or a changed escalation config). It runs
// before the engine's first tick, which serve sends as it starts.
func (e *Engine) prepareWakes(ctx context.Context) error {
	if e.wakesReady.Load() {
		return nil
	}
	e.wakesMu.Lock()
	defer e.wakesMu.Unlock()
	if e.wakesReady.Load() {
		return nil
	}
	want := e.wakePolicy()
	var have string
	if err := e.store.View(ctx, func(tx offboard.Tx) error {
		var err error
		have, err = tx.WakePolicy()
		return err
	}); err != nil {
		return err
	}
	if have != want {
		began := e.clock.Now()
		n := 0
		err := e.store.Update(ctx, func(tx offboard.Tx) error {
			n = 0
			d := &decision{e: e, tx: tx, now: e.clock.Now().UTC().Round(0), actor: offboard.System("scheduler")}
			// Entries of cases no longer open go first (none in a store
			// from before the index).
			stale, err := tx.DueWakes(time.Unix(1<<62, 0), 0)
			if err != nil {
				return err
			}
			for _, id := range stale {
				if err := tx.SetWake(id, time.Time{}); err != nil {
					return err
				}
			}
			ids, err := tx.CaseIDsByStatus(offboard.CaseOpen)
			if err != nil {
				return err
			}
			for _, id := range ids {
				cs, err := tx.Case(id)
				if err != nil {
					return err
				}
				tasks, err := tx.Tasks(id)
				if err != nil {
					return err
				}
				apps, err := tx.Approvals(id)
				if err != nil {
					return err
				}
				if err := tx.SetWake(id, d.wakeAt(cs, tasks, apps)); err != nil {
					return err
				}
				n++
			}
			return tx.SetWakePolicy(want)
		})
		if err != nil {
			return fmt.Errorf("build the wake index: %w", err)
		}
		e.log.Info("wake index built", "open_cases", n, "policy", want, "was", have,
			"took", e.clock.Now().Sub(began).Round(time.Millisecond))
	}
	e.wakesReady.Store(true)
	return nil
}

// errWouldWrite stops a read-only tick at its first write.
var errWouldWrite = errors.New("flows: the tick has work to write")

// tickReadOnly decides a tick in a read transaction. It returns the
// result when the tick writes nothing (nothing was due, or what was due
// waits for business hours), errWouldWrite when it must run in a write
// transaction, or the error the decision met.
func (e *Engine) tickReadOnly(ctx context.Context, cmd offboard.Command, actor offboard.Actor, now time.Time) (*offboard.Result, error) {
	var res *offboard.Result
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		d := &decision{e: e, tx: readOnlyTx{tx}, now: now, actor: actor}
		r, err := d.decide(cmd)
		if err != nil {
			return err
		}
		if d.wroteJobs || d.jobs > 0 || d.closed {
			return errWouldWrite // cannot happen without a write; be sure
		}
		res = r
		return nil
	})
	return res, err
}

// readOnlyTx refuses every write with errWouldWrite. SetWake of the time
// already stored is no write and passes.
type readOnlyTx struct{ offboard.Tx }

func (readOnlyTx) NextCaseID() (offboard.CaseID, error)               { return "", errWouldWrite }
func (readOnlyTx) PutCase(*offboard.Case) error                       { return errWouldWrite }
func (readOnlyTx) PutTask(*offboard.Task) error                       { return errWouldWrite }
func (readOnlyTx) NextApprovalID(offboard.CaseID) (string, error)     { return "", errWouldWrite }
func (readOnlyTx) PutApproval(*offboard.Approval) error               { return errWouldWrite }
func (readOnlyTx) AppendAudit(*offboard.AuditEvent) error             { return errWouldWrite }
func (readOnlyTx) PutJob(*offboard.Job) error                         { return errWouldWrite }
func (readOnlyTx) DeleteJob(string) error                             { return errWouldWrite }
func (readOnlyTx) DeadLetter(*offboard.Job) error                     { return errWouldWrite }
func (readOnlyTx) PutDedupe(string, offboard.CaseID, time.Time) error { return errWouldWrite }
func (readOnlyTx) SetWakePolicy(string) error                         { return errWouldWrite }

func (t readOnlyTx) SetWake(id offboard.CaseID, at time.Time) error {
	// The store writes nothing for the time already stored; anything else
	// fails in a read transaction, and the write path will tell why.
	if err := t.Tx.SetWake(id, at); err != nil {
		return errWouldWrite
	}
	return nil
}
