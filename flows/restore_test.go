package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// lease marks a queued action job as held by a worker, as the runner
// does before it calls the connector.
func (h *harness) lease(key string) *offboard.Job {
	h.t.Helper()
	for _, j := range h.actionJobs() {
		if j.TaskKey != key {
			continue
		}
		if err := h.db.Update(h.ctx, func(tx offboard.Tx) error {
			j.Leased, j.LeasedAt = true, h.clock.Now()
			return tx.PutJob(j)
		}); err != nil {
			h.t.Fatal(err)
		}
		return j
	}
	h.t.Fatalf("no queued job for %s", key)
	return nil
}

func (h *harness) succeed(j *offboard.Job) {
	h.t.Helper()
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true,
		Evidence: map[string]string{"okta_user_id": "00ujane", "status_before": "ACTIVE", "status_after": "SUSPENDED"}})
}

// checkRestoreTask asserts the visible restore task IT gets on a
// cancelled case whose revocations took effect.
func checkRestoreTask(t *testing.T, h *harness, id offboard.CaseID) *offboard.Task {
	t.Helper()
	if c := h.caseOf(id); c.Status != offboard.CaseCancelled {
		t.Fatalf("case is %s, want cancelled", c.Status)
	}
	r := h.task(id, "restore_okta")
	if r.Department != offboard.DeptIT || r.Action != "okta.restore" || !r.Restore || r.Status != offboard.TaskPending {
		t.Fatalf("restore task = %+v", r)
	}
	if r.Params["okta_user"] != "00ujane" {
		t.Errorf("restore targets %q, want the user the suspend acted on (00ujane)", r.Params["okta_user"])
	}
	if !strings.Contains(r.Note, "Suspend the Okta account") {
		t.Errorf("note %q does not name what was revoked", r.Note)
	}
	if !slices.Contains(h.auditActions(id), "task.restore_needed") {
		t.Errorf("no task.restore_needed audit in %v", h.auditActions(id))
	}
	ns := h.notices(offboard.NoticeRestoreNeeded, "")
	if len(ns) != 1 || ns[0].Department != offboard.DeptIT || ns[0].TaskKey != "restore_okta" {
		t.Fatalf("restore notices = %+v, want one to IT", ns)
	}
	return r
}

// TestEngine_CancelCase_AfterRevocationLeavesRestoreTask: HR cancels a
// case ("termination rescinded") after the suspend succeeded. The person
// must not stay suspended with nothing telling IT: IT gets a Restore task
// that runs on the cancelled case, and it says what cannot come back.
func TestEngine_CancelCase_AfterRevocationLeavesRestoreTask(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	for _, j := range h.actionJobs() {
		h.succeed(j)
	}
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "termination rescinded"})
	r := checkRestoreTask(t, h, c.ID)
	for _, want := range []string{"sessions", "enrol MFA again", "OAuth"} {
		if !strings.Contains(r.Note, want) {
			t.Errorf("note %q does not say what cannot be restored (%q)", r.Note, want)
		}
	}

	// Only IT may run it; other tasks of the cancelled case stay closed.
	h.refuse(offboard.StartTask{By: finance, CaseID: c.ID, TaskKey: "restore_okta"}, offboard.EFORBIDDEN, "the IT team can")
	h.refuse(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_deactivate"}, offboard.ECONFLICT, "cancelled")
	res := h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "restore_okta"})
	if res.JobsQueued != 1 {
		t.Fatalf("restore queued %d jobs", res.JobsQueued)
	}
	jobs := h.actionJobs()
	if len(jobs) != 1 || jobs[0].Action != "okta.restore" || jobs[0].Params["okta_user"] != "00ujane" {
		t.Fatalf("jobs after restore click = %+v", jobs)
	}
	h.apply(offboard.ActionSucceeded{By: runner, JobID: jobs[0].ID, Verified: true,
		Evidence: map[string]string{"status_before": "SUSPENDED", "status_after": "ACTIVE"}})
	if got := h.task(c.ID, "restore_okta"); got.Status != offboard.TaskDone || got.Evidence["status_after"] != "ACTIVE" {
		t.Fatalf("restore after success = %s %v", got.Status, got.Evidence)
	}
	if c := h.caseOf(c.ID); c.Status != offboard.CaseCancelled {
		t.Fatalf("case became %s", c.Status)
	}
}

// TestEngine_ActionSucceeded_AfterCancelLeavesRestoreTask: the suspend
// was already running (its job leased by a worker) when HR cancelled; it
// completed afterwards. The result on the cancelled case is what must
// leave the restore task.
func TestEngine_ActionSucceeded_AfterCancelLeavesRestoreTask(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"})
	j := h.lease("okta_suspend")
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "termination rescinded"})
	if slices.ContainsFunc(h.view(c.ID), func(t *offboard.Task) bool { return t.Restore }) {
		t.Fatal("a restore task before anything was revoked")
	}
	if msg := h.lastCancelMessage(c.ID); !strings.Contains(msg, "Suspend the Okta account is still running") {
		t.Errorf("cancel audit %q does not warn that a revocation is still running", msg)
	}
	h.succeed(j)
	checkRestoreTask(t, h, c.ID)

	// A second result (a retry after a crash) adds nothing.
	n := len(h.view(c.ID))
	h.refuse(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true}, offboard.ENOTFOUND, j.ID)
	if got := len(h.view(c.ID)); got != n {
		t.Fatalf("%d tasks after a repeated result, want %d", got, n)
	}
}

// TestEngine_CancelCase_NothingRevokedNoRestore: a case cancelled before
// any revocation ran needs no restore.
func TestEngine_CancelCase_NothingRevokedNoRestore(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "stays"})
	if slices.ContainsFunc(h.view(c.ID), func(t *offboard.Task) bool { return t.Restore }) {
		t.Fatal("restore task on a case where nothing was revoked")
	}
	if n := len(h.notices(offboard.NoticeRestoreNeeded, "")); n != 0 {
		t.Fatalf("%d restore notices", n)
	}
}

func (h *harness) view(id offboard.CaseID) []*offboard.Task {
	h.t.Helper()
	var out []*offboard.Task
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		out, err = tx.Tasks(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) lastCancelMessage(id offboard.CaseID) string {
	h.t.Helper()
	msg := ""
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if e.Action == "case.cancelled" {
			msg = e.Detail
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return msg
}
