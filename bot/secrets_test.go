package bot_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// TestRouter_Click_RevealSecret: "Show lock PIN" answers IT privately
// with each device's PIN and audits who looked at which, never the
// value; HR, Finance, the manager and the leaver are refused privately,
// each refusal audited, and no card ever holds a PIN.
func TestRouter_Click_RevealSecret(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id := devicesCase(h)
	v := h.view(id)
	itCard, _ := bot.DepartmentCard(v, offboard.DeptIT, h.clock.Now(), h.loc)
	b, ok := button([]offboard.Card{itCard}, offboard.VerbRevealSecret, "fakemdm_lock")
	if !ok || b.Label != "Show lock PIN" {
		t.Fatalf("no Show lock PIN button on the lock: %+v", b)
	}
	raw, _ := json.Marshal(bot.TaskCards(v, h.clock.Now(), h.loc))
	if strings.Contains(string(raw), pinD1) || strings.Contains(string(raw), pinD2) {
		t.Fatal("a card holds a PIN")
	}
	click := b.Action.Encode()

	for _, who := range []offboard.Actor{hr, finance, manager, jane, stranger} {
		r := h.router.Click(h.ctx, who, click)
		if bot.AnswerClick(r) != bot.ClickPrivate || strings.Contains(r.Text, pinD1) || r.Text == "" {
			t.Errorf("%s: answer %v %q, want a private refusal without the PIN", who.Email, bot.AnswerClick(r), r.Text)
		}
	}
	r := h.router.Click(h.ctx, hr, click)
	if !strings.Contains(r.Text, "may not") && !strings.Contains(r.Text, "cannot") {
		t.Errorf("HR's refusal does not say why: %q", r.Text)
	}

	r = h.router.Click(h.ctx, tom, click)
	if bot.AnswerClick(r) != bot.ClickPrivate {
		t.Fatalf("IT's answer is %v, want private", bot.AnswerClick(r))
	}
	for _, want := range []string{"MacBook Pro 14 · serial C02XK1 — lock PIN " + pinD1, "iPhone 15 · serial F2LZQ9 — lock PIN " + pinD2, "only you see this"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("IT's answer %q lacks %q", r.Text, want)
		}
	}

	var viewed []string
	refused := 0
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		raw, err := json.Marshal(e)
		if strings.Contains(string(raw), pinD1) || strings.Contains(string(raw), pinD2) {
			t.Errorf("audit event %s holds a PIN", e.Action)
		}
		switch {
		case e.Action == "secret.viewed":
			if e.Actor.Email != tom.Email {
				t.Errorf("secret.viewed by %s", e.Actor.Email)
			}
			viewed = append(viewed, e.Evidence["secret"])
		case e.Action == "command.refused" && strings.HasPrefix(e.Detail, "reveal_secrets:"):
			refused++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(viewed, []string{"device_pin:d1", "device_pin:d2"}) {
		t.Errorf("secret.viewed for %v", viewed)
	}
	// The stranger sees no case at all; the others' refusals are on it.
	if refused < 4 {
		t.Errorf("%d refusals audited on the case, want one per refused click", refused)
	}
}

// TestRouter_Click_RevealSecretWithoutSecret: a forged button on a task
// without secrets says so and shows nothing.
func TestRouter_Click_RevealSecretWithoutSecret(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id := devicesCase(h)
	r := h.router.Click(h.ctx, tom, offboard.ActionRef{Verb: offboard.VerbRevealSecret, CaseID: id, TaskKey: "okta_suspend"}.Encode())
	if !r.Ephemeral || !strings.Contains(r.Text, "no secrets") {
		t.Errorf("answer %+v", r)
	}
	if _, ok := button(bot.TaskCards(h.view(id), h.clock.Now(), h.loc), offboard.VerbRevealSecret, "okta_suspend"); ok {
		t.Error("a task without secrets offers to show one")
	}
}
