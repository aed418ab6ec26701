package offboard_test

import (
	"slices"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestDepartments_Listed(t *testing.T) {
	ds := offboard.Departments{
		{Name: "hr", Label: "People", Role: "hr"},
		{Name: "facilities", Label: "Workplace", Role: "workplace"},
	}
	tasks := []*offboard.Task{{Department: "payroll"}, {Department: "hr"}, {Department: "payroll"}}
	if got, want := ds.Listed(tasks), []offboard.Department{"hr", "facilities", "payroll"}; !slices.Equal(got, want) {
		t.Errorf("Listed = %v, want the configured order, then a department no longer configured", got)
	}
	if ds.Label("facilities") != "Workplace" || ds.RoleOf("facilities") != "workplace" {
		t.Errorf("facilities: label %q role %q", ds.Label("facilities"), ds.RoleOf("facilities"))
	}
	// A department config no longer has is named by its key.
	if ds.Label("payroll") != "payroll" || ds.RoleOf("payroll") != "payroll" || ds.Has("payroll") {
		t.Errorf("payroll: label %q role %q has %v", ds.Label("payroll"), ds.RoleOf("payroll"), ds.Has("payroll"))
	}
	var none offboard.Departments
	if !slices.Equal(none.Names(), offboard.StandardDepartments().Names()) || none.Label(offboard.DeptLegal) != "Legal" {
		t.Errorf("the empty set lists %v, want the standard five", none.Names())
	}
}

func TestCanRunTask_DepartmentRole(t *testing.T) {
	ds := append(offboard.StandardDepartments(), offboard.DepartmentInfo{Name: "facilities", Label: "Workplace", Role: "workplace"})
	c := &offboard.Case{ID: "OFF-0001", Employee: offboard.Employee{Email: "jane@example.com"}}
	task := &offboard.Task{Key: "return_desk", Title: "Clear the desk", Department: "facilities"}
	fred := offboard.Actor{Kind: offboard.ActorPerson, Email: "fred@example.com", Roles: []offboard.Role{"workplace"}}
	ivan := offboard.Actor{Kind: offboard.ActorPerson, Email: "ivan@example.com", Roles: []offboard.Role{offboard.RoleIT}}
	if err := offboard.CanRunTask(fred, c, task, ds); err != nil {
		t.Errorf("the department's role may not run its task: %v", err)
	}
	err := offboard.CanRunTask(ivan, c, task, ds)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || offboard.ErrorMessage(err) != `ivan@example.com may not run "Clear the desk"; the Workplace team can` {
		t.Errorf("IT running a facilities task: %v", err)
	}
}

func TestCanViewCase_Departments(t *testing.T) {
	open := &offboard.Case{ID: "OFF-0001", Employee: offboard.Employee{Email: "jane@example.com"}}
	secret := &offboard.Case{ID: "OFF-0002", Employee: offboard.Employee{Email: "john@example.com"}, Confidential: true}
	as := func(r offboard.Role) offboard.Actor {
		return offboard.Actor{Kind: offboard.ActorPerson, Email: "x@example.com", Roles: []offboard.Role{r}}
	}
	for _, tc := range []struct {
		who          offboard.Actor
		open, secret bool
	}{
		{as(offboard.RoleLegal), true, true},
		{as(offboard.RoleFinance), true, false},
		{as("facilities"), true, false},
		{offboard.Actor{Kind: offboard.ActorPerson, Email: "x@example.com"}, false, false},
	} {
		if got := offboard.CanViewCase(tc.who, open) == nil; got != tc.open {
			t.Errorf("%v sees a case: %v, want %v", tc.who.Roles, got, tc.open)
		}
		if got := offboard.CanViewCase(tc.who, secret) == nil; got != tc.secret {
			t.Errorf("%v sees a confidential case: %v, want %v", tc.who.Roles, got, tc.secret)
		}
	}
}
