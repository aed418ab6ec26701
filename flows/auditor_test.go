package flows_test

import (
	"encoding/json"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// TestEngine_Apply_auditorChangesNothing: a person with the auditor role —
// in the console, in Slack or Teams, by their email — is refused every
// command that changes a case, even when the command claims roles for
// them, and so is an API token with the auditor role; the refusals are
// audited and the case and its tasks, approvals and jobs are as before.
func TestEngine_Apply_auditorChangesNothing(t *testing.T) {
	audrey := person("audrey.auditor@example.com")
	h := newHarness(t, func(o *flows.Options) {
		o.Retention = sixYears
		o.Roles = func(email string) []offboard.Role {
			if email == audrey.Email {
				return []offboard.Role{offboard.RoleAuditor}
			}
			return testRoles(email)
		}
	})
	c := h.open(offboard.Voluntary, "2026-12-18")
	pending := h.approvals(c.ID)
	if len(pending) == 0 {
		t.Fatal("the case has no approval to decide")
	}
	var jobID string
	if jobs := h.readyJobs(); len(jobs) > 0 {
		jobID = jobs[0].ID
	}
	snapshot := func() string {
		b, err := json.Marshal([]any{h.caseOf(c.ID), h.view(c.ID), h.approvals(c.ID), h.readyJobs()})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := snapshot()
	tasks := h.view(c.ID)

	claiming := audrey
	claiming.Roles = []offboard.Role{offboard.RoleAdmin, offboard.RoleHR, offboard.RoleSystem}
	api := offboard.Actor{Kind: offboard.ActorAPI, ID: "auditor-token", Roles: []offboard.Role{offboard.RoleAuditor}}
	for _, who := range []offboard.Actor{audrey, claiming, api} {
		cmds := []offboard.Command{
			offboard.OpenCase{By: who, Kind: offboard.Involuntary, Employee: offboard.Employee{Name: "Alex Kim", Email: "alex.kim@example.com"}},
			offboard.CancelCase{By: who, CaseID: c.ID, Reason: "x"},
			offboard.RevokeNow{By: who, CaseID: c.ID, Reason: "x"},
			offboard.DecideApproval{By: who, ApprovalID: pending[0].ID, Approve: true},
			offboard.EraseCase{By: who, CaseID: c.ID, Reason: "x"},
			offboard.RecordReconciliation{By: who, HR: "BambooHR", Identity: "Okta", Terminated: 3},
			offboard.RecordRoom{By: who, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", ID: "C0FORGED"}},
			offboard.Tick{By: who},
		}
		if jobID != "" {
			cmds = append(cmds, offboard.ActionSucceeded{By: who, JobID: jobID, Verified: true})
		}
		for _, tk := range tasks {
			cmds = append(cmds,
				offboard.StartTask{By: who, CaseID: c.ID, TaskKey: tk.Key},
				offboard.CompleteTask{By: who, CaseID: c.ID, TaskKey: tk.Key},
				offboard.SkipTask{By: who, CaseID: c.ID, TaskKey: tk.Key, Reason: "x"},
				offboard.RequestApproval{By: who, CaseID: c.ID, TaskKey: tk.Key},
				offboard.RevealSecrets{By: who, CaseID: c.ID, TaskKey: tk.Key},
				offboard.RecordDeviceReturn{By: who, CaseID: c.ID, TaskKey: tk.Key})
		}
		for _, cmd := range cmds {
			_, err := h.engine.Apply(h.ctx, cmd)
			if code := offboard.ErrorCode(err); code != offboard.EFORBIDDEN {
				t.Errorf("%s by %s: %v (code %q), want forbidden", cmd.Name(), who.ID+who.Email, err, code)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("the auditor changed the case:\nbefore %s\nafter  %s", before, after)
	}
	refused := 0
	for _, e := range h.refusedAudits() {
		if e.Actor.Email == audrey.Email || e.Actor.ID == api.ID {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no refusal of the auditor was audited")
	}
	// Only offboard itself records a reconciliation run: not an admin,
	// nor an admin's API token.
	for _, who := range []offboard.Actor{admin, {Kind: offboard.ActorAPI, ID: "admin-token", Roles: []offboard.Role{offboard.RoleAdmin}}} {
		h.refuse(offboard.RecordReconciliation{By: who, HR: "BambooHR", Identity: "Okta"}, offboard.EFORBIDDEN, "only offboard's reconciliation")
	}
	h.apply(offboard.RecordReconciliation{By: offboard.System("reconcile"), HR: "BambooHR", Identity: "Okta", Terminated: 1, Checked: 1})
	if last := h.lastAudit(); last.Action != offboard.ActionReconcileRan {
		t.Errorf("the system's run recorded as %q", last.Action)
	}
}
