package bot_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// TestClick_RunBeforeDependencies: Run on "Deactivate the Okta account"
// while the Drive and mail transfers still wait for the manager opens a
// confirmation form that lists what is unsettled and what may be lost;
// submitting it with a reason runs the task with the override.
func TestClick_RunBeforeDependencies(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	run, ok := button(bot.TaskCards(h.view(id), h.clock.Now(), h.loc), offboard.VerbStart, "okta_deactivate")
	if !ok {
		t.Fatal("no Run button on okta_deactivate")
	}

	// Someone who may not run it gets the refusal, not the form.
	if r := h.router.Click(h.ctx, finance, run.Action.Encode()); r.Form != nil || !strings.Contains(r.Text, "the IT team can") {
		t.Fatalf("finance click: %+v", r)
	}

	r := h.router.Click(h.ctx, it, run.Action.Encode())
	if r.Form == nil || !r.Ephemeral {
		t.Fatalf("click on a task with unsettled dependencies: want a form, got %+v", r)
	}
	f := r.Form
	if f.ID != bot.FormRunOverride || f.State != run.Action.Encode() || len(f.Inputs) != 1 || !f.Inputs[0].Required || f.Inputs[0].ID != "reason" {
		t.Fatalf("form = %+v", f)
	}
	text := f.Inputs[0].Label + "\n" + f.Inputs[0].Hint
	for _, want := range []string{"Deactivate the Okta account", "Transfer Drive ownership (waiting for approval)",
		"Set up mail forwarding or delegation (waiting for approval)", "Suspend the Okta account (scheduled)", "unassigns every app"} {
		if !strings.Contains(text, want) {
			t.Errorf("form text %q does not say %q", text, want)
		}
	}
	if len(f.Title) > 24 || len(f.Submit) > 24 {
		t.Errorf("title %q or submit %q too long for a Slack modal (24)", f.Title, f.Submit)
	}
	if st := h.task(id, "okta_deactivate").Status; st == offboard.TaskRunning {
		t.Fatal("the click ran the task before the confirmation")
	}

	// No reason: the field says so, nothing runs.
	if _, err := h.router.Submit(h.ctx, it, f.ID, f.State, map[string]string{"reason": " "}); err == nil {
		t.Fatal("an override without a reason was accepted")
	} else if fe, ok := errors.AsType[offboard.FieldErrors](err); !ok || fe["reason"] == "" {
		t.Fatalf("err = %v, want a reason field error", err)
	}
	// A forged or stale state is refused.
	if r, _ := h.router.Submit(h.ctx, it, f.ID, "skip|"+string(id)+"|okta_deactivate|", map[string]string{"reason": "x"}); !r.Ephemeral || r.Form != nil {
		t.Fatalf("forged state: %+v", r)
	}
	// Finance submitting the form is refused by the engine.
	if r, err := h.router.Submit(h.ctx, finance, f.ID, f.State, map[string]string{"reason": "x"}); err != nil || !r.Ephemeral {
		t.Fatalf("finance override: %+v %v", r, err)
	}
	if st := h.task(id, "okta_deactivate").Status; st == offboard.TaskRunning {
		t.Fatal("deactivation ran without a valid override")
	}

	r, err := h.router.Submit(h.ctx, it, f.ID, f.State, map[string]string{"reason": "legal hold lifted; nothing to keep"})
	if err != nil || r.Ephemeral || !strings.Contains(r.Text, "Ivan ran “Deactivate the Okta account” before") {
		t.Fatalf("override submit: %+v %v", r, err)
	}
	if st := h.task(id, "okta_deactivate").Status; st != offboard.TaskRunning {
		t.Fatalf("okta_deactivate = %s after the override, want running", st)
	}
	var actions []string
	var reason string
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		actions = append(actions, e.Action)
		if e.Action == "task.order_overridden" {
			reason = e.Evidence["reason"]
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(actions, "task.order_overridden") || reason != "legal hold lifted; nothing to keep" {
		t.Fatalf("audit %v, reason %q", actions, reason)
	}

	// A task with nothing unsettled runs at once, as before.
	sus, _ := button(bot.TaskCards(h.view(id), h.clock.Now(), h.loc), offboard.VerbStart, "okta_suspend")
	if r := h.router.Click(h.ctx, it, sus.Action.Encode()); r.Form != nil || !strings.Contains(r.Text, "Ivan started") {
		t.Fatalf("suspend click: %+v", r)
	}
}
