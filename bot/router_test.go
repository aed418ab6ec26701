package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func TestCommand_OpenCase(t *testing.T) {
	tests := []struct {
		name      string
		who       offboard.Actor
		text      string
		ephemeral bool
		want      string // in the reply text, or in the header subtitle for successes
		opened    bool
	}{
		{name: "HR inline involuntary", who: hr, text: "<mailto:jane.doe@example.com|jane.doe@example.com> involuntary", want: "Confidential", opened: true},
		{name: "admin voluntary", who: admin, text: "Voluntary jane.doe@example.com 2026-12-31", want: "Voluntary departure", opened: true},
		{name: "finance refused", who: finance, text: "jane.doe@example.com involuntary", ephemeral: true, want: "Only HR and admins can open offboarding cases."},
		{name: "stranger refused", who: stranger, text: "jane.doe@example.com involuntary", ephemeral: true, want: "HR"},
		{name: "HR for themselves", who: hr, text: "hana.hr@example.com involuntary", ephemeral: true, want: "for themselves"},
		{name: "past last day", who: hr, text: "jane.doe@example.com voluntary 2026-01-01", ephemeral: true, want: "in the past"},
		{name: "unknown input", who: hr, text: "jane.doe@example.com sacked", ephemeral: true, want: "I didn't understand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.router.Command(h.ctx, tt.who, tt.text)
			if r.Ephemeral != tt.ephemeral {
				t.Fatalf("ephemeral = %v, want %v: %+v", r.Ephemeral, tt.ephemeral, r)
			}
			got := r.Text
			if tt.opened {
				if len(r.Cards) != 1 {
					t.Fatalf("want one header card, got %+v", r)
				}
				got = r.Cards[0].Subtitle
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("reply %q does not contain %q", got, tt.want)
			}
			cases, err := h.engine.ListCases(h.ctx, admin, offboard.CaseOpen, 0)
			if err != nil {
				t.Fatal(err)
			}
			if opened := len(cases) == 1; opened != tt.opened {
				t.Errorf("case opened = %v, want %v", opened, tt.opened)
			}
			if woke := h.wakes.Load() > 0; woke != tt.opened {
				t.Errorf("runner woken = %v, want %v", woke, tt.opened)
			}
		})
	}
}

func TestCommand_FormHelpStatusListCancel(t *testing.T) {
	h := newHarness(t)
	if r := h.router.Command(h.ctx, hr, ""); r.Form == nil || r.Form.ID != "open_case" || !r.Ephemeral {
		t.Fatalf("empty command: %+v", r)
	}
	if r := h.router.Command(h.ctx, hr, "help"); !r.Ephemeral || !strings.Contains(r.Text, "/offboard status") {
		t.Fatalf("help: %+v", r)
	}
	id := h.open("jane.doe@example.com involuntary")
	for _, text := range []string{"status jane.doe@example.com", "status " + strings.ToLower(string(id)), "status 1"} {
		r := h.router.Command(h.ctx, it, text)
		if len(r.Cards) != 1 || !strings.HasPrefix(r.Cards[0].Title, string(id)) || !strings.Contains(r.Text, "Left to do") {
			t.Errorf("%q: %+v", text, r)
		}
	}
	// Finance does not see confidential cases.
	if r := h.router.Command(h.ctx, finance, "status "+string(id)); len(r.Cards) != 0 || !strings.Contains(r.Text, "no case") {
		t.Errorf("finance status of a confidential case: %+v", r)
	}
	if r := h.router.Command(h.ctx, it, "list"); len(r.Cards) != 1 || !strings.Contains(r.Text, string(id)) {
		t.Errorf("list: %+v", r)
	}
	if r := h.router.Command(h.ctx, finance, "list"); !strings.Contains(r.Text, "No open cases") {
		t.Errorf("finance list: %+v", r)
	}
	if r := h.router.Command(h.ctx, it, "cancel "+string(id)+" she stays"); !r.Ephemeral || !strings.Contains(r.Text, "HR and admins") {
		t.Errorf("IT cancel: %+v", r)
	}
	r := h.router.Command(h.ctx, hr, "cancel "+string(id)+" she stays")
	if r.Ephemeral || len(r.Cards) != 1 || !strings.Contains(r.Text, "she stays") {
		t.Fatalf("HR cancel: %+v", r)
	}
	if st := field(r.Cards[0].Fields, "Status"); st != "Cancelled" {
		t.Errorf("header status after cancel = %q", st)
	}
}

func TestSubmit_OpenCaseForm(t *testing.T) {
	good := map[string]string{
		"employee": "jane.doe@example.com", "manager": "mona.manager@example.com",
		"kind": "voluntary", "last_day": "2026-12-31", "last_time": "17:30", "notes": "moving abroad",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name   string
		values map[string]string
		field  string
	}{
		{"missing employee", with("employee", ""), "employee"},
		{"bad email", with("employee", "jane at example"), "employee"},
		{"employee is the submitter", with("employee", hr.Email), "employee"},
		{"missing kind", with("kind", ""), "kind"},
		{"unknown kind", with("kind", "fired"), "kind"},
		{"voluntary without last day", with("last_day", ""), "last_day"},
		{"last day not a date", with("last_day", "31/12/2026"), "last_day"},
		{"last day in the past", with("last_day", "2026-11-24"), "last_day"},
		{"bad manager email", with("manager", "mona"), "manager"},
		{"manager is the employee", with("manager", "Jane.Doe@example.com"), "manager"},
		{"bad time", with("last_time", "25:61"), "last_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", tt.values)
			var fe offboard.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FieldErrors", err)
			}
			if fe[tt.field] == "" {
				t.Fatalf("FieldErrors %v has nothing for %s", fe, tt.field)
			}
			if cases, _ := h.engine.ListCases(h.ctx, admin, offboard.CaseOpen, 0); len(cases) != 0 {
				t.Fatal("a case was opened from a bad form")
			}
		})
	}

	h := newHarness(t)
	r, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", good)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ephemeral || len(r.Cards) != 1 || field(r.Cards[0].Fields, "Manager") != manager.Email {
		t.Fatalf("good submit: %+v", r)
	}
	// Involuntary needs no last day.
	inv := with("kind", "involuntary")
	inv["employee"], inv["last_day"] = "bob@example.com", ""
	if _, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", inv); err != nil {
		t.Fatalf("involuntary without last day: %v", err)
	}
	// The engine's refusal about a field lands on the field.
	_, err = h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", good)
	var fe offboard.FieldErrors
	if !errors.As(err, &fe) || !strings.Contains(fe["employee"], "already has an open") {
		t.Fatalf("second case for the same person: %v", err)
	}
	// A non-HR submitter is refused without field errors.
	r, err = h.router.Submit(h.ctx, finance, bot.FormOpenCase, "", with("employee", "carl@example.com"))
	if err != nil || !r.Ephemeral || r.Text != "Only HR and admins can open offboarding cases." {
		t.Fatalf("finance submit: %+v, %v", r, err)
	}
}

func TestClick_TaskFlow(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	other := h.open("bob@example.com involuntary")
	now := h.clock.Now()
	cards := bot.TaskCards(h.view(id), now, h.loc)

	run, ok := button(cards, offboard.VerbStart, "okta_suspend")
	if !ok || run.Label != "Suspend in Okta" {
		t.Fatalf("no Suspend in Okta button: %+v", run)
	}
	if _, ok := button(cards, offboard.VerbComplete, "okta_suspend"); ok {
		t.Error("an automated pending task must not offer Mark done")
	}
	if _, ok := button(cards, offboard.VerbRetry, "okta_suspend"); ok {
		t.Error("Retry offered on a task that has not failed")
	}
	clear, _ := button(cards, offboard.VerbStart, "okta_clear_sessions")
	skip, _ := button(cards, offboard.VerbSkip, "device_recover")
	done, _ := button(cards, offboard.VerbComplete, "cancel_card")
	assign, _ := button(cards, offboard.VerbAssign, "final_expenses")

	tests := []struct {
		name      string
		who       offboard.Actor
		value     string
		ephemeral bool
		text      string // in the reply text
		check     func(t *testing.T, r offboard.Reply)
	}{
		{name: "IT runs suspend", who: it, value: run.Action.Encode(), text: "Ivan started “Suspend the Okta account”",
			check: func(t *testing.T, r offboard.Reply) {
				if len(r.Cards) != 1 || !strings.HasPrefix(r.Cards[0].Title, "IT tasks") {
					t.Fatalf("want the IT card, got %+v", r.Cards)
				}
				s, _ := section(r.Cards[0], "Suspend the Okta account")
				if field(s.Fields, "Status") != "Running" || len(s.Actions) != 0 {
					t.Errorf("suspend section = %+v, want running without buttons", s)
				}
			}},
		{name: "IT runs suspend again", who: it, value: run.Action.Encode(), ephemeral: true, text: "already running"},
		{name: "finance may not run IT tasks", who: finance, value: clear.Action.Encode(), ephemeral: true, text: "the IT team can"},
		{name: "forged value on another case", who: stranger, value: "complete|" + string(other) + "|cancel_card|", ephemeral: true, text: "the Finance team can"},
		{name: "forged value on no case", who: it, value: "start|OFF-0099|okta_suspend|", ephemeral: true, text: "OFF-0099"},
		{name: "malformed value", who: it, value: "start|nope", ephemeral: true, text: "That button is broken; refresh the card."},
		{name: "unknown verb", who: it, value: "explode|" + string(id) + "|okta_suspend|", ephemeral: true, text: "That button is broken"},
		{name: "missing task key", who: it, value: "start|" + string(id) + "||", ephemeral: true, text: "That button is broken"},
		{name: "finance marks card done", who: finance, value: done.Action.Encode(), text: "Fiona marked “Cancel the corporate card” done",
			check: func(t *testing.T, r offboard.Reply) {
				s, _ := section(r.Cards[0], "Cancel the corporate card")
				if !strings.HasPrefix(r.Cards[0].Title, "Finance tasks") || !strings.HasPrefix(field(s.Fields, "Status"), "Done") || s.Tone != offboard.ToneGood {
					t.Errorf("card = %+v", r.Cards[0])
				}
			}},
		{name: "finance takes expenses", who: finance, value: assign.Action.Encode(), text: "Fiona took",
			check: func(t *testing.T, r offboard.Reply) {
				s, _ := section(r.Cards[0], "Settle the final expense report")
				if field(s.Fields, "Assignee") != finance.Email {
					t.Errorf("assignee = %q", field(s.Fields, "Assignee"))
				}
			}},
		{name: "assign on an automated task", who: it, value: "assign|" + string(id) + "|okta_reset_mfa|", ephemeral: true, text: "runs by itself"},
		{name: "skip opens the form", who: it, value: skip.Action.Encode(), ephemeral: true,
			check: func(t *testing.T, r offboard.Reply) {
				if r.Form == nil || r.Form.ID != "skip_task" || r.Form.State != skip.Action.Encode() || !r.Form.Inputs[0].Required {
					t.Errorf("form = %+v", r.Form)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.router.Click(h.ctx, tt.who, tt.value)
			if r.Ephemeral != tt.ephemeral || !strings.Contains(r.Text, tt.text) {
				t.Fatalf("reply = %+v, want ephemeral=%v with %q", r, tt.ephemeral, tt.text)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	if st := h.task(id, "okta_suspend").Status; st != offboard.TaskRunning {
		t.Fatalf("okta_suspend = %s, want running", st)
	}

	// Submitting the skip form.
	form := bot.SkipForm(id, "device_recover", "Lock and recover the laptop")
	if _, err := h.router.Submit(h.ctx, it, form.ID, form.State, map[string]string{"reason": "  "}); err == nil {
		t.Fatal("a skip without a reason was accepted")
	} else if fe, ok := errors.AsType[offboard.FieldErrors](err); !ok || fe["reason"] == "" {
		t.Fatalf("err = %v, want a reason field error", err)
	}
	if r, err := h.router.Submit(h.ctx, finance, form.ID, form.State, map[string]string{"reason": "no laptop"}); err != nil || !r.Ephemeral {
		t.Fatalf("finance skipping an IT task: %+v, %v", r, err)
	}
	r, err := h.router.Submit(h.ctx, it, form.ID, form.State, map[string]string{"reason": "she kept no laptop"})
	if err != nil || r.Ephemeral {
		t.Fatalf("skip: %+v, %v", r, err)
	}
	s, _ := section(r.Cards[0], "Lock and recover the laptop")
	if field(s.Fields, "Status") != "Skipped" || !strings.Contains(s.Text, "she kept no laptop") {
		t.Errorf("skipped section = %+v", s)
	}
	if st := h.task(id, "device_recover").Status; st != offboard.TaskSkipped {
		t.Fatalf("device_recover = %s, want skipped", st)
	}
	if r, _ := h.router.Submit(h.ctx, it, form.ID, "garbage", map[string]string{"reason": "x"}); !r.Ephemeral {
		t.Errorf("bad state: %+v", r)
	}
}

func TestClick_Approvals(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	v := h.view(id)
	var cards []offboard.Card
	ids := map[string]string{}
	for _, a := range v.Approvals {
		cards = append(cards, bot.ApprovalCard(v, a))
		ids[a.TaskKey] = a.ID
	}
	approveDrive, ok := button(cards, offboard.VerbApprove, ids["transfer_drive"])
	if !ok {
		t.Fatalf("no approve button for transfer_drive in %+v", cards)
	}
	approveMail, _ := button(cards, offboard.VerbApprove, ids["mail_forwarding"])
	denyMail, _ := button(cards, offboard.VerbDeny, ids["mail_forwarding"])

	tests := []struct {
		name      string
		who       offboard.Actor
		value     string
		ephemeral bool
		text      string
		status    string // the approval card's Status field
	}{
		{name: "stranger may not approve", who: stranger, value: approveDrive.Action.Encode(), ephemeral: true, text: "only mona.manager@example.com"},
		{name: "the employee may not approve", who: jane, value: approveDrive.Action.Encode(), ephemeral: true, text: "person leaving"},
		{name: "manager approves", who: manager, value: approveDrive.Action.Encode(), text: "Mona approved “Transfer Drive ownership”", status: "Approved"},
		{name: "approved twice", who: manager, value: approveDrive.Action.Encode(), ephemeral: true, text: "already approved"},
		{name: "deny opens the form", who: manager, value: denyMail.Action.Encode(), ephemeral: true},
		{name: "approve without id", who: manager, value: "approve|" + string(id) + "||", ephemeral: true, text: "That button is broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.router.Click(h.ctx, tt.who, tt.value)
			if r.Ephemeral != tt.ephemeral || !strings.Contains(r.Text, tt.text) {
				t.Fatalf("reply = %+v, want ephemeral=%v with %q", r, tt.ephemeral, tt.text)
			}
			if tt.status != "" {
				if len(r.Cards) != 1 || field(r.Cards[0].Fields, "Status") != tt.status || len(r.Cards[0].Actions) != 0 {
					t.Fatalf("card = %+v, want status %s without buttons", r.Cards, tt.status)
				}
			}
		})
	}
	if st := h.task(id, "transfer_drive").Status; st != offboard.TaskPending {
		t.Errorf("transfer_drive = %s after approval, want pending", st)
	}

	r := h.router.Click(h.ctx, manager, denyMail.Action.Encode())
	if r.Form == nil || r.Form.ID != "deny_approval" || r.Form.State != ids["mail_forwarding"] || !strings.Contains(r.Form.Inputs[0].Label, "Forward") {
		t.Fatalf("deny form = %+v", r.Form)
	}
	if _, err := h.router.Submit(h.ctx, manager, r.Form.ID, r.Form.State, nil); err == nil {
		t.Fatal("a denial without a reason was accepted")
	}
	if r, err := h.router.Submit(h.ctx, stranger, r.Form.ID, r.Form.State, map[string]string{"reason": "no"}); err != nil || !r.Ephemeral {
		t.Fatalf("stranger denial: %+v, %v", r, err)
	}
	r, err := h.router.Submit(h.ctx, manager, r.Form.ID, r.Form.State, map[string]string{"reason": "I will read it myself"})
	if err != nil || r.Ephemeral || len(r.Cards) != 1 {
		t.Fatalf("deny: %+v, %v", r, err)
	}
	if st := field(r.Cards[0].Fields, "Status"); st != "Denied" || !strings.Contains(field(r.Cards[0].Fields, "Decision"), "I will read it myself") {
		t.Errorf("denied card = %+v", r.Cards[0])
	}
	if r := h.router.Click(h.ctx, manager, approveMail.Action.Encode()); !r.Ephemeral || !strings.Contains(r.Text, "already denied") {
		t.Errorf("approve after deny: %+v", r)
	}
}

func TestAsk(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	tests := []struct {
		q       string
		summary bool
		text    string
	}{
		{q: "status of jane.doe@example.com", summary: true, text: "Left to do"},
		{q: "<@U123> status of <mailto:jane.doe@example.com|jane.doe@example.com>?", summary: true, text: "Left to do"},
		{q: "status OFF-0001", summary: true, text: "Left to do"},
		{q: "What's left on off-1?", summary: true, text: "IT:"},
		{q: "jane.doe@example.com", summary: true, text: "Left to do"},
		{q: "list", text: string(id)},
		{q: "status of nobody@example.com", text: "no case"},
		{q: "tell me a joke", text: "I can answer"},
		{q: "", text: "I can answer"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			r := h.router.Ask(h.ctx, it, tt.q)
			if !strings.Contains(r.Text, tt.text) {
				t.Fatalf("Ask(%q) = %q, want it to contain %q", tt.q, r.Text, tt.text)
			}
			if got := len(r.Cards) == 1 && strings.HasPrefix(r.Cards[0].Title, string(id)); got != tt.summary {
				t.Fatalf("Ask(%q): summary card = %v, want %v (%+v)", tt.q, got, tt.summary, r.Cards)
			}
		})
	}
}

func TestCommand_BareFormRefusedForNonHR(t *testing.T) {
	h := newHarness(t)
	var before int
	h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(*offboard.AuditEvent) error { before++; return nil })
	r := h.router.Command(h.ctx, finance, "")
	if !r.Ephemeral || r.Form != nil || !strings.Contains(r.Text, "Only HR and admins") {
		t.Fatalf("finance got %+v, want an ephemeral refusal and no form", r)
	}
	var refused int
	h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		if e.Outcome == offboard.OutcomeRefused && e.Actor.Email == finance.Email {
			refused++
		}
		return nil
	})
	if refused != 1 {
		t.Fatalf("%d refusal audit entries, want 1", refused)
	}
	if r := h.router.Command(h.ctx, hr, ""); r.Form == nil || r.Form.ID != bot.FormOpenCase {
		t.Fatalf("HR got %+v, want the form", r)
	}
}

func TestCommand_StatusByName(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	for _, q := range []string{"status jane", "status Jane Doe", "status jane.doe"} {
		r := h.router.Command(h.ctx, hr, q)
		if !r.Ephemeral || len(r.Cards) == 0 || !strings.Contains(r.Cards[0].Title, string(id)) {
			t.Fatalf("%q: %+v", q, r)
		}
	}
	if r := h.router.Command(h.ctx, hr, "status nobody"); !strings.Contains(r.Text, "no case for nobody") {
		t.Fatalf("unknown name: %q", r.Text)
	}
}

func TestClick_RevokeNow(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	ref := offboard.ActionRef{Verb: offboard.VerbRevokeNow, CaseID: id}.Encode()
	if r := h.router.Click(h.ctx, finance, ref); !r.Ephemeral {
		t.Fatalf("finance revoke now: %+v", r)
	}
	r := h.router.Click(h.ctx, it, ref)
	if r.Ephemeral || !strings.Contains(r.Text, "revoked now") || len(r.Cards) != 1 {
		t.Fatalf("IT revoke now: %+v", r)
	}
	for _, a := range r.Cards[0].Actions {
		if a.Action.Verb == offboard.VerbRevokeNow {
			t.Fatal("the IT card still offers Revoke now after it ran")
		}
	}
}
