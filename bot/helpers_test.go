package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

var (
	hr       = person("hana.hr@example.com", "Hana")
	it       = person("ivan.it@example.com", "Ivan")
	finance  = person("fiona.finance@example.com", "Fiona")
	admin    = person("ada.admin@example.com", "Ada")
	manager  = person("mona.manager@example.com", "Mona")
	jane     = person("jane.doe@example.com", "Jane")
	stranger = person("stan.stranger@example.com", "Stan")
)

func person(email, name string) offboard.Actor {
	return offboard.Actor{Kind: offboard.ActorPerson, Email: email, Name: name, Platform: "test", PlatformUserID: "U" + strings.ToUpper(name)}
}

func testRoles(email string) []offboard.Role {
	switch email {
	case hr.Email:
		return []offboard.Role{offboard.RoleHR}
	case it.Email:
		return []offboard.Role{offboard.RoleIT}
	case finance.Email:
		return []offboard.Role{offboard.RoleFinance}
	case admin.Email:
		return []offboard.Role{offboard.RoleAdmin}
	}
	return nil
}

// start is a Wednesday morning in UTC.
var start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *testclock.Clock
	loc    *time.Location
	db     *store.DB
	engine flowstest.Engine
	router *bot.Router
	wakes  atomic.Int32
}

func newHarness(t *testing.T) *harness { t.Helper(); return newHarnessWith(t, nil) }

// newHarnessWith lets a test change the engine's options (departments,
// playbooks) before the engine is built.
func newHarnessWith(t *testing.T, mutate func(*flowstest.Options)) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: context.Background(), clock: testclock.New(start), loc: loc, db: db}
	o := flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Clock: h.clock, Roles: testRoles, Location: loc,
		AfterCommit: func() { h.wakes.Add(1) }}
	if mutate != nil {
		mutate(&o)
	}
	h.engine = flowstest.New(t, o)
	h.router, err = bot.New(bot.Options{Engine: h.engine, Clock: h.clock, Location: loc, Roles: testRoles})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// open opens a case for jane as HR through the slash command.
func (h *harness) open(text string) offboard.CaseID {
	h.t.Helper()
	r := h.router.Command(h.ctx, hr, text)
	if r.Ephemeral || len(r.Cards) == 0 {
		h.t.Fatalf("open %q: %+v", text, r)
	}
	id, ok := offboard.ParseCaseID(strings.Fields(r.Cards[0].Title)[0])
	if !ok {
		h.t.Fatalf("header title %q has no case id", r.Cards[0].Title)
	}
	return id
}

// openWithManager opens a voluntary case with a manager through the form.
func (h *harness) openWithManager() offboard.CaseID {
	h.t.Helper()
	r, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", map[string]string{
		"employee": jane.Email, "manager": manager.Email, "kind": "voluntary", "last_day": "2026-12-31",
	})
	if err != nil {
		h.t.Fatalf("open form: %v", err)
	}
	id, _ := offboard.ParseCaseID(strings.Fields(r.Cards[0].Title)[0])
	return id
}

func (h *harness) view(id offboard.CaseID) *offboard.CaseView {
	h.t.Helper()
	v, err := h.engine.GetCase(h.ctx, admin, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

func (h *harness) task(id offboard.CaseID, key string) *offboard.Task {
	h.t.Helper()
	for _, t := range h.view(id).Tasks {
		if t.Key == key {
			return t
		}
	}
	h.t.Fatalf("no task %s", key)
	return nil
}

// button finds a button by verb and task key (or approval id) in cards.
func button(cards []offboard.Card, verb, key string) (offboard.Button, bool) {
	for _, c := range cards {
		bs := c.Actions
		for _, s := range c.Sections {
			bs = append(bs, s.Actions...)
		}
		for _, b := range bs {
			if b.Action.Verb == verb && (b.Action.TaskKey == key || b.Action.ApprovalID == key) {
				return b, true
			}
		}
	}
	return offboard.Button{}, false
}

func section(c offboard.Card, heading string) (offboard.Section, bool) {
	for _, s := range c.Sections {
		if s.Heading == heading {
			return s, true
		}
	}
	return offboard.Section{}, false
}

func field(fs []offboard.Field, label string) string {
	for _, f := range fs {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
