package flows_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func (h *harness) job(id string) *offboard.Job {
	h.t.Helper()
	var j *offboard.Job
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		j, err = tx.Job(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return j
}

func (h *harness) countAudit(id offboard.CaseID, action, target string) int {
	h.t.Helper()
	n := 0
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if e.Action == action && e.Target == target {
			n++
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) jobFor(key string) *offboard.Job {
	h.t.Helper()
	for _, j := range h.actionJobs() {
		if j.TaskKey == key {
			return j
		}
	}
	h.t.Fatalf("no ready job for %s", key)
	return nil
}

func TestEngine_Apply_actionInProgress(t *testing.T) {
	h := newHarness(t)
	cs := h.open(offboard.Involuntary, "")
	j := h.jobFor("okta_suspend")

	// Started, not finished: the task stays running, the job waits for the
	// default check delay, and no attempt is counted.
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "queued at the vendor",
		Evidence: map[string]string{"vendor_state": "queued"}})
	tk := h.task(cs.ID, "okta_suspend")
	if tk.Status != offboard.TaskRunning || tk.Progress != "queued at the vendor" || tk.Attempts != 0 {
		t.Fatalf("task = %s progress %q attempts %d, want running, the summary, 0", tk.Status, tk.Progress, tk.Attempts)
	}
	if tk.Evidence["vendor_state"] != "queued" {
		t.Errorf("task evidence %v lacks the progress evidence", tk.Evidence)
	}
	got := h.job(j.ID)
	if got.Leased || got.Attempts != 0 || !got.NotBefore.Equal(h.clock.Now().Add(offboard.DefaultCheckAfter)) {
		t.Errorf("job leased=%v attempts=%d not_before=%s, want free, 0, now+%s", got.Leased, got.Attempts, got.NotBefore, offboard.DefaultCheckAfter)
	}
	for _, r := range h.actionJobs() {
		if r.ID == j.ID {
			t.Error("the job in progress is ready again at once")
		}
	}

	// The same progress again: nothing new for the audit chain.
	h.clock.Advance(time.Minute)
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "queued at the vendor",
		Evidence: map[string]string{"vendor_state": "queued"}})
	if n := h.countAudit(cs.ID, "task.progress", "okta_suspend"); n != 1 {
		t.Errorf("%d task.progress entries after two checks with the same summary, want 1", n)
	}

	// New progress: audited; a day-long check delay is capped.
	h.clock.Advance(time.Minute)
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "half done", CheckAfter: 24 * time.Hour})
	if n := h.countAudit(cs.ID, "task.progress", "okta_suspend"); n != 2 {
		t.Errorf("%d task.progress entries after a new summary, want 2", n)
	}
	if got := h.job(j.ID); !got.NotBefore.Equal(h.clock.Now().Add(offboard.MaxCheckAfter)) {
		t.Errorf("check at %s, want capped at now+%s", got.NotBefore, offboard.MaxCheckAfter)
	}
	if h.task(cs.ID, "okta_suspend").Progress != "half done" {
		t.Error("progress not updated")
	}

	// Done: one attempt, the final evidence, no progress left.
	h.clock.Advance(time.Hour)
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Evidence: map[string]string{"status": "SUSPENDED"}})
	tk = h.task(cs.ID, "okta_suspend")
	if tk.Status != offboard.TaskDone || tk.Attempts != 1 || tk.Progress != "" || tk.Evidence["attempt"] != "1" || tk.Evidence["status"] != "SUSPENDED" {
		t.Errorf("done task: status %s attempts %d progress %q evidence %v", tk.Status, tk.Attempts, tk.Progress, tk.Evidence)
	}
}

// A case cancelled while its action waits for the next check: the job
// goes with the case (as every queued job does), and a late report finds
// nothing to record.
func TestEngine_Apply_actionInProgressCaseCancelled(t *testing.T) {
	h := newHarness(t)
	cs := h.open(offboard.Involuntary, "")
	j := h.jobFor("okta_revoke_grants")
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "still working"})
	h.apply(offboard.CancelCase{By: hr, CaseID: cs.ID, Reason: "rehired"})
	if tk := h.task(cs.ID, "okta_revoke_grants"); tk.Status != offboard.TaskSkipped {
		t.Errorf("task %s after the cancel, want skipped", tk.Status)
	}
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error { _, err := tx.Job(j.ID); return err }); offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Errorf("job after the cancel: %v, want not found", err)
	}
	h.refuse(offboard.ActionSucceeded{By: runner, JobID: j.ID, InProgress: true, Summary: "still working"}, offboard.ENOTFOUND, j.ID)
}
