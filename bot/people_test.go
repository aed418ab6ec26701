package bot_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func peopleRouter(t *testing.T, h *harness) *bot.Router {
	t.Helper()
	dir := offboard.NewDirectory("okta")
	dir.Set("okta", []offboard.Person{
		{Email: "mona.manager@example.com", Name: "Mona Manager", ManagerEmail: "ceo@example.com", TimeZone: "Europe/Berlin"},
		{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: "mona.manager@example.com"},
	}, time.Unix(0, 0))
	r, err := bot.New(bot.Options{Engine: h.engine, Clock: h.clock, Roles: testRoles, People: dir})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// HR finds people by name with their name and email only; others may not
// search; a burst of searches is slowed.
func TestRouter_FindPeople(t *testing.T) {
	h := newHarness(t)
	r := peopleRouter(t, h)
	got, err := r.FindPeople(h.ctx, hr, "mona", 10)
	if err != nil || len(got) != 1 || got[0] != (offboard.Person{Email: "mona.manager@example.com", Name: "Mona Manager"}) {
		t.Fatalf("HR's search: %+v, %v; want Mona with name and email only", got, err)
	}
	for _, who := range []offboard.Actor{it, finance, stranger} {
		if _, err := r.FindPeople(h.ctx, who, "mona", 10); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
			t.Errorf("%s searched the directory: %v", who.Email, err)
		}
	}
	if _, err := r.FindPeople(h.ctx, offboard.System("x"), "mona", 10); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("a system actor searched: %v", err)
	}
	refused := 0
	for range 30 {
		if _, err := r.FindPeople(h.ctx, admin, "jane", 10); offboard.ErrorCode(err) == offboard.EUNAVAILABLE {
			refused++
		}
	}
	if refused == 0 || refused > 25 {
		t.Fatalf("%d of 30 searches at once refused; want the burst allowed and the rest slowed", refused)
	}
	h.clock.Advance(5 * time.Second)
	if _, err := r.FindPeople(h.ctx, admin, "jane", 10); err != nil {
		t.Fatalf("after a pause: %v", err)
	}
}
