package assistant_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

func person(email string) offboard.Actor {
	return offboard.Actor{Kind: offboard.ActorPerson, Email: email, Platform: "test"}
}

var (
	boss     = person("hana.hr@example.com") // hr, it and finance
	fiona    = person("fiona.finance@example.com")
	mona     = person("mona.manager@example.com")
	stranger = person("stan.stranger@example.com")
)

func roles(email string) []offboard.Role {
	switch email {
	case boss.Email:
		return []offboard.Role{offboard.RoleHR, offboard.RoleIT, offboard.RoleFinance}
	case fiona.Email:
		return []offboard.Role{offboard.RoleFinance}
	}
	return nil
}

type world struct {
	t      testing.TB
	ctx    context.Context
	engine flowstest.Engine
	db     *store.DB
	clock  *testclock.Clock
	a      *assistant.Answerer
	ids    map[string]offboard.CaseID
}

func newWorld(t testing.TB) *world { t.Helper(); return newWorldAfter(t, nil) }

// newWorldAfter is newWorld with history written into the store before
// the world's own cases are opened, so case numbers keep following
// opening time as the engine hands them out.
func newWorldAfter(t testing.TB, history func(db *store.DB, now time.Time)) *world {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := testclock.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	e := flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Clock: clock, Roles: roles, Location: time.UTC})
	w := &world{t: t, ctx: context.Background(), engine: e, db: db, clock: clock,
		a: assistant.New(e, clock, time.UTC), ids: map[string]offboard.CaseID{}}
	if history != nil {
		history(db, clock.Now())
	}
	no := false
	w.open("jane", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Name: "Jane Doe", Email: "jane.doe@example.com", ManagerEmail: mona.Email}})
	w.open("alexk", offboard.OpenCase{Kind: offboard.Voluntary, LastDay: "2026-12-18",
		Employee: offboard.Employee{Name: "Alex Kim", Email: "alex.kim@example.com", ManagerEmail: "max.boss@example.com"}})
	w.open("alexm", offboard.OpenCase{Kind: offboard.Involuntary, Confidential: &no,
		Employee: offboard.Employee{Name: "Alex Moreau", Email: "alex.moreau@example.com", ManagerEmail: "max.boss@example.com"}})
	return w
}

func (w *world) open(key string, c offboard.OpenCase) {
	w.t.Helper()
	c.By, c.Source = offboard.System("test"), "test"
	res, err := w.engine.Apply(w.ctx, c)
	if err != nil {
		w.t.Fatal(err)
	}
	w.ids[key] = res.Case.ID
}

func (w *world) ask(who offboard.Actor, text string) string {
	w.t.Helper()
	r, ok := w.a.Answer(w.ctx, who, text)
	if !ok {
		w.t.Fatalf("%q was not understood", text)
	}
	if !r.Ephemeral {
		w.t.Errorf("%q: the reply is not ephemeral", text)
	}
	return r.Text
}

func must(t *testing.T, text string, has ...string) {
	t.Helper()
	for _, h := range has {
		if !strings.Contains(text, h) {
			t.Errorf("the answer lacks %q:\n%s", h, text)
		}
	}
}

func mustNot(t *testing.T, text string, hasnt ...string) {
	t.Helper()
	for _, h := range hasnt {
		if strings.Contains(text, h) {
			t.Errorf("the answer has %q:\n%s", h, text)
		}
	}
}

func TestAnswer_Status(t *testing.T) {
	w := newWorld(t)
	got := w.ask(boss, "where is Jane's offboarding?")
	must(t, got, string(w.ids["jane"]), "Jane Doe", "Voluntary", "last day Thu 31 Dec 2026", "tasks done", "clock running")
	mustNot(t, got, "Left to do")
	must(t, w.ask(boss, "wheres janes offbaording"), "Jane Doe")
	must(t, w.ask(boss, "status of jane.doe@example.com"), "Jane Doe")
	must(t, w.ask(boss, fmt.Sprintf("how is %s going", w.ids["alexk"])), "Alex Kim")
	r, _ := w.a.Answer(w.ctx, boss, "jane doe status")
	if len(r.Cards) != 1 || !strings.Contains(r.Cards[0].Title, "Jane Doe") {
		t.Errorf("want a case card, got %+v", r.Cards)
	}
}

func TestAnswer_Ambiguous(t *testing.T) {
	w := newWorld(t)
	got := w.ask(boss, "what about Alex")
	must(t, got, "2 open cases match 'alex'", string(w.ids["alexk"])+" Alex Kim", string(w.ids["alexm"])+" Alex Moreau", "which one?")
	must(t, w.ask(boss, "alex moreau status"), "Alex Moreau", "Involuntary")
}

func TestAnswer_Left(t *testing.T) {
	w := newWorld(t)
	got := w.ask(boss, "what's left on Jane's offboarding?")
	must(t, got, "Left to do:", "• IT: Suspend the Okta account", "• Finance: Cancel the corporate card", "• HR: Collect signed documents")
	must(t, w.ask(boss, "remaining tasks for jane"), "Left to do:")
}

func TestAnswer_StrangerSeesNothing(t *testing.T) {
	w := newWorld(t)
	for _, q := range []string{"where is Jane's offboarding?", "status of jane.doe@example.com", "what is blocking " + string(w.ids["jane"]), "what about alex"} {
		got := w.ask(stranger, q)
		must(t, got, "I found no case for", "that you can see.")
		mustNot(t, got, "Jane Doe", "Alex", "tasks done")
	}
	// An unknown name reads the same as a hidden one.
	a, b := w.ask(stranger, "status of jane"), w.ask(boss, "status of nobody")
	if strings.Replace(a, "jane", "X", 1) != strings.Replace(b, "nobody", "X", 1) {
		t.Errorf("hidden and unknown differ: %q vs %q", a, b)
	}
	must(t, w.ask(stranger, "which cases are open"), "No open cases that you can see.")
	must(t, w.ask(stranger, "pending approvals"), "No approvals are waiting")
}

func TestAnswer_ManagerSeesTheirReport(t *testing.T) {
	w := newWorld(t)
	must(t, w.ask(mona, "where is jane"), "Jane Doe")
	must(t, w.ask(mona, "what about alex"), "I found no case for alex that you can see.")
	got := w.ask(mona, "who is leaving")
	must(t, got, "Jane Doe", "(1)")
	mustNot(t, got, "Alex")
	got = w.ask(mona, "which approvals are stuck?")
	must(t, got, "Jane Doe", "mona.manager@example.com")
	mustNot(t, got, "Alex")
}

func TestAnswer_OpenCases(t *testing.T) {
	w := newWorld(t)
	must(t, w.ask(boss, "list open offboardings"), "(3)", "Jane Doe", "Alex Kim", "Alex Moreau")
}

func TestAnswer_Overdue(t *testing.T) {
	w := newWorld(t)
	must(t, w.ask(boss, "overdue tasks for finance"), "Nothing is overdue for Finance")
	w.clock.Advance(3 * 24 * time.Hour) // Alex Moreau's day-one tasks are late
	got := w.ask(boss, "what's still open for Finance?")
	must(t, got, "overdue task", "• Finance: Cancel the corporate card on "+string(w.ids["alexm"])+" Alex Moreau")
	for _, line := range strings.Split(got, "\n")[1:] {
		if !strings.HasPrefix(line, "• Finance:") {
			t.Errorf("not a finance task: %q", line)
		}
	}
	must(t, w.ask(boss, "what is late in security"), "• Security: Remove from the password vault")
	must(t, w.ask(mona, "what is overdue"), "Nothing is overdue")
}

func TestAnswer_Stats(t *testing.T) {
	w := newWorld(t)
	got := w.ask(boss, "how fast did we revoke access last month?")
	must(t, got, "In the last 30 days: 3 cases")
	must(t, w.ask(mona, "stats this week"), "In the last 7 days: 1 case,")
	must(t, w.ask(stranger, "stats"), "No cases that you can see")
}

func TestAnswer_NotUnderstood(t *testing.T) {
	w := newWorld(t)
	if r, ok := w.a.Answer(w.ctx, boss, "tell me a joke about the weather today"); ok {
		t.Errorf("understood nonsense: %q", r.Text)
	}
	r, ok := w.a.Answer(w.ctx, boss, "help")
	if !ok || !strings.Contains(r.Text, "You can ask me") {
		t.Errorf("help: %v %q", ok, r.Text)
	}
}

// fakeEngine serves fixed views, for numbers a real engine reaches only
// with a runner.
type fakeEngine struct {
	offboard.CaseReader // nil: the methods the tests never call
	views               []*offboard.CaseView
}

func (f fakeEngine) FindCases(context.Context, offboard.Actor, string) ([]*offboard.CaseView, error) {
	return nil, nil
}

func (f fakeEngine) ListCases(_ context.Context, _ offboard.Actor, st offboard.CaseStatus, _ int) ([]*offboard.CaseView, error) {
	var out []*offboard.CaseView
	for _, v := range f.views {
		if v.Case.Status == st {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f fakeEngine) CasesOpened(_ context.Context, _ offboard.Actor, from, to time.Time) ([]*offboard.Case, error) {
	var out []*offboard.Case
	for _, v := range f.views {
		if !v.Case.CreatedAt.Before(from) && v.Case.CreatedAt.Before(to) {
			out = append(out, v.Case)
		}
	}
	return out, nil
}

func TestAnswer_StatsTimeToRevocation(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var views []*offboard.CaseView
	for i, h := range []int{1, 2, 3, 4, 50} {
		notice := now.Add(-time.Duration(i+1) * 24 * time.Hour)
		rev := notice.Add(time.Duration(h) * time.Hour)
		views = append(views, &offboard.CaseView{Case: &offboard.Case{ID: offboard.FormatCaseID(uint64(i + 1)),
			Status: offboard.CaseCompleted, NoticeAt: notice, CreatedAt: notice, RevokedAt: &rev}})
	}
	old := now.Add(-60 * 24 * time.Hour)
	views = append(views, &offboard.CaseView{Case: &offboard.Case{ID: "OFF-0099", Status: offboard.CaseCancelled, NoticeAt: old, CreatedAt: old}})
	a := assistant.New(fakeEngine{views: views}, offboard.ClockFunc(func() time.Time { return now }), time.UTC)
	r, ok := a.Answer(context.Background(), boss, "time to revocation")
	if !ok {
		t.Fatal("not understood")
	}
	must(t, r.Text, "5 cases, 5 completed, 0 cancelled", "median 3h, p95 2 days 2h", "fastest 1h (OFF-0001)", "slowest 2 days 2h (OFF-0005)")
	if len(r.Cards) != 1 {
		t.Errorf("want a stats card, got %d", len(r.Cards))
	}
}
