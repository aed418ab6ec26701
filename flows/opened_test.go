package flows_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestEngine_CasesOpened(t *testing.T) {
	h := newHarness(t)
	openAs := func(email, mgr string) offboard.CaseID {
		r := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2027-01-29",
			Employee: offboard.Employee{Name: email, Email: email, ManagerEmail: mgr}})
		h.clock.Advance(24 * time.Hour)
		return r.Case.ID
	}
	openAs("old@example.com", manager.Email)    // day 0: before the period
	a := openAs("a@example.com", manager.Email) // day 1
	b := openAs("b@example.com", "other.boss@example.com")
	h.apply(offboard.CancelCase{By: hr, CaseID: a, Reason: "stays"})
	c := openAs("c@example.com", manager.Email) // day 3
	openAs("late@example.com", manager.Email)   // day 4: after it
	from, to := start.Add(24*time.Hour), start.Add(4*24*time.Hour)

	ids := func(who offboard.Actor) []offboard.CaseID {
		t.Helper()
		cs, err := h.engine.CasesOpened(h.ctx, who, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var out []offboard.CaseID
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	eq := func(got, want []offboard.CaseID) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	// Every status, newest first, inside [from, to) only.
	eq(ids(hr), []offboard.CaseID{c, b, a})
	// The manager sees her reports' cases only; a stranger nothing.
	eq(ids(manager), []offboard.CaseID{c, a})
	eq(ids(stranger), nil)
}
