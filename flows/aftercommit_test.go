package flows_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// TestEngine_AfterCommit checks that the engine calls AfterCommit once per
// command that queued jobs, after the commit (a new read sees the jobs),
// and not for a refused command.
func TestEngine_AfterCommit(t *testing.T) {
	var h *harness
	var calls, jobsSeen []int
	h = newHarness(t, func(o *flows.Options) {
		o.AfterCommit = func() {
			calls = append(calls, 1)
			jobsSeen = append(jobsSeen, len(h.readyJobs()))
		}
	})
	c := h.open(offboard.Involuntary, "2026-11-25")
	if len(calls) != 1 {
		t.Fatalf("AfterCommit called %d times after opening a case that queued jobs, want 1", len(calls))
	}
	if jobsSeen[0] == 0 {
		t.Error("AfterCommit ran before the jobs were visible to a new read (before the commit)")
	}
	h.refuse(offboard.CancelCase{By: stranger, CaseID: c.ID, Reason: "x"}, offboard.EFORBIDDEN, "may not cancel")
	if len(calls) != 1 {
		t.Errorf("AfterCommit called for a refused command (%d calls)", len(calls))
	}
}

// TestEngine_AfterClose checks that AfterClose runs once after a command
// that closed a case (serve anchors the audit chain then), after the
// commit, and for no other command.
func TestEngine_AfterClose(t *testing.T) {
	var h *harness
	var statuses []offboard.CaseStatus
	var id offboard.CaseID
	h = newHarness(t, func(o *flows.Options) {
		o.AfterClose = func() { statuses = append(statuses, h.caseOf(id).Status) }
	})
	c := h.open(offboard.Involuntary, "2026-11-25")
	id = c.ID
	h.succeedAll()
	h.refuse(offboard.CancelCase{By: stranger, CaseID: c.ID, Reason: "x"}, offboard.EFORBIDDEN, "may not cancel")
	if len(statuses) != 0 {
		t.Fatalf("AfterClose ran %d times before any case closed", len(statuses))
	}
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "opened by mistake"})
	if len(statuses) != 1 || statuses[0] != offboard.CaseCancelled {
		t.Fatalf("AfterClose saw %v, want one call after the cancellation committed", statuses)
	}
}
