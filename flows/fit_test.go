package flows_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// names is the directory the tests of words read: Mona and Ivan known,
// Jane named by the case.
func names(o *flows.Options) {
	o.NameOf = func(email string) string {
		switch email {
		case manager.Email:
			return "Mona Manager"
		case it.Email:
			return "Ivan IT"
		}
		return ""
	}
}

// The approval asks about the person leaving and the receiver by name,
// records the approver's name, and a stranger's refusal says who decides.
func TestEngine_ApprovalNamesPeople(t *testing.T) {
	h := newHarness(t, names)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if want := "Transfer Jane Doe's Drive files to Mona Manager?"; a.Question != want {
		t.Errorf("question = %q, want %q", a.Question, want)
	}
	if a.ApproverName != "Mona Manager" {
		t.Errorf("approver name = %q", a.ApproverName)
	}
	h.refuse(offboard.DecideApproval{By: stranger, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN,
		"only Mona Manager or their delegates can decide this")
	h.refuse(offboard.DecideApproval{By: hr, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN,
		"someone else decides it: only Mona Manager")
}

// A task a person runs records who and when; one offboard runs by itself
// records nobody, and a later run by the schedule clears the person.
func TestEngine_StartTaskRecordsStarter(t *testing.T) {
	h := newHarness(t, names)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_suspend"})
	tk := h.task(c.ID, "okta_suspend")
	if tk.StartedBy != it.Email || tk.StartedByName != "Ivan IT" || tk.StartedAs != "IT" || tk.StartedAt == nil || !tk.StartedAt.Equal(h.clock.Now()) {
		t.Fatalf("started by %q (%q) at %v, want Ivan IT now", tk.StartedBy, tk.StartedByName, tk.StartedAt)
	}
	inv := newHarness(t, names)
	ic := inv.open(offboard.Involuntary, "")
	if got := inv.task(ic.ID, "okta_suspend"); got.Status != offboard.TaskRunning || got.StartedBy != "" || got.StartedAt != nil {
		t.Errorf("an involuntary exit's suspend, run by offboard: %s, started by %q", got.Status, got.StartedBy)
	}
}
