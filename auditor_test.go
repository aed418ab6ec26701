package offboard_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

// An auditor reads every case, confidential ones too, and can do nothing:
// no case opened or cancelled, no task run or skipped, no approval decided.
func TestRoleAuditor_ReadsButNeverActs(t *testing.T) {
	auditor := offboard.Actor{Kind: offboard.ActorPerson, ID: "audrey@example.com", Email: "audrey@example.com",
		Roles: []offboard.Role{offboard.RoleAuditor}}
	c := &offboard.Case{ID: "OFF-0001", Confidential: true,
		Employee: offboard.Employee{Email: "jane@example.com", ManagerEmail: "mona@example.com"}}
	var depts offboard.Departments
	if err := offboard.CanViewCase(auditor, c); err != nil {
		t.Fatalf("an auditor may not see a confidential case: %v", err)
	}
	if !offboard.RoleAuditor.Valid() {
		t.Fatal("config cannot assign the auditor role")
	}
	for _, d := range []offboard.Department{offboard.DeptIT, offboard.DeptSecurity, offboard.DeptHR, offboard.DeptFinance} {
		task := &offboard.Task{Key: "k", Department: d}
		if err := offboard.CanRunTask(auditor, c, task, depts); err == nil {
			t.Errorf("an auditor may run a %s task", d)
		}
		if err := offboard.CanSkipTask(auditor, c, task, depts); err == nil {
			t.Errorf("an auditor may skip a %s task", d)
		}
	}
	if err := offboard.CanOpenCase(auditor, "john@example.com"); err == nil {
		t.Error("an auditor may open a case")
	}
	if err := offboard.CanCancelCase(auditor, c); err == nil {
		t.Error("an auditor may cancel a case")
	}
	for _, a := range []*offboard.Approval{
		{Kind: offboard.ApproverManager, Approver: "mona@example.com"},
		{Kind: offboard.ApproverManagerFinance, Approver: "mona@example.com"},
		{Role: offboard.RoleIT},
	} {
		if err := offboard.CanApprove(auditor, c, a, nil); err == nil {
			t.Errorf("an auditor may decide a %q approval", a.Kind)
		}
	}
}
