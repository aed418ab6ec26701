package offboard_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestApprovalSide_ManagerFinance: the manager (or a delegate, someone
// escalation reached, an admin) answers for the manager, a holder of the
// role for Finance; each side once, each person once, never the leaver
// nor who asked; granted only with both.
func TestApprovalSide_ManagerFinance(t *testing.T) {
	p := func(email string, roles ...offboard.Role) offboard.Actor {
		return offboard.Actor{Kind: offboard.ActorPerson, Email: email, Roles: roles}
	}
	mona, fiona, felix := p("mona@x.com"), p("fiona@x.com", offboard.RoleFinance), p("felix@x.com", offboard.RoleFinance)
	dana, ada, ivan, jane := p("dana@x.com"), p("ada@x.com", offboard.RoleAdmin), p("ivan@x.com", offboard.RoleIT), p("jane@x.com", offboard.RoleFinance)
	c := &offboard.Case{Employee: offboard.Employee{Email: jane.Email, ManagerEmail: mona.Email}}
	fresh := func() *offboard.Approval {
		return &offboard.Approval{Kind: offboard.ApproverManagerFinance, Approver: mona.Email, Role: offboard.RoleFinance, Needed: 2,
			RequestedBy: "system:scheduler", Status: offboard.ApprovalPending}
	}
	yes := func(a *offboard.Approval, who offboard.Actor, side string) {
		a.Decisions = append(a.Decisions, offboard.Decision{By: who.Email, Approve: true, As: side})
	}
	delegates := []string{dana.Email}
	for _, tc := range []struct {
		name string
		who  offboard.Actor
		prep func(*offboard.Approval)
		side string
		err  string
	}{
		{name: "manager", who: mona, side: offboard.SideManager},
		{name: "delegate", who: dana, side: offboard.SideManager},
		{name: "admin stands in for the manager", who: ada, side: offboard.SideManager},
		{name: "finance", who: fiona, side: offboard.SideFinance},
		{name: "the leaver, though in Finance", who: jane, err: "person leaving"},
		{name: "IT is neither side", who: ivan, err: "only mona@x.com"},
		{name: "a second of Finance", who: felix, prep: func(a *offboard.Approval) { yes(a, fiona, offboard.SideFinance) }, err: "waits for the manager mona@x.com"},
		{name: "the manager twice", who: mona, prep: func(a *offboard.Approval) { yes(a, mona, offboard.SideManager) }, err: "already decided"},
		{name: "an admin after the manager", who: ada, prep: func(a *offboard.Approval) { yes(a, mona, offboard.SideManager) }, err: "waits for one person with the finance role"},
		{name: "who asked", who: fiona, prep: func(a *offboard.Approval) { a.RequestedBy = fiona.Email }, err: "asked for this approval"},
	} {
		a := fresh()
		if tc.prep != nil {
			tc.prep(a)
		}
		side, err := offboard.ApprovalSide(tc.who, c, a, delegates)
		switch {
		case tc.err == "" && (err != nil || side != tc.side):
			t.Errorf("%s: side %q, %v; want %q", tc.name, side, err, tc.side)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: side %q, %v; want an error with %q", tc.name, side, err, tc.err)
		}
	}
	a := fresh()
	yes(a, fiona, offboard.SideFinance)
	yes(a, felix, offboard.SideFinance)
	if a.Granted() {
		t.Error("two yeses of Finance granted a write-off")
	}
	a = fresh()
	yes(a, mona, offboard.SideManager)
	if a.Granted() {
		t.Error("the manager alone granted a write-off")
	}
	yes(a, fiona, offboard.SideFinance)
	if !a.Granted() {
		t.Error("the manager and Finance did not grant it")
	}
	if got := a.Deciders(); got != "mona@x.com and one person with the finance role (2 of 2 approved)" {
		t.Errorf("Deciders %q", got)
	}
}
