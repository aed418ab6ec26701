package flows_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// The summary stored on a case always matches its tasks and approvals,
// whatever command changed them.
func TestEngine_SummaryFollowsEveryChange(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	check := func(step string) *offboard.CaseSummary {
		t.Helper()
		stored := h.caseOf(c.ID).Summary
		v, err := h.engine.GetCase(h.ctx, hr, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := offboard.Summarize(v.Tasks, v.Approvals); !stored.Equal(want) {
			t.Fatalf("%s: stored summary %+v, want %+v", step, stored, want)
		}
		return stored
	}
	s := check("opened")
	if s.Tasks == 0 || s.Settled != 0 || len(s.Pending) == 0 {
		t.Fatalf("a fresh voluntary case: %+v, want tasks, none settled, approvals pending", s)
	}
	pending := len(s.Pending)
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	r := h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true, ParamsHash: a.ParamsHash})
	if got := len(r.Case.Summary.Pending); got != pending-1 {
		t.Errorf("the command's result shows %d pending approvals, want %d", got, pending-1)
	}
	check("approved")
	h.apply(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "transfer_drive", Note: "done"})
	if s := check("completed a task"); s.Settled != 1 {
		t.Errorf("settled = %d after one task, want 1", s.Settled)
	}
	h.apply(offboard.SkipTask{By: finance, CaseID: c.ID, TaskKey: "cancel_card", Reason: "no card"})
	check("skipped a task")
	h.clock.Advance(40 * 24 * time.Hour)
	h.apply(offboard.Tick{By: sched})
	check("after a tick long past the last day")
}

func TestEngine_CaseSummariesStopsAtSince(t *testing.T) {
	h := newHarness(t)
	var ids []offboard.CaseID
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2027-03-01",
			Employee: offboard.Employee{Email: email, ManagerEmail: manager.Email}})
		ids = append(ids, r.Case.ID)
		h.clock.Advance(24 * time.Hour)
	}
	all, err := h.engine.CaseSummaries(h.ctx, hr, offboard.CaseOpen, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].ID != ids[2] || all[0].Summary == nil {
		t.Fatalf("all open = %d cases, first %v, want 3 newest first with summaries", len(all), all)
	}
	recent, err := h.engine.CaseSummaries(h.ctx, hr, offboard.CaseOpen, start.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[1].ID != ids[1] {
		t.Fatalf("since day two = %d cases, want the last two", len(recent))
	}
	none, err := h.engine.CaseSummaries(h.ctx, stranger, offboard.CaseOpen, time.Time{}, 0)
	if err != nil || len(none) != 0 {
		t.Fatalf("a stranger sees %d cases (%v), want none", len(none), err)
	}
}

// A notice without a manager or name takes what the directory knows; a
// notice that names them keeps its own.
func TestEngine_OpenCaseTakesManagerFromDirectory(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) {
		o.NameOf = func(email string) string {
			if email == "jane.doe@example.com" {
				return "Jane Directory"
			}
			return ""
		}
		o.Escalation.ManagerOf = func(email string) string {
			if email == "jane.doe@example.com" {
				return "Mona.Manager@example.com"
			}
			return ""
		}
	})
	r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Email: jane.Email}})
	if got := r.Case.Employee.ManagerEmail; got != manager.Email {
		t.Fatalf("manager = %q, want the directory's %q", got, manager.Email)
	}
	if got := r.Case.Employee.Name; got != "Jane Directory" {
		t.Errorf("name = %q, want the directory's", got)
	}
	if a := h.approvalFor(r.Case.ID, "transfer_drive", offboard.ApprovalPending); a.Approver != manager.Email {
		t.Errorf("approval asked of %q, want the directory's manager", a.Approver)
	}
	var opened *offboard.AuditEvent
	err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: r.Case.ID}, func(e *offboard.AuditEvent) error {
		if e.Action == "case.opened" {
			opened = e
		}
		return nil
	})
	if err != nil || opened == nil || opened.Evidence["manager_from"] != "directory" {
		t.Fatalf("case.opened evidence = %v (%v), want manager_from=directory", opened, err)
	}

	h.apply(offboard.CancelCase{By: hr, CaseID: r.Case.ID, Reason: "test"})
	r = h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Email: jane.Email, Name: "Jane Doe", ManagerEmail: "named@example.com"}})
	if got := r.Case.Employee.ManagerEmail; got != "named@example.com" {
		t.Errorf("manager = %q, want the one the notice named", got)
	}
	if got := r.Case.Employee.Name; got != "Jane Doe" {
		t.Errorf("name = %q, want the one the notice named", got)
	}
}

// Case numbers follow the engine's clock; a wall clock stepped back a
// little must not hide the cases opened before the step.
func TestEngine_CasesOpenedSurvivesAClockStepBack(t *testing.T) {
	h := newHarness(t)
	open := func(email string) offboard.CaseID {
		return h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2027-03-01",
			Employee: offboard.Employee{Email: email, ManagerEmail: manager.Email}}).Case.ID
	}
	first := open("a@example.com")
	h.clock.Advance(10 * time.Minute)
	second := open("b@example.com")
	h.clock.Advance(-20 * time.Minute) // the clock steps back past the first case
	third := open("c@example.com")
	got, err := h.engine.CasesOpened(h.ctx, hr, start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []offboard.CaseID
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if len(ids) != 2 || ids[0] != second || ids[1] != first {
		t.Errorf("opened since the first case: %v, want [%s %s] (%s, opened before it by the clock, is left out)", ids, second, first, third)
	}
}

// A case stored before summaries existed gets one computed when listed.
func TestEngine_CaseSummariesOfOldCases(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2027-03-01")
	err := h.db.Update(h.ctx, func(tx offboard.Tx) error {
		old, err := tx.Case(c.ID)
		if err != nil {
			return err
		}
		old.Summary = nil
		return tx.PutCase(old)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.engine.CaseSummaries(h.ctx, hr, offboard.CaseOpen, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("%d cases, %v", len(got), err)
	}
	v, err := h.engine.GetCase(h.ctx, hr, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s := got[0].Summary; s == nil || s.Tasks == 0 || !s.Equal(offboard.Summarize(v.Tasks, v.Approvals)) {
		t.Fatalf("summary of an old case = %+v", s)
	}
}
