package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestEngine_StartTask_UnsettledDependencies: on a voluntary case IT's
// "Deactivate" deprovisioned the account at once while the Drive and mail
// transfers still waited for the manager. Running a task before the tasks
// it waits for needs an override with a reason, and the audit says so.
func TestEngine_StartTask_UnsettledDependencies(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	start := offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_deactivate"}

	n := h.auditCount()
	h.refuse(start, offboard.ECONFLICT, "waits for Suspend the Okta account (scheduled), Clear Okta sessions and OAuth tokens (scheduled), "+
		"Transfer Drive ownership (waiting for approval), Set up mail forwarding or delegation (waiting for approval)")
	h.refuse(start, offboard.ECONFLICT, "unassigns every app")
	if got := h.auditCount(); got != n+2 {
		t.Fatalf("%d audit events for two refusals", got-n)
	}
	if st := h.task(c.ID, "okta_deactivate").Status; st == offboard.TaskRunning {
		t.Fatal("deactivation ran without an override")
	}
	if jobs := h.actionJobs(); len(jobs) != 0 {
		t.Fatalf("%d jobs queued by a refused start", len(jobs))
	}

	// An override without a reason is not enough.
	noReason := start
	noReason.Override = true
	h.refuse(noReason, offboard.EINVALID, "a reason is required")

	// With a reason it runs, and the audit records the override.
	withReason := noReason
	withReason.Reason = "  legal hold: the manager confirmed nothing needs keeping  "
	r := h.apply(withReason)
	if r.JobsQueued != 1 || h.task(c.ID, "okta_deactivate").Status != offboard.TaskRunning {
		t.Fatalf("override: %d jobs, status %s", r.JobsQueued, h.task(c.ID, "okta_deactivate").Status)
	}
	var ev *offboard.AuditEvent
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(e *offboard.AuditEvent) error {
		if e.Action == "task.order_overridden" {
			ev = e
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ev == nil {
		t.Fatalf("no task.order_overridden event in %v", h.auditActions(c.ID))
	}
	if ev.Actor.Email != it.Email || ev.Target != "okta_deactivate" || ev.Evidence["override"] != "true" ||
		ev.Evidence["reason"] != "legal hold: the manager confirmed nothing needs keeping" ||
		ev.Evidence["unsettled"] != "okta_suspend, okta_clear_sessions, transfer_drive, mail_forwarding, legal_hold" ||
		!strings.Contains(ev.Evidence["risk"], "unassigns every app") {
		t.Fatalf("override audit = %+v", ev)
	}
	acts := h.auditActions(c.ID)
	if i, j := slices.Index(acts, "task.order_overridden"), slices.Index(acts, "task.started"); i < 0 || j < i {
		t.Fatalf("audit order %v: the override must precede the start", acts)
	}
}

// TestEngine_StartTask_SettledDependenciesNeedNoOverride: once the tasks
// it waits for are settled, or its max_wait ran out (the playbook says
// run anyway), a task starts without an override.
func TestEngine_StartTask_SettledDependenciesNeedNoOverride(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	h.succeedAll()
	for _, key := range []string{"transfer_drive", "mail_forwarding"} {
		h.apply(offboard.SkipTask{By: it, CaseID: c.ID, TaskKey: key, Reason: "nothing to keep"})
	}
	h.apply(offboard.SkipTask{By: hr, CaseID: c.ID, TaskKey: "legal_hold", Reason: "no litigation pending"})
	// Skipping settles them: advance already ran deactivation by itself.
	if st := h.task(c.ID, "okta_deactivate").Status; st != offboard.TaskRunning {
		t.Fatalf("okta_deactivate = %s after its dependencies settled, want running", st)
	}

	h2 := newHarness(t)
	c2 := h2.open(offboard.Involuntary, "")
	h2.succeedAll()
	h2.clock.Advance(7*24*60*60*1e9 + 1)
	// Past max_wait the task may run without an override (a Tick would
	// run it too).
	h2.apply(offboard.StartTask{By: it, CaseID: c2.ID, TaskKey: "okta_deactivate"})
	if slices.Contains(h2.auditActions(c2.ID), "task.order_overridden") {
		t.Fatal("an override was recorded where none was needed")
	}
}
