package flows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
)

// fakeMail is a test-only system whose mail handover only works while
// its account is active (as a vendor refusing a delegate for a suspended
// mailbox): its data.mail binding needs the account active.
var fakeMail = offboard.Connector{
	Name: "fakemail", Label: "Fake Mail",
	Bindings: []offboard.Binding{
		{Capability: offboard.IdentitySuspend, Action: "fakemail.suspend", Title: "Suspend the Fake Mail account"},
		{Capability: offboard.DataMail, Action: "fakemail.delegate", Title: "Delegate the Fake Mail mailbox", NeedsActiveAccount: true},
	},
	Actions: []string{"fakemail.suspend", "fakemail.delegate"},
}

// mailAtLastDay is a default playbook whose mail handover runs at the
// revocation point once the manager said yes.
var mailAtLastDay = []offboard.Playbook{{Name: flows.DefaultPlaybookName, Tasks: []offboard.TaskTemplate{{
	Key: "fakemail_mail", Capability: offboard.DataMail, Department: offboard.DeptIT, Title: "Hand the mail over",
	Params: map[string]string{"to": "{manager_email}"}, Approval: offboard.ApproverManager, When: offboard.WhenAtLastDay,
}}}}

func withFakeMail(o *flows.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), fakeMail}
	o.Playbooks = mailAtLastDay
}

// TestResolvePlaybooks_NeedsActiveAccount: the system whose mail handover
// needs its account active has its suspend let the handover go first
// (softly); another system's suspend does not wait for it.
func TestResolvePlaybooks_NeedsActiveAccount(t *testing.T) {
	cs := offboard.Connectors{oktaconn.Declaration(), fakeMail}
	pbs, err := flows.ResolvePlaybooks(mailAtLastDay, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	if got := taskOf(t, p, "fakemail_suspend").AfterIfReady; !slices.Equal(got, []string{"fakemail_mail"}) {
		t.Errorf("fakemail_suspend after_if_ready = %v, want [fakemail_mail]", got)
	}
	if got := taskOf(t, p, "fakemail_suspend").After; len(got) != 0 {
		t.Errorf("fakemail_suspend after = %v: the wait must stay soft", got)
	}
	if got := taskOf(t, p, "okta_suspend").AfterIfReady; len(got) != 0 {
		t.Errorf("okta_suspend after_if_ready = %v, want none (Okta's suspend leaves Fake Mail's mailbox alone)", got)
	}

	// Without the flag nothing waits.
	plain := fakeMail
	plain.Bindings = slices.Clone(fakeMail.Bindings)
	plain.Bindings[1].NeedsActiveAccount = false
	pbs, err = flows.ResolvePlaybooks(mailAtLastDay, offboard.Connectors{oktaconn.Declaration(), plain}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := taskOf(t, pbs[flows.DefaultPlaybookName], "fakemail_suspend").AfterIfReady; len(got) != 0 {
		t.Errorf("after_if_ready = %v without NeedsActiveAccount", got)
	}
}

func TestPlaybook_Validate_afterIfReady(t *testing.T) {
	task := func(key string, soft ...string) offboard.TaskTemplate {
		return offboard.TaskTemplate{Key: key, Department: offboard.DeptIT, Title: key, Action: offboard.ActionManual, AfterIfReady: soft}
	}
	for name, c := range map[string]struct {
		tasks []offboard.TaskTemplate
		want  string
	}{
		"unknown key": {[]offboard.TaskTemplate{task("a", "nope")}, `after_if_ready names unknown task "nope"`},
		"itself":      {[]offboard.TaskTemplate{task("a", "a")}, "waits for itself"},
		"circle":      {[]offboard.TaskTemplate{task("a", "b"), task("b", "a")}, "circle: a → b → a"},
	} {
		p := offboard.Playbook{Name: "p", Tasks: c.tasks}
		err := p.Validate(nil, offboard.StandardDepartments())
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want EINVALID saying %q", name, err, c.want)
		}
	}
	// A circle through after and after_if_ready together.
	mixed := []offboard.TaskTemplate{task("a", "b"), {Key: "b", Department: offboard.DeptIT, Title: "b", Action: offboard.ActionManual, After: []string{"a"}}}
	p := offboard.Playbook{Name: "p", Tasks: mixed}
	if err := p.Validate(nil, offboard.StandardDepartments()); err == nil || !strings.Contains(err.Error(), "circle") {
		t.Errorf("after + after_if_ready circle: %v", err)
	}
}

// openVoluntary opens a case whose revocation point is ahead, and returns
// it with the mail approval.
func openWithMailApproval(h *harness) (*offboard.Case, *offboard.Approval) {
	h.t.Helper()
	cs := h.open(offboard.Voluntary, "2026-11-27")
	return cs, h.approvalFor(cs.ID, "fakemail_mail", offboard.ApprovalPending)
}

func (h *harness) tickAt(at time.Time) {
	h.t.Helper()
	h.clock.Set(at)
	h.apply(offboard.Tick{By: sched})
}

// TestEngine_Tick_afterIfReady_approvedMailGoesFirst: the manager said
// yes before the last day, so at the revocation point the delegation runs
// first and the system's suspend follows once it is done; another
// system's suspend does not wait.
func TestEngine_Tick_afterIfReady_approvedMailGoesFirst(t *testing.T) {
	h := newHarness(t, withFakeMail)
	cs, a := openWithMailApproval(h)
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true})
	h.tickAt(cs.RevokeAt)

	if st := h.task(cs.ID, "fakemail_mail").Status; st != offboard.TaskRunning {
		t.Fatalf("fakemail_mail = %s, want running", st)
	}
	sus := h.task(cs.ID, "fakemail_suspend")
	if sus.Status != offboard.TaskPending || sus.RunAt == nil || !sus.RunAt.Equal(cs.RevokeAt.Add(offboard.MaxReadyWait)) {
		t.Fatalf("fakemail_suspend = %s run_at %v, want pending until the revocation point + %s", sus.Status, sus.RunAt, offboard.MaxReadyWait)
	}
	if st := h.task(cs.ID, "okta_suspend").Status; st != offboard.TaskRunning {
		t.Errorf("okta_suspend = %s, want running at once", st)
	}

	h.clock.Advance(time.Second)
	h.apply(offboard.ActionSucceeded{By: runner, JobID: h.jobFor("fakemail_mail").ID, Verified: true})
	if st := h.task(cs.ID, "fakemail_suspend").Status; st != offboard.TaskRunning {
		t.Errorf("fakemail_suspend = %s after the delegation, want running", st)
	}
}

// TestEngine_Tick_afterIfReady_pendingApprovalNoWait: nobody answered the
// approval, so the suspend does not wait for the handover at all.
func TestEngine_Tick_afterIfReady_pendingApprovalNoWait(t *testing.T) {
	h := newHarness(t, withFakeMail)
	cs, _ := openWithMailApproval(h)
	h.tickAt(cs.RevokeAt)
	if st := h.task(cs.ID, "fakemail_suspend").Status; st != offboard.TaskRunning {
		t.Errorf("fakemail_suspend = %s, want running at once", st)
	}
	if st := h.task(cs.ID, "fakemail_mail").Status; st != offboard.TaskWaitingApproval {
		t.Errorf("fakemail_mail = %s, want still waiting for approval", st)
	}
}

// TestEngine_Tick_afterIfReady_runsAfterTwoMinutes: the handover keeps
// failing and retrying; two minutes after the revocation point the
// suspend runs anyway and says why it waited.
func TestEngine_Tick_afterIfReady_runsAfterTwoMinutes(t *testing.T) {
	h := newHarness(t, withFakeMail)
	cs, a := openWithMailApproval(h)
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true})
	h.tickAt(cs.RevokeAt)
	h.apply(offboard.ActionFailed{By: runner, JobID: h.jobFor("fakemail_mail").ID, Error: "503", Retryable: true,
		RetryAt: cs.RevokeAt.Add(time.Hour)})

	h.tickAt(cs.RevokeAt.Add(offboard.MaxReadyWait - time.Second))
	if st := h.task(cs.ID, "fakemail_suspend").Status; st != offboard.TaskPending {
		t.Fatalf("fakemail_suspend = %s before the limit, want pending", st)
	}
	h.tickAt(cs.RevokeAt.Add(offboard.MaxReadyWait))
	if st := h.task(cs.ID, "fakemail_suspend").Status; st != offboard.TaskRunning {
		t.Fatalf("fakemail_suspend = %s at the limit, want running", st)
	}
	var started *offboard.AuditEvent
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: cs.ID}, func(e *offboard.AuditEvent) error {
		if e.Action == "task.started" && e.Target == "fakemail_suspend" {
			started = e
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if started == nil || !strings.Contains(started.Detail, "waited 2m0s for fakemail_mail") {
		t.Errorf("task.started = %+v, want it to say it waited for fakemail_mail", started)
	}
}
