package flows_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

var revocationKeys = []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}

func TestEngine_OpenCase_InvoluntaryRevokesAtOnce(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	if !c.Confidential {
		t.Error("an involuntary case must be confidential by default")
	}
	if !c.RevokeAt.Equal(start) {
		t.Errorf("RevokeAt = %v, want the notice time %v", c.RevokeAt, start)
	}
	if c.LastDay != "2026-11-25" {
		t.Errorf("LastDay = %q, want today", c.LastDay)
	}
	for _, key := range revocationKeys {
		if st := h.task(c.ID, key).Status; st != offboard.TaskRunning {
			t.Errorf("%s: status %s, want running", key, st)
		}
	}
	// Deactivation waits for the data transfers.
	if st := h.task(c.ID, "okta_deactivate").Status; st != offboard.TaskPending {
		t.Errorf("okta_deactivate: %s, want pending (waiting for data tasks)", st)
	}
	jobs := h.readyJobs()
	if len(jobs) == 0 {
		t.Fatal("no jobs queued")
	}
	// Revocation jobs come first, in the playbook's safe order.
	for i, j := range jobs[:len(revocationKeys)] {
		if j.Priority != offboard.PriorityRevocation || j.TaskKey != revocationKeys[i] {
			t.Errorf("job %d is %s (%s), want %s", i, j.ID, j.Priority, revocationKeys[i])
		}
	}
	// Chat waits behind revocation; reports wait behind chat.
	notice := slices.IndexFunc(jobs, func(j *offboard.Job) bool { return j.Kind == offboard.JobNotify })
	if notice < len(revocationKeys) {
		t.Errorf("the chat notice is job %d, want it behind the %d revocations", notice, len(revocationKeys))
	}
	if last := jobs[len(jobs)-1]; last.Priority != offboard.PriorityReport {
		t.Errorf("last job = %s (%s), want the report", last.ID, last.Priority)
	}
}

func TestEngine_OpenCase_VoluntarySchedulesAtLastDay(t *testing.T) {
	h := newHarness(t)
	r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Name: "Jane Doe", Email: jane.Email, ManagerEmail: manager.Email, TimeZone: "America/Los_Angeles"}})
	c := r.Case
	want := time.Date(2026, 12, 31, 18, 0, 0, 0, mustLoc(t, "America/Los_Angeles"))
	if !c.RevokeAt.Equal(want) {
		t.Fatalf("RevokeAt = %v, want %v (18:00 Pacific)", c.RevokeAt, want)
	}
	if c.Confidential {
		t.Error("a voluntary case is not confidential by default")
	}
	sus := h.task(c.ID, "okta_suspend")
	if sus.Status != offboard.TaskScheduled || sus.RunAt == nil || !sus.RunAt.Equal(want) {
		t.Fatalf("okta_suspend = %s at %v, want scheduled at %v", sus.Status, sus.RunAt, want)
	}
	if n := len(h.actionJobs()); n != 0 {
		t.Fatalf("%d action jobs queued before the last day, want 0", n)
	}

	// A tick one minute early does nothing.
	h.clock.Set(want.Add(-time.Minute))
	if res := h.apply(offboard.Tick{By: sched}); res.Advanced != 0 {
		t.Fatalf("early tick advanced %d tasks", res.Advanced)
	}
	// At 18:00 Pacific the revocations run.
	h.clock.Set(want)
	res := h.apply(offboard.Tick{By: sched})
	if res.Advanced < len(revocationKeys) {
		t.Fatalf("tick advanced %d, want at least %d", res.Advanced, len(revocationKeys))
	}
	for _, key := range revocationKeys {
		if st := h.task(c.ID, key).Status; st != offboard.TaskRunning {
			t.Errorf("%s: %s, want running", key, st)
		}
	}
	// A second tick at the same time queues nothing twice.
	before := len(h.actionJobs())
	h.apply(offboard.Tick{By: sched})
	if after := len(h.actionJobs()); after != before {
		t.Fatalf("second tick queued %d more jobs", after-before)
	}
}

func TestEngine_StartTask_EarlyByIT(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.refuse(offboard.StartTask{By: finance, CaseID: c.ID, TaskKey: "okta_suspend"}, offboard.EFORBIDDEN, "the IT team can")
	r := h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"})
	if r.JobsQueued != 1 {
		t.Fatalf("JobsQueued = %d, want 1", r.JobsQueued)
	}
	if st := h.task(c.ID, "okta_suspend").Status; st != offboard.TaskRunning {
		t.Fatalf("status %s, want running", st)
	}
	h.refuse(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"}, offboard.ECONFLICT, "already running")
}

func TestEngine_Approvals(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	tr := h.task(c.ID, "transfer_drive")
	if tr.Status != offboard.TaskWaitingApproval || tr.Params["to"] != manager.Email {
		t.Fatalf("transfer_drive = %s %v, want waiting_approval to the manager", tr.Status, tr.Params)
	}
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if a.Approver != manager.Email {
		t.Fatalf("approver = %s, want the manager", a.Approver)
	}

	cases := []struct {
		name string
		cmd  offboard.Command
		code string
		msg  string
	}{
		{"task cannot be done before approval", offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "transfer_drive"}, offboard.ECONFLICT, "waits for approval"},
		{"requester cannot approve own request", offboard.DecideApproval{By: hr, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "so someone else decides it: only mona.manager@example.com or their delegates can decide this"},
		{"departing employee cannot approve", offboard.DecideApproval{By: jane, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "person leaving"},
		{"a stranger cannot approve", offboard.DecideApproval{By: stranger, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "only " + manager.Email},
		{"unknown approval", offboard.DecideApproval{By: manager, ApprovalID: "OFF-0001-A999", Approve: true}, offboard.ENOTFOUND, "OFF-0001-A999"},
		{"stale view", offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true, ParamsHash: "0000"}, offboard.ECONFLICT, "changed since"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := h.auditCount()
			h.refuse(tc.cmd, tc.code, tc.msg)
			if got := h.auditCount(); got != n+1 {
				t.Fatalf("audit events %d → %d, want exactly one refusal entry", n, got)
			}
			if last := h.lastAudit(); last.Outcome != offboard.OutcomeRefused {
				t.Fatalf("last audit outcome %s, want refused", last.Outcome)
			}
			if st := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending).Status; st != offboard.ApprovalPending {
				t.Fatalf("approval became %s", st)
			}
		})
	}

	// IT changes the target: the pending approval is void and a new one asked.
	h.apply(offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "transfer_drive", Params: map[string]string{"to": "bob.peer@example.com"}})
	if old := h.approvals(c.ID)[0]; old.ID != a.ID || old.Status != offboard.ApprovalVoid {
		t.Fatalf("old approval %s is %s, want void", old.ID, old.Status)
	}
	h.refuse(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true}, offboard.ECONFLICT, "already void")
	a2 := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if a2.Params["to"] != "bob.peer@example.com" {
		t.Fatalf("new approval params %v", a2.Params)
	}
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a2.ID, Approve: true, Comment: "ok", ParamsHash: a2.ParamsHash})
	if st := h.task(c.ID, "transfer_drive").Status; st != offboard.TaskPending {
		t.Fatalf("after approval: %s, want pending", st)
	}
	h.apply(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "transfer_drive", Note: "transferred"})
	done := h.task(c.ID, "transfer_drive")
	if done.Status != offboard.TaskDone || done.CompletedBy != it.Email {
		t.Fatalf("transfer_drive = %s by %q", done.Status, done.CompletedBy)
	}
	// Approved, then the target changes again: the approval no longer covers it.
	h.apply(offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "mail_forwarding", Params: map[string]string{"to": "bob.peer@example.com"}})
	a3 := h.approvalFor(c.ID, "mail_forwarding", offboard.ApprovalPending)
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a3.ID, Approve: true})
	h.apply(offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "mail_forwarding", Params: map[string]string{"to": "eve.other@example.com"}})
	if st := h.approvals(c.ID); !slices.ContainsFunc(st, func(a *offboard.Approval) bool { return a.ID == a3.ID && a.Status == offboard.ApprovalVoid }) {
		t.Fatal("changing the target must void the earlier yes")
	}
	h.refuse(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "mail_forwarding"}, offboard.ECONFLICT, "waits for approval")
}

func TestEngine_Deny(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: false, Comment: "send it to legal"})
	tr := h.task(c.ID, "transfer_drive")
	if tr.Status != offboard.TaskWaitingApproval || !strings.Contains(tr.LastError, "send it to legal") {
		t.Fatalf("after deny: %s %q", tr.Status, tr.LastError)
	}
}

func TestEngine_WrongActorRefused(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	cases := []struct {
		name string
		cmd  offboard.Command
		code string
		msg  string
	}{
		{"finance cannot open cases", offboard.OpenCase{By: finance, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "x@example.com"}}, offboard.EFORBIDDEN, "HR and admins can"},
		{"nobody opens their own case", offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31", Employee: offboard.Employee{Email: hr.Email}}, offboard.EFORBIDDEN, "for themselves"},
		{"finance cannot cancel", offboard.CancelCase{By: finance, CaseID: c.ID, Reason: "x"}, offboard.EFORBIDDEN, "HR and admins can"},
		{"the employee cannot skip", offboard.SkipTask{By: jane, CaseID: c.ID, TaskKey: "exit_interview", Reason: "no"}, offboard.EFORBIDDEN, "person leaving"},
		{"security cannot complete finance tasks", offboard.CompleteTask{By: security, CaseID: c.ID, TaskKey: "cancel_card"}, offboard.EFORBIDDEN, "Finance team"},
		{"a person cannot report action results", offboard.ActionSucceeded{By: admin, JobID: "x"}, offboard.EFORBIDDEN, "workers"},
		{"a person cannot tick", offboard.Tick{By: admin}, offboard.EFORBIDDEN, "scheduler"},
		{"no actor", offboard.SkipTask{CaseID: c.ID, TaskKey: "exit_interview", Reason: "x"}, offboard.EFORBIDDEN, "no actor"},
		{"claimed roles are not trusted", offboard.CancelCase{By: offboard.Actor{Kind: offboard.ActorPerson, Email: stranger.Email, Roles: []offboard.Role{offboard.RoleAdmin}}, CaseID: c.ID, Reason: "x"}, offboard.EFORBIDDEN, "may not cancel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.caseOf(c.ID)
			n := h.auditCount()
			h.refuse(tc.cmd, tc.code, tc.msg)
			if h.auditCount() != n+1 {
				t.Fatal("a refused attempt must leave exactly one audit entry")
			}
			after := h.caseOf(c.ID)
			if after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatal("a refused command changed the case")
			}
		})
	}
}

func TestEngine_BadInput(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	emp := offboard.Employee{Email: "kim@example.com"}
	cases := []struct {
		name string
		cmd  offboard.Command
		code string
		msg  string
	}{
		{"bad email", offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "not-an-email"}}, offboard.EINVALID, "not an email"},
		{"bad kind", offboard.OpenCase{By: hr, Kind: "fired", Employee: emp}, offboard.EINVALID, "unknown departure kind"},
		{"voluntary without last day", offboard.OpenCase{By: hr, Kind: offboard.Voluntary, Employee: emp}, offboard.EINVALID, "needs a last day"},
		{"last day in the past", offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-11-01", Employee: emp}, offboard.EINVALID, "in the past"},
		{"not a date", offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "31/12/2026", Employee: emp}, offboard.EINVALID, "not a date"},
		{"bad time zone", offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: "kim@example.com", TimeZone: "Mars/Olympus"}}, offboard.EINVALID, "unknown time zone"},
		{"unknown playbook", offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: emp, Playbook: "nope"}, offboard.EINVALID, "unknown playbook"},
		{"second open case", offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: jane.Email}}, offboard.ECONFLICT, string(c.ID)},
		{"unknown case", offboard.CancelCase{By: hr, CaseID: "OFF-0999", Reason: "x"}, offboard.ENOTFOUND, "OFF-0999"},
		{"unknown task", offboard.SkipTask{By: hr, CaseID: c.ID, TaskKey: "nope", Reason: "x"}, offboard.ENOTFOUND, "nope"},
		{"skip without reason", offboard.SkipTask{By: hr, CaseID: c.ID, TaskKey: "exit_interview"}, offboard.EINVALID, "reason is required"},
		{"cancel without reason", offboard.CancelCase{By: hr, CaseID: c.ID}, offboard.EINVALID, "reason is required"},
		{"automated task completed by hand", offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"}, offboard.ECONFLICT, "runs by itself"},
		{"transfer to the leaver", offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "transfer_drive", Params: map[string]string{"to": jane.Email}}, offboard.EINVALID, "person who is leaving"},
		{"approval on a task without one", offboard.RequestApproval{By: it, CaseID: c.ID, TaskKey: "okta_suspend"}, offboard.EINVALID, "needs no approval"},
		{"unknown job", offboard.ActionSucceeded{By: runner, JobID: "OFF-0001/x#1"}, offboard.ENOTFOUND, "OFF-0001/x#1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := h.auditCount()
			h.refuse(tc.cmd, tc.code, tc.msg)
			if h.auditCount() != n+1 {
				t.Fatal("want one audit entry for the refused attempt")
			}
		})
	}
	// Done twice.
	h.apply(offboard.CompleteTask{By: hr, CaseID: c.ID, TaskKey: "exit_interview"})
	h.refuse(offboard.CompleteTask{By: hr, CaseID: c.ID, TaskKey: "exit_interview"}, offboard.ECONFLICT, "already done")
}

func TestEngine_DedupeKey(t *testing.T) {
	h := newHarness(t)
	cmd := offboard.OpenCase{By: offboard.System("hris:bamboohr"), Kind: offboard.Involuntary, DedupeKey: "bamboohr:evt-1",
		Employee: offboard.Employee{Email: jane.Email}}
	first := h.apply(cmd)
	second := h.apply(cmd)
	if !second.Duplicate || second.Case.ID != first.Case.ID {
		t.Fatalf("second delivery: duplicate=%v id=%s, want the same case", second.Duplicate, second.Case.ID)
	}
	if second.JobsQueued != 0 {
		t.Fatalf("duplicate queued %d jobs", second.JobsQueued)
	}
}

func TestEngine_CancelCase(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"})
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "the employee stays"})
	got := h.caseOf(c.ID)
	if got.Status != offboard.CaseCancelled || got.CancelReason != "the employee stays" || got.ClosedAt == nil {
		t.Fatalf("case = %s %q", got.Status, got.CancelReason)
	}
	if st := h.task(c.ID, "okta_clear_sessions").Status; st != offboard.TaskSkipped {
		t.Fatalf("scheduled task: %s, want skipped", st)
	}
	if n := len(h.actionJobs()); n != 0 {
		t.Fatalf("%d action jobs left after cancel", n)
	}
	for _, a := range h.approvals(c.ID) {
		if a.Status != offboard.ApprovalVoid {
			t.Fatalf("approval %s is %s after cancel, want void", a.ID, a.Status)
		}
	}
	h.refuse(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "again"}, offboard.ECONFLICT, "already cancelled")
	h.refuse(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_clear_sessions"}, offboard.ECONFLICT, "cancelled")
	// Ticks far in the future run nothing on a cancelled case.
	h.clock.Set(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	h.apply(offboard.Tick{By: sched})
	if n := len(h.actionJobs()); n != 0 {
		t.Fatalf("tick queued %d jobs on a cancelled case", n)
	}
}

func TestEngine_Completion(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	h.clock.Advance(90 * time.Second)
	if n := h.succeedAll(); n < len(revocationKeys) {
		t.Fatalf("reported %d results, want at least %d", n, len(revocationKeys))
	}
	got := h.caseOf(c.ID)
	if got.RevokedAt == nil {
		t.Fatal("RevokedAt not set after every revocation task succeeded")
	}
	if ttr, _ := got.TimeToRevocation(); ttr != 90*time.Second {
		t.Fatalf("time to revocation = %s, want 1m30s", ttr)
	}
	for _, key := range revocationKeys {
		tk := h.task(c.ID, key)
		if tk.Status != offboard.TaskDone || tk.Evidence["status_after"] != "SUSPENDED" || tk.Evidence["job"] == "" {
			t.Fatalf("%s = %s evidence %v", key, tk.Status, tk.Evidence)
		}
	}
	// Approve and finish the data tasks; deactivation still waits for
	// Legal's hold review, then runs.
	for _, key := range []string{"transfer_drive", "mail_forwarding"} {
		a := h.approvalFor(c.ID, key, offboard.ApprovalPending)
		h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true})
		h.apply(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: key})
	}
	if st := h.task(c.ID, "okta_deactivate").Status; st == offboard.TaskRunning {
		t.Fatal("okta_deactivate runs before Legal reviewed the hold")
	}
	h.apply(offboard.CompleteTask{By: legal, CaseID: c.ID, TaskKey: "legal_hold"})
	if st := h.task(c.ID, "okta_deactivate").Status; st != offboard.TaskRunning {
		t.Fatalf("okta_deactivate: %s, want running once the data tasks are done", st)
	}
	h.succeedAll()
	// The laptop is done once it is recorded received and wiped; people
	// finish the rest; one task is skipped with a reason.
	h.refuse(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "device_recover"}, offboard.ECONFLICT, "record the return")
	h.apply(offboard.RecordDeviceReturn{By: it, CaseID: c.ID, TaskKey: "device_recover",
		Return: offboard.DeviceReturn{ReceivedOn: h.clock.Now().Format("2006-01-02"), Wiped: true, WipedBy: it.Email}})
	for _, tc := range []struct {
		by  offboard.Actor
		key string
	}{{finance, "cancel_card"}, {finance, "final_expenses"}, {security, "rotate_shared_credentials"},
		{security, "review_access_logs"}, {security, "remove_from_vault"}} {
		if h.caseOf(c.ID).Status != offboard.CaseOpen {
			t.Fatalf("case closed early, before %s", tc.key)
		}
		h.apply(offboard.CompleteTask{By: tc.by, CaseID: c.ID, TaskKey: tc.key})
	}
	h.apply(offboard.SkipTask{By: hr, CaseID: c.ID, TaskKey: "signed_documents", Reason: "signed at hiring"})
	got = h.caseOf(c.ID)
	if got.Status != offboard.CaseCompleted {
		t.Fatalf("status %s, want completed", got.Status)
	}
	if st := h.task(c.ID, "exit_interview").Status; st != offboard.TaskSkipped {
		t.Fatalf("optional exit_interview: %s, want skipped at completion", st)
	}
	acts := h.auditActions(c.ID)
	for _, want := range []string{"case.opened", "task.started", "task.done", "case.access_revoked", "approval.approved", "task.skipped", "case.completed"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
	res, err := h.db.VerifyAudit(h.ctx)
	if err != nil || !res.OK {
		t.Fatalf("audit chain: %+v %v", res, err)
	}
}

func TestEngine_DeactivateWaitsThenRunsAfterMaxWait(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.DeactivateAfter = 72 * time.Hour })
	c := h.open(offboard.Involuntary, "")
	h.succeedAll()
	de := h.task(c.ID, "okta_deactivate")
	if de.Status != offboard.TaskPending || de.RunAt == nil || !de.RunAt.Equal(start.Add(72*time.Hour)) {
		t.Fatalf("okta_deactivate = %s at %v, want pending with deadline +72h", de.Status, de.RunAt)
	}
	h.clock.Set(start.Add(71 * time.Hour))
	h.apply(offboard.Tick{By: sched})
	if st := h.task(c.ID, "okta_deactivate").Status; st != offboard.TaskPending {
		t.Fatalf("before max wait: %s", st)
	}
	h.clock.Set(start.Add(72 * time.Hour))
	h.apply(offboard.Tick{By: sched})
	if st := h.task(c.ID, "okta_deactivate").Status; st != offboard.TaskRunning {
		t.Fatalf("after max wait: %s, want running", st)
	}
}

func TestEngine_ActionFailed(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.MaxAttempts = 2 })
	c := h.open(offboard.Involuntary, "")
	job := h.actionJobs()[0]

	// Rate limited: deferred, no attempt counted.
	h.apply(offboard.ActionFailed{By: runner, JobID: job.ID, Error: "okta rate limit", RateLimited: true, RetryAt: start.Add(time.Minute)})
	if n := len(h.readyJobs()); slices.ContainsFunc(h.readyJobs(), func(j *offboard.Job) bool { return j.ID == job.ID }) {
		t.Fatalf("rate-limited job is ready again before its reset (%d ready)", n)
	}
	h.clock.Advance(time.Minute)
	// Retryable failure, then the last attempt fails: dead letter.
	h.apply(offboard.ActionFailed{By: runner, JobID: job.ID, Error: "connection reset", Retryable: true, RetryAt: h.clock.Now()})
	tk := h.task(c.ID, job.TaskKey)
	if tk.Status != offboard.TaskRunning || tk.Attempts != 1 || tk.LastError != "connection reset" {
		t.Fatalf("after a retryable failure: %s attempts=%d err=%q", tk.Status, tk.Attempts, tk.LastError)
	}
	h.apply(offboard.ActionFailed{By: runner, JobID: job.ID, Error: "connection reset", Retryable: true, RetryAt: h.clock.Now()})
	tk = h.task(c.ID, job.TaskKey)
	if tk.Status != offboard.TaskFailed {
		t.Fatalf("after max attempts: %s, want failed", tk.Status)
	}
	dead, err := h.db.DeadJobs(h.ctx)
	if err != nil || len(dead) != 1 || dead[0].ID != job.ID {
		t.Fatalf("dead letters = %v %v", dead, err)
	}
	// Reporting the same job again changes nothing.
	h.refuse(offboard.ActionSucceeded{By: runner, JobID: job.ID, Verified: true}, offboard.ENOTFOUND, job.ID)
	// A person retries it: a new job with a new id.
	r := h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: job.TaskKey})
	if r.JobsQueued != 1 || h.task(c.ID, job.TaskKey).Runs != 2 {
		t.Fatal("retry by IT did not queue a second run")
	}
	// Unverified: shown as such, and a person may confirm with a note.
	j2 := h.actionJobs()[0]
	h.apply(offboard.ActionSucceeded{By: runner, JobID: j2.ID, Verified: false, Summary: "status still ACTIVE"})
	tk = h.task(c.ID, j2.TaskKey)
	if tk.Status != offboard.TaskUnverified || !strings.Contains(tk.LastError, "ACTIVE") {
		t.Fatalf("unverified: %s %q", tk.Status, tk.LastError)
	}
	h.refuse(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: j2.TaskKey}, offboard.EINVALID, "note is required")
	h.apply(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: j2.TaskKey, Note: "checked in the Okta admin console"})
	if st := h.task(c.ID, j2.TaskKey).Status; st != offboard.TaskDone {
		t.Fatalf("confirmed by hand: %s", st)
	}
}

func TestEngine_ConfiguredPlaybook(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) {
		o.Playbooks = []offboard.Playbook{
			{Name: "default", Remove: []string{"exit_interview"}},
			{Name: "contractors", Extends: "default", Kinds: []offboard.DepartureKind{offboard.ContractEnd},
				Remove: []string{"cancel_card", "final_expenses"}},
		}
	})
	r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.ContractEnd, LastDay: "2026-12-01", Employee: offboard.Employee{Email: "carl.contract@example.com"}})
	if r.Case.Playbook != "contractors" {
		t.Fatalf("playbook = %s", r.Case.Playbook)
	}
	for _, tk := range r.Tasks {
		if tk.Key == "cancel_card" || tk.Key == "exit_interview" {
			t.Fatalf("task %s should have been removed", tk.Key)
		}
	}
}

func TestNew_BadPlaybookNamesTask(t *testing.T) {
	_, err := flows.New(flows.Options{Store: nil})
	if err == nil {
		t.Fatal("no store accepted")
	}
	h := newHarness(t)
	_ = h
	_, err = flows.New(flows.Options{Store: h.db, Playbooks: []offboard.Playbook{{Name: "default",
		Tasks: []offboard.TaskTemplate{{Key: "wipe_laptop", Department: "it", Title: "Wipe", Action: "jamf.wipe", When: "sometime"}}}},
		KnownAction: func(id string) bool { return id == "manual" || strings.HasPrefix(id, "okta.") }})
	if err == nil {
		t.Fatal("bad playbook accepted")
	}
	for _, want := range []string{`task "wipe_laptop"`, `unknown action "jamf.wipe"`, `when "sometime"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEngine_Tick_FullBatchAsksForMore(t *testing.T) {
	h := newHarness(t)
	// 110 voluntary cases with the same last day: five automated tasks
	// each come due at the same moment, more than one batch.
	const cases = 110
	for i := range cases {
		h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Employee: offboard.Employee{Email: fmt.Sprintf("p%d@example.com", i), ManagerEmail: manager.Email}})
	}
	h.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	rounds, total := 0, 0
	for {
		rounds++
		res := h.apply(offboard.Tick{By: sched})
		total += res.Advanced
		if !res.More {
			break
		}
		if rounds > 10 {
			t.Fatal("ticks never drained the due tasks")
		}
	}
	if rounds < 2 {
		t.Fatalf("one tick took everything; want full batches of %d to ask for more", flows.TickBatch)
	}
	if n := len(h.actionJobs()); n != total || n < cases*len(revocationKeys) {
		t.Fatalf("%d action jobs queued (ticks reported %d), want every due task of every case", n, total)
	}
}

func TestEngine_TasksUpdatedNotices(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	noticeKinds := func() map[string]int {
		out := map[string]int{}
		for _, j := range h.readyJobs() {
			if j.Kind == offboard.JobNotify {
				out[string(j.Notice.Kind)+":"+string(j.Notice.Department)]++
			}
		}
		return out
	}
	if n := noticeKinds()["tasks_updated:it"]; n != 0 {
		t.Fatalf("opening a case queued %d card refreshes; case_opened covers it", n)
	}
	h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"})
	h.apply(offboard.CompleteTask{By: finance, CaseID: c.ID, TaskKey: "final_expenses"})
	got := noticeKinds()
	if got["tasks_updated:it"] != 1 || got["tasks_updated:finance"] != 1 || got["tasks_updated:hr"] != 0 {
		t.Fatalf("card refreshes %v, want one for it and one for finance", got)
	}
}

func TestEngine_RecordRoom(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	h.refuse(offboard.RecordRoom{By: it, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", ID: "C1"}}, offboard.EFORBIDDEN, "chat platforms")
	h.refuse(offboard.RecordRoom{By: runner, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack"}}, offboard.EINVALID, "needs an id")
	h.apply(offboard.RecordRoom{By: runner, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", ID: "C1", Name: "ofb-0001", HeaderRef: "1.1"}})
	h.apply(offboard.RecordRoom{By: runner, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", DepartmentCards: map[offboard.Department]string{"it": "1.2"}}})
	h.apply(offboard.RecordRoom{By: runner, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", DepartmentCards: map[offboard.Department]string{"hr": "1.3"}}})
	r, ok := h.caseOf(c.ID).Room("slack")
	if !ok || r.ID != "C1" || r.HeaderRef != "1.1" || r.DepartmentCards["it"] != "1.2" || r.DepartmentCards["hr"] != "1.3" {
		t.Fatalf("room = %+v", r)
	}
	n := 0
	for _, a := range h.auditActions(c.ID) {
		if a == "case.room_created" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d room_created audit events, want 1", n)
	}
}

func TestEngine_FindCases(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Name: "Alex Kim", Email: "alex.kim@example.com"}})
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Name: "Alex Moreau", Email: "amoreau@example.com"}})
	cases := []struct {
		who   offboard.Actor
		query string
		want  int
	}{
		{hr, "jane.doe@example.com", 1},
		{hr, "JANE.DOE@example.com", 1},
		{hr, string(c.ID), 1},
		{hr, "off-1", 1},
		{hr, "Jane", 1},
		{hr, "jane doe", 1},
		{hr, "jane.doe", 1},
		{hr, "doe", 1},
		{hr, "alex", 2},
		{hr, "moreau", 1},
		{hr, "nobody", 0},
		{hr, "al", 0}, // too short to match inside names
		{stranger, "jane", 0},
		{manager, "jane", 1}, // the manager sees their report's case
	}
	for _, tc := range cases {
		views, err := h.engine.FindCases(h.ctx, tc.who, tc.query)
		if err != nil && tc.want > 0 {
			t.Fatalf("%s %q: %v", tc.who, tc.query, err)
		}
		if len(views) != tc.want {
			t.Errorf("%s %q: %d cases, want %d", tc.who.Email, tc.query, len(views), tc.want)
		}
	}
}

func TestEngine_DelegateDecides(t *testing.T) {
	deputy := person("dana.deputy@example.com")
	h := newHarness(t, func(o *flows.Options) {
		o.Delegates = func(approver string) []string {
			if approver == manager.Email {
				return []string{deputy.Email}
			}
			return nil
		}
	})
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.refuse(offboard.DecideApproval{By: stranger, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "their delegate")
	h.apply(offboard.DecideApproval{By: deputy, ApprovalID: a.ID, Approve: true, Comment: "Mona is on leave"})
	got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalApproved)
	if got.Decisions[0].By != deputy.Email {
		t.Fatalf("decided by %s, want the delegate", got.Decisions[0].By)
	}
}

func TestEngine_OpenCase_LastTime(t *testing.T) {
	h := newHarness(t)
	r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31", LastTime: "12:30",
		Employee: offboard.Employee{Email: jane.Email, TimeZone: "Europe/Berlin"}})
	want := time.Date(2026, 12, 31, 12, 30, 0, 0, mustLoc(t, "Europe/Berlin"))
	if !r.Case.RevokeAt.Equal(want) {
		t.Fatalf("RevokeAt = %v, want %v", r.Case.RevokeAt, want)
	}
	h.refuse(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31", LastTime: "noon",
		Employee: offboard.Employee{Email: "kim@example.com"}}, offboard.EINVALID, "not a time")
}

func TestEngine_SecondNoticeUpdatesOpenCase(t *testing.T) {
	h := newHarness(t)
	hris := offboard.System("hris:bamboohr")
	first := h.apply(offboard.OpenCase{By: hris, Kind: offboard.Voluntary, LastDay: "2026-12-31", DedupeKey: "bamboohr:1:2026-12-31",
		Employee: offboard.Employee{Email: jane.Email, ManagerEmail: manager.Email}})
	if st := h.task(first.Case.ID, "okta_suspend").Status; st != offboard.TaskScheduled {
		t.Fatalf("voluntary suspend = %s", st)
	}
	// HR walks Jane out: the HRIS says involuntary, effective an hour ago.
	effective := start.Add(-time.Hour)
	second := h.apply(offboard.OpenCase{By: hris, Kind: offboard.Involuntary, DedupeKey: "bamboohr:1:2026-11-25", EffectiveAt: effective,
		Employee: offboard.Employee{Email: jane.Email}})
	if second.Case.ID != first.Case.ID || !second.Duplicate {
		t.Fatalf("second notice opened %s (duplicate=%v), want an update of %s", second.Case.ID, second.Duplicate, first.Case.ID)
	}
	c := h.caseOf(first.Case.ID)
	if c.Kind != offboard.Involuntary || !c.Confidential || !c.EffectiveAt.Equal(effective) || !c.ClockStart().Equal(effective) {
		t.Fatalf("case after escalation: kind %s confidential %v effective %v clock %v", c.Kind, c.Confidential, c.EffectiveAt, c.ClockStart())
	}
	for _, key := range revocationKeys {
		if st := h.task(c.ID, key).Status; st != offboard.TaskRunning {
			t.Errorf("%s = %s after escalation, want running", key, st)
		}
	}
	if !slices.Contains(h.auditActions(c.ID), "case.escalated") {
		t.Error("no case.escalated audit event")
	}
	// The same delivery again changes nothing; HR in chat gets a conflict.
	again := h.apply(offboard.OpenCase{By: hris, Kind: offboard.Involuntary, DedupeKey: "bamboohr:1:2026-11-25", Employee: offboard.Employee{Email: jane.Email}})
	if again.JobsQueued != 0 || !again.Duplicate {
		t.Fatalf("repeat delivery queued %d jobs", again.JobsQueued)
	}
	h.refuse(offboard.OpenCase{By: hr, Kind: offboard.Involuntary, Employee: offboard.Employee{Email: jane.Email}}, offboard.ECONFLICT, string(c.ID))
	// The clock counts from HR's effective time.
	h.clock.Advance(time.Minute)
	h.succeedAll()
	if d, ok := h.caseOf(c.ID).TimeToRevocation(); !ok || d != time.Hour+time.Minute {
		t.Fatalf("time to revocation = %s, want 1h1m from the effective time", d)
	}
}

func TestEngine_RevokeNow(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.refuse(offboard.RevokeNow{By: finance, CaseID: c.ID}, offboard.EFORBIDDEN, "the IT team can")
	r := h.apply(offboard.RevokeNow{By: it, CaseID: c.ID, Reason: "leaked the roadmap"})
	if r.JobsQueued != len(revocationKeys) {
		t.Fatalf("queued %d jobs, want the %d revocations", r.JobsQueued, len(revocationKeys))
	}
	for _, key := range revocationKeys {
		if st := h.task(c.ID, key).Status; st != offboard.TaskRunning {
			t.Errorf("%s = %s", key, st)
		}
	}
	if st := h.task(c.ID, "okta_deactivate").Status; st == offboard.TaskRunning {
		t.Error("revoke now must not deactivate before the data transfers")
	}
	h.refuse(offboard.RevokeNow{By: it, CaseID: c.ID}, offboard.ECONFLICT, "already run")
}

func TestEngine_UnverifiedTaskIsChased(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) {
		o.Escalation = flows.EscalationPolicy{RemindAfter: time.Hour}
		o.Departments = offboard.StandardDepartments()
		for i := range o.Departments {
			o.Departments[i].Lead = "lead@example.com"
		}
	})
	h.open(offboard.Involuntary, "")
	job := h.actionJobs()[0]
	h.apply(offboard.ActionSucceeded{By: runner, JobID: job.ID, Verified: false, Summary: "status still ACTIVE"})
	count := func(kind offboard.NoticeKind) int {
		n := 0
		for _, j := range h.readyJobs() {
			if j.Kind == offboard.JobNotify && j.Notice.Kind == kind && j.Notice.TaskKey == job.TaskKey {
				n++
			}
		}
		return n
	}
	h.apply(offboard.Tick{By: sched})
	if count(offboard.NoticeTaskOverdue) != 1 {
		t.Fatalf("an unverified revocation is not chased at once (%d overdue notices)", count(offboard.NoticeTaskOverdue))
	}
	h.clock.Advance(time.Hour)
	h.apply(offboard.Tick{By: sched})
	var toLead bool
	for _, j := range h.readyJobs() {
		if j.Kind == offboard.JobNotify && j.Notice.Kind == offboard.NoticeTaskOverdue && slices.Contains(j.Notice.To, "lead@example.com") {
			toLead = true
		}
	}
	if !toLead {
		t.Fatal("the unverified revocation did not escalate to the department lead")
	}
}

// TestEngine_Tick_OptionBatch: Options.TickBatch (what a store on etcd
// sets, its transactions being bounded) makes each tick take fewer due
// tasks, and the ticks still drain them all.
func TestEngine_Tick_OptionBatch(t *testing.T) {
	const batch = 5
	h := newHarness(t, func(o *flows.Options) { o.TickBatch = batch })
	const cases = 4
	for i := range cases {
		h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Employee: offboard.Employee{Email: fmt.Sprintf("p%d@example.com", i), ManagerEmail: manager.Email}})
	}
	h.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	rounds, total := 0, 0
	for {
		rounds++
		res := h.apply(offboard.Tick{By: sched})
		total += res.Advanced
		if !res.More {
			break
		}
		if rounds > 50 {
			t.Fatal("ticks never drained the due tasks")
		}
	}
	due := cases * len(revocationKeys)
	if rounds < due/batch {
		t.Errorf("%d ticks for %d due tasks in batches of %d", rounds, due, batch)
	}
	if n := len(h.actionJobs()); n != total || n < due {
		t.Errorf("%d action jobs queued (ticks reported %d), want every due task of every case", n, total)
	}
}
