package bot_test

import (
	"strings"
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

// A refused search is audited once per person per minute (a picker asks
// on every keystroke), without what was typed: it may be a name.
func TestRouter_FindPeople_auditsRefusals(t *testing.T) {
	h := newHarness(t)
	dir := offboard.NewDirectory("okta")
	dir.Set("okta", []offboard.Person{{Email: "jane.doe@example.com", Name: "Jane Doe"}}, time.Unix(0, 0))
	r, err := bot.New(bot.Options{Engine: h.engine, Clock: h.clock, Roles: testRoles, People: dir, Audit: h.db.AuditLog(nil)})
	if err != nil {
		t.Fatal(err)
	}
	refusals := func() (forbidden, slowed []*offboard.AuditEvent) {
		t.Helper()
		if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
			if e.Action != "people_search.refused" {
				return nil
			}
			if e.Outcome != offboard.OutcomeRefused || strings.Contains(e.Detail, "Jane") || strings.Contains(e.Target, "Jane") {
				t.Errorf("audit %+v: want a refusal that does not quote the query", e)
			}
			switch e.Evidence["status"] {
			case "403":
				forbidden = append(forbidden, e)
			case "429":
				slowed = append(slowed, e)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return forbidden, slowed
	}
	for range 5 {
		if _, err := r.FindPeople(h.ctx, it, "Jane Do", 10); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
			t.Fatalf("IT searched: %v", err)
		}
	}
	if f, _ := refusals(); len(f) != 1 || f[0].Actor.Email != it.Email {
		t.Fatalf("%d audits of IT's 5 refused searches, want 1 naming IT", len(f))
	}
	h.clock.Advance(61 * time.Second)
	if _, err := r.FindPeople(h.ctx, it, "Jane", 10); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("IT searched: %v", err)
	}
	if f, _ := refusals(); len(f) != 2 {
		t.Fatalf("%d audits a minute later, want a second one", len(f))
	}
	for range 40 {
		_, _ = r.FindPeople(h.ctx, admin, "Jane", 10)
	}
	if _, s := refusals(); len(s) != 1 || s[0].Actor.Email != admin.Email {
		t.Fatalf("%d audits of the admin's slowed searches, want 1", len(s))
	}
}
