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
