package flows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
)

// fakeVault is a test-only system that places legal holds and deletes
// accounts (as a suite with a vault does).
var fakeVault = offboard.Connector{
	Name: "fakevault", Label: "Fake Vault",
	Bindings: []offboard.Binding{
		{Capability: offboard.LegalHold, Action: "fakevault.hold", Title: "Place a Fake Vault hold on mail and files"},
		{Capability: offboard.IdentityDelete, Action: "fakevault.delete", Title: "Delete the Fake Vault account"},
	},
	Actions: []string{"fakevault.hold", "fakevault.delete"},
}

func withFakeVault(o *flows.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), fakeVault}
}

// TestResolvePlaybooks_LegalHold: with a system that holds, the default
// playbook asks Legal when the case opens, holds before any data is
// handed over, and deletion waits for the hold too; without one there
// is no hold task, and Legal's manual review stays either way.
func TestResolvePlaybooks_LegalHold(t *testing.T) {
	cs := offboard.Connectors{oktaconn.Declaration(), fakeVault}
	pbs, err := flows.ResolvePlaybooks(nil, cs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pbs[flows.DefaultPlaybookName]
	hold := taskOf(t, p, "fakevault_hold")
	if hold.Department != offboard.DeptLegal || hold.Approval != offboard.ApproverLegal || hold.When != offboard.WhenOnOpen ||
		!strings.HasPrefix(hold.Question, "Is {employee} under a legal hold?") {
		t.Errorf("hold task = %+v", hold)
	}
	keys := keysOf(p)
	if i, j := slices.Index(keys, "okta_revoke_grants"), slices.Index(keys, "fakevault_hold"); i < 0 || j != i+1 {
		t.Errorf("the hold is not right after the grants are revoked: %v", keys)
	}
	del := taskOf(t, p, "fakevault_delete")
	if !slices.Contains(del.After, "fakevault_hold") || !slices.Contains(del.After, "legal_hold") {
		t.Errorf("delete waits for %v, want the hold and Legal's review", del.After)
	}
	if !strings.Contains(taskOf(t, p, "legal_hold").Title, "none applies or the hold is released") {
		t.Errorf("legal_hold title %q does not say when it is done", taskOf(t, p, "legal_hold").Title)
	}

	pbs, err = flows.ResolvePlaybooks(nil, offboard.Connectors{oktaconn.Declaration()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range pbs[flows.DefaultPlaybookName].Tasks {
		if tt.Approval == offboard.ApproverLegal {
			t.Errorf("task %s asks Legal without a system that holds", tt.Key)
		}
	}
}

// TestEngine_DecideApproval_legal: one person of Legal answers; IT, the
// leaver and the person who asked cannot. Yes runs the hold.
func TestEngine_DecideApproval_legal(t *testing.T) {
	lex := person("lex.legal-hr@example.com") // both HR and Legal: opens the case
	h := newHarness(t, withFakeVault, func(o *flows.Options) {
		o.Roles = func(email string) []offboard.Role {
			if email == lex.Email {
				return []offboard.Role{offboard.RoleHR, offboard.RoleLegal}
			}
			return testRoles(email)
		}
	})
	r := h.apply(offboard.OpenCase{By: lex, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Name: "Jane Doe", Email: jane.Email, ManagerEmail: manager.Email}})
	cs := r.Case
	if st := h.task(cs.ID, "fakevault_hold").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("hold = %s, want waiting for approval", st)
	}
	a := h.approvalFor(cs.ID, "fakevault_hold", offboard.ApprovalPending)
	if a.Role != offboard.RoleLegal || a.Required() != 1 || a.Approver != "" {
		t.Fatalf("approval role %q needs %d approver %q, want one person of legal", a.Role, a.Required(), a.Approver)
	}
	h.refuse(offboard.DecideApproval{By: it, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "legal role")
	h.refuse(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "legal role")
	h.refuse(offboard.DecideApproval{By: jane, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "person leaving")
	h.refuse(offboard.DecideApproval{By: lex, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "someone else decides it: only people with the legal role")

	h.apply(offboard.DecideApproval{By: legal, ApprovalID: a.ID, Approve: true})
	if st := h.task(cs.ID, "fakevault_hold").Status; st != offboard.TaskRunning {
		t.Fatalf("hold = %s after Legal's yes, want running (on_open)", st)
	}
	if j := h.jobFor("fakevault_hold"); j.Action != "fakevault.hold" {
		t.Errorf("job action %q", j.Action)
	}
}

// TestEngine_DecideApproval_legalNoSkips: Legal's no skips the hold, and
// a manager's no still leaves its task waiting (unchanged).
func TestEngine_DecideApproval_legalNoSkips(t *testing.T) {
	h := newHarness(t, withFakeVault)
	cs := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(cs.ID, "fakevault_hold", offboard.ApprovalPending)
	h.apply(offboard.DecideApproval{By: legal, ApprovalID: a.ID, Approve: false, Comment: "no matter open"})
	tk := h.task(cs.ID, "fakevault_hold")
	if tk.Status != offboard.TaskSkipped || !strings.Contains(tk.SkipReason, "no legal hold") || !strings.Contains(tk.SkipReason, "no matter open") {
		t.Fatalf("hold = %s (%q), want skipped saying no hold applies", tk.Status, tk.SkipReason)
	}
	if h.countAudit(cs.ID, "task.skipped", "fakevault_hold") != 1 {
		t.Error("the skip is not audited")
	}
	for _, j := range h.actionJobs() {
		if j.TaskKey == "fakevault_hold" {
			t.Error("a hold job was queued after a no")
		}
	}

	m := h.approvalFor(cs.ID, "transfer_drive", offboard.ApprovalPending)
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: m.ID, Approve: false})
	if st := h.task(cs.ID, "transfer_drive").Status; st != offboard.TaskWaitingApproval {
		t.Errorf("transfer_drive = %s after the manager's no, want still waiting for approval", st)
	}
}

// TestEngine_DecideApproval_legalConfiguredRole: departments are data; the
// configured Legal department's role decides.
func TestEngine_DecideApproval_legalConfiguredRole(t *testing.T) {
	counsel := person("cora.counsel@example.com")
	h := newHarness(t, withFakeVault, func(o *flows.Options) {
		depts := offboard.StandardDepartments()
		for i := range depts {
			if depts[i].Name == offboard.DeptLegal {
				depts[i].Role = "counsel"
			}
		}
		o.Departments = depts
		o.Roles = func(email string) []offboard.Role {
			if email == counsel.Email {
				return []offboard.Role{"counsel"}
			}
			return testRoles(email)
		}
	})
	cs := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(cs.ID, "fakevault_hold", offboard.ApprovalPending)
	if a.Role != "counsel" {
		t.Fatalf("approval role %q, want the Legal department's configured role", a.Role)
	}
	h.refuse(offboard.DecideApproval{By: legal, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "counsel role")
	h.apply(offboard.DecideApproval{By: counsel, ApprovalID: a.ID, Approve: true})
	if st := h.task(cs.ID, "fakevault_hold").Status; st != offboard.TaskRunning {
		t.Errorf("hold = %s, want running", st)
	}
}
