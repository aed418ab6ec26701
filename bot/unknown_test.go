package bot_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

// newDirectoryHarness is newHarness with a directory (Okta) that knows
// Jane and Mona, as the demo's fake Okta does.
func newDirectoryHarness(t *testing.T) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := offboard.NewDirectory("okta")
	dir.SetLabel("okta", "Okta")
	dir.Set("okta", []offboard.Person{
		{Email: jane.Email, Name: "Jane Doe", ManagerEmail: manager.Email},
		{Email: manager.Email, Name: "Mona Manager"},
	}, start)
	h := &harness{t: t, ctx: t.Context(), clock: testclock.New(start), loc: nil, db: db}
	h.engine = flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Clock: h.clock, Roles: testRoles,
		Lookup: dir.Lookup, NameOf: dir.NameOf, Escalation: flowstest.EscalationPolicy{ManagerOf: dir.ManagerOf},
		AfterCommit: func() { h.wakes.Add(1) }})
	h.router, err = bot.New(bot.Options{Engine: h.engine, Clock: h.clock, Roles: testRoles})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func openButton(t *testing.T, r offboard.Reply, label string) offboard.Button {
	t.Helper()
	for _, c := range r.Cards {
		for _, b := range c.Actions {
			if b.Label == label {
				if b.Action.Verb != offboard.VerbOpen || b.Action.Open == nil {
					t.Fatalf("button %q acts as %+v", label, b.Action)
				}
				return b
			}
		}
	}
	t.Fatalf("no button %q in %+v", label, r)
	return offboard.Button{}
}

func openCases(t *testing.T, h *harness) []*offboard.CaseView {
	t.Helper()
	cases, err := h.engine.ListCases(h.ctx, admin, offboard.CaseOpen, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// The typo of issue 12 in chat: refused privately, with a button for the
// suggestion and one to open the case anyway; both open through the
// engine as the clicker, so only HR and admins get anywhere with them.
func TestRouter_UnknownEmail(t *testing.T) {
	h := newDirectoryHarness(t)
	r := h.router.Command(h.ctx, hr, "jane.doe@exmaple.com involuntary")
	if !r.Ephemeral || !strings.Contains(r.Text, "did you mean jane.doe@example.com?") || !strings.Contains(r.Text, "in Okta") {
		t.Fatalf("typo reply: %+v", r)
	}
	use := openButton(t, r, "Use jane.doe@example.com")
	anyway := openButton(t, r, "Open the case anyway")
	if anyway.Confirm == "" || anyway.Style != "" {
		t.Errorf("open anyway should ask first and not look like the safe choice: %+v", anyway)
	}
	if len(openCases(t, h)) != 0 {
		t.Fatal("the typo opened a case")
	}

	// What a platform sends back is the encoded value, not the struct.
	anywayValue, useValue := anyway.Action.Encode(), use.Action.Encode()

	// Someone who may not open cases gains nothing from the button.
	if got := h.router.Click(h.ctx, finance, anywayValue); !got.Ephemeral || !strings.Contains(got.Text, "Only HR and admins") {
		t.Errorf("finance click: %+v", got)
	}
	if len(openCases(t, h)) != 0 {
		t.Fatal("a finance click opened a case")
	}

	// HR confirms: the case opens for the typed email, answered privately.
	got := h.router.Click(h.ctx, hr, anywayValue)
	if !got.Ephemeral || len(got.Cards) != 1 || !strings.Contains(got.Text, "opened for jane.doe@exmaple.com") {
		t.Fatalf("confirm click: %+v", got)
	}
	cases := openCases(t, h)
	if len(cases) != 1 || cases[0].Case.Employee.Email != "jane.doe@exmaple.com" || cases[0].Case.Kind != offboard.Involuntary {
		t.Fatalf("cases after confirm: %+v", cases)
	}

	// The suggestion opens the real Jane's case, with her name and
	// manager from the directory.
	got = h.router.Click(h.ctx, admin, useValue)
	if !got.Ephemeral || len(got.Cards) != 1 || !strings.Contains(got.Text, "Jane Doe") {
		t.Fatalf("suggestion click: %+v", got)
	}
	var real *offboard.Case
	for _, v := range openCases(t, h) {
		if v.Case.Employee.Email == jane.Email {
			real = v.Case
		}
	}
	if real == nil || real.Employee.ManagerEmail != manager.Email || real.Kind != offboard.Involuntary {
		t.Fatalf("case for the suggestion: %+v", real)
	}
}

// TestRouter_UnknownEmailSentence: the refusal read "did you mean
// jane.doe@example.com?." — sentence() put a full stop after the
// question mark. A sentence that ends in "?" or "!" keeps it alone.
func TestRouter_UnknownEmailSentence(t *testing.T) {
	h := newDirectoryHarness(t)
	r := h.router.Command(h.ctx, hr, "jane.doe@exmaple.com involuntary")
	if !strings.HasSuffix(r.Text, "did you mean jane.doe@example.com?") {
		t.Fatalf("reply text %q should end with the question", r.Text)
	}
	for _, c := range r.Cards {
		for _, sec := range c.Sections {
			if strings.Contains(sec.Text, "?.") {
				t.Errorf("card %q says %q", c.Title, sec.Text)
			}
		}
	}
}

// The form shows the refusal beside the email with the suggestion, and
// its "open anyway" choice opens the case.
func TestSubmit_OpenCaseFormUnknownEmail(t *testing.T) {
	h := newDirectoryHarness(t)
	values := map[string]string{"employee_email": "jane.doe@exmaple.com", "manager": "mona.manger@example.com",
		"kind": "voluntary", "last_day": "2026-12-31", "confirm_unknown": "no"}
	_, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", values)
	var fe offboard.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want field errors", err)
	}
	if !strings.Contains(fe["employee_email"], "Did you mean jane.doe@example.com?") ||
		!strings.Contains(fe["manager"], "Did you mean mona.manager@example.com?") || fe["confirm_unknown"] == "" {
		t.Fatalf("field errors = %v", fe)
	}
	form := bot.OpenCaseForm("")
	found := false
	for _, in := range form.Inputs {
		found = found || in.ID == "confirm_unknown"
	}
	if !found {
		t.Fatal("the open-case form has no confirm_unknown input for the error to sit beside")
	}
	values["confirm_unknown"] = "yes"
	r, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", values)
	if err != nil || len(r.Cards) != 1 {
		t.Fatalf("confirmed form: %v %+v", err, r)
	}
	if cases := openCases(t, h); len(cases) != 1 || cases[0].Case.Employee.ManagerEmail != "mona.manger@example.com" {
		t.Fatalf("cases = %+v", cases)
	}
}
