package flows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/flows"
)

// TestResolvePlaybooks_EntraDeleteOnlyWhenConfigured: Entra ID's delete
// task joins the default playbook only with delete_after set, after
// deactivation and Legal's hold review, at the configured delay, behind
// two IT approvals whose question says the account stays restorable.
func TestResolvePlaybooks_EntraDeleteOnlyWhenConfigured(t *testing.T) {
	pbs, err := flows.ResolvePlaybooks(nil, offboard.Connectors{microsoft.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(keysOf(pbs[flows.DefaultPlaybookName]), "entra_delete") {
		t.Fatal("entra_delete is in the playbook without delete_after")
	}

	pbs, err = flows.ResolvePlaybooks(nil, offboard.Connectors{microsoft.DeclarationFor(30 * 24 * time.Hour)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	del := taskOf(t, p, "entra_delete")
	if del.Action != "entra.delete" || del.When != "30d" || del.Approval != "it_two" || del.Department != "it" {
		t.Fatalf("entra_delete = %+v", del)
	}
	if !slices.Contains(del.After, "entra_deactivate") || !slices.Contains(del.After, "legal_hold") {
		t.Fatalf("entra_delete waits for %v, want entra_deactivate and legal_hold", del.After)
	}
	if del.MaxWait != 0 {
		t.Fatalf("entra_delete max_wait %s: it must never run before its dependencies", del.MaxWait)
	}
	if !strings.Contains(del.Question, "30 days") || !strings.Contains(del.Question, "deleted items") {
		t.Fatalf("question %q does not say the account stays restorable for 30 days", del.Question)
	}
	keys := keysOf(p)
	if slices.Index(keys, "entra_delete") < slices.Index(keys, "entra_deactivate") {
		t.Fatalf("entra_delete comes before entra_deactivate: %v", keys)
	}
}

// TestEngine_EntraDeleteWaitsForApprovalAndHold: the delete task is asked
// of two IT people when the case opens, and even approved and long past
// its delay and the usual max_wait it never runs before Legal's hold
// review is settled.
func TestEngine_EntraDeleteWaitsForApprovalAndHold(t *testing.T) {
	h := newHarness(t, withDevices, func(o *flows.Options) {
		o.Connectors = offboard.Connectors{microsoft.DeclarationFor(30 * 24 * time.Hour)}
	})
	cs := h.open(offboard.Involuntary, "")
	if st := h.task(cs.ID, "entra_delete").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("entra_delete %s at open, want waiting for approval", st)
	}
	a := h.approvalFor(cs.ID, "entra_delete", offboard.ApprovalPending)
	if a.Role != offboard.RoleIT || a.Required() != 2 || !strings.Contains(a.Question, "30 days") {
		t.Fatalf("approval role %q needs %d, question %q", a.Role, a.Required(), a.Question)
	}
	h.refuse(offboard.StartTask{By: tom, CaseID: cs.ID, TaskKey: "entra_delete"}, offboard.ECONFLICT, "0 of 2")
	yes := func(who offboard.Actor) offboard.DecideApproval {
		return offboard.DecideApproval{By: who, ApprovalID: a.ID, Approve: true}
	}
	h.apply(yes(tom))
	h.apply(yes(tina))

	hasDeleteJob := func() bool {
		return slices.ContainsFunc(h.actionJobs(), func(j *offboard.Job) bool { return j.TaskKey == "entra_delete" })
	}
	// 40 days on: deactivation ran anyway after its max_wait, the delete
	// is due and approved, but Legal has not reviewed holds.
	for range 8 {
		h.clock.Advance(5 * 24 * time.Hour)
		h.apply(offboard.Tick{By: sched})
		if hasDeleteJob() {
			t.Fatal("entra_delete was queued before Legal's hold review")
		}
		h.succeedAll()
	}
	if st := h.task(cs.ID, "entra_deactivate").Status; st != offboard.TaskDone {
		t.Fatalf("entra_deactivate %s, want done (it runs anyway after its max_wait)", st)
	}
	if del := h.task(cs.ID, "entra_delete"); del.Status != offboard.TaskPending || del.MaxWait != 0 {
		t.Fatalf("entra_delete %s max_wait %s, want pending with no max_wait", del.Status, del.MaxWait)
	}
	h.apply(offboard.SkipTask{By: legal, CaseID: cs.ID, TaskKey: "legal_hold", Reason: "no hold applies"})
	if !hasDeleteJob() {
		t.Fatalf("entra_delete %s after the hold review, want queued", h.task(cs.ID, "entra_delete").Status)
	}
	h.succeedAll()

	// Rescinded after the deletion: IT's restore is Entra's own, and its
	// note says the deletion is undone only within the 30 days.
	h.apply(offboard.CancelCase{By: hr, CaseID: cs.ID, Reason: "termination rescinded"})
	r := h.task(cs.ID, "restore_entra")
	if r.Action != "entra.restore" || !strings.Contains(r.Note, "30 days") {
		t.Fatalf("restore task %s note %q", r.Action, r.Note)
	}
}
