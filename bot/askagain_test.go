package bot_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// taskCard is the department card of task key, as the room shows it.
func (h *harness) taskCard(id offboard.CaseID, key string) offboard.Card {
	h.t.Helper()
	card, ok := bot.DepartmentCard(h.view(id), h.task(id, key).Department, h.clock.Now(), h.loc)
	if !ok {
		h.t.Fatalf("no card for the department of %s", key)
	}
	return card
}

// After a manager denies a transfer, IT asks again with another target:
// the denial stays on the record, a new approval is asked for with the
// new parameters, and only people who may act on the task can ask.
func TestClick_AskAgain(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	var denied string
	for _, a := range h.view(id).Approvals {
		if a.TaskKey == "mail_forwarding" {
			denied = a.ID
		}
	}
	if _, ok := button([]offboard.Card{h.taskCard(id, "mail_forwarding")}, offboard.VerbAskAgain, "mail_forwarding"); ok {
		t.Fatal("Ask again offered while the approval is still pending")
	}
	if _, err := h.router.Submit(h.ctx, manager, bot.FormDeny, denied, map[string]string{"reason": "send it to legal"}); err != nil {
		t.Fatal(err)
	}

	card := h.taskCard(id, "mail_forwarding")
	ask, ok := button([]offboard.Card{card}, offboard.VerbAskAgain, "mail_forwarding")
	if !ok {
		t.Fatalf("no Ask again on the denied task: %+v", card)
	}
	if _, ok := button([]offboard.Card{card}, offboard.VerbAskAgain, "transfer_drive"); ok {
		t.Error("Ask again offered on transfer_drive, whose approval is pending")
	}

	if r := h.router.Click(h.ctx, stranger, ask.Action.Encode()); !r.Ephemeral || r.Form != nil {
		t.Fatalf("a stranger got %+v", r)
	}
	r := h.router.Click(h.ctx, it, ask.Action.Encode())
	if r.Form == nil || r.Form.ID != bot.FormAskAgain {
		t.Fatalf("click: %+v", r)
	}
	form := r.Form
	var to offboard.Input
	for _, in := range form.Inputs {
		if in.ID == "param_to" {
			to = in
		}
	}
	if to.Initial != manager.Email || to.Kind != offboard.InputEmail || !to.Required {
		t.Fatalf("the target input = %+v in %+v", to, form.Inputs)
	}

	fieldErr := func(who offboard.Actor, values map[string]string, field, want string) {
		t.Helper()
		_, err := h.router.Submit(h.ctx, who, form.ID, form.State, values)
		var fe offboard.FieldErrors
		if !errors.As(err, &fe) || !strings.Contains(fe[field], want) {
			t.Fatalf("submit %v: %v, want %q on %s", values, err, want, field)
		}
	}
	fieldErr(it, map[string]string{"param_to": ""}, "param_to", "Say what")
	fieldErr(it, map[string]string{"param_to": strings.Repeat("x", 3000)}, "param_to", "Give an email address")
	fieldErr(it, map[string]string{"param_to": jane.Email}, "param_to", "person who is leaving")
	fieldErr(it, map[string]string{"param_to": "bob.peer@example.com", "approver": "not an email"}, "approver", "email address")
	fieldErr(it, map[string]string{"param_to": "bob.peer@example.com", "approver": jane.Email}, "approver", "cannot approve")
	if r, err := h.router.Submit(h.ctx, finance, form.ID, form.State, map[string]string{"param_to": "bob.peer@example.com"}); err != nil || !r.Ephemeral {
		t.Fatalf("finance asked again: %+v, %v", r, err)
	}
	if r, err := h.router.Submit(h.ctx, it, form.ID, "garbage", map[string]string{"param_to": "bob.peer@example.com"}); err != nil || !r.Ephemeral {
		t.Fatalf("bad state: %+v, %v", r, err)
	}

	r, err := h.router.Submit(h.ctx, it, form.ID, form.State, map[string]string{"param_to": "Bob.Peer@example.com", "approver": "ada.admin@example.com"})
	if err != nil || r.Ephemeral || !strings.Contains(r.Text, "Ivan asked again for") {
		t.Fatalf("ask again: %+v, %v", r, err)
	}
	var pending, old *offboard.Approval
	for _, a := range h.view(id).Approvals {
		switch {
		case a.ID == denied:
			old = a
		case a.TaskKey == "mail_forwarding" && a.Status == offboard.ApprovalPending:
			pending = a
		}
	}
	if old == nil || old.Status != offboard.ApprovalDenied {
		t.Errorf("the denial = %+v, want it kept as denied", old)
	}
	if pending == nil || pending.Params["to"] != "bob.peer@example.com" || pending.Approver != "ada.admin@example.com" {
		t.Fatalf("new approval = %+v", pending)
	}
	// The question names the receiver as a person, not as "to=…".
	if q := pending.Question; !strings.HasSuffix(q, ", to bob.peer@example.com?") || strings.Contains(q, "to=") {
		t.Errorf("question %q, want it to name the receiver", q)
	}
	if st := h.task(id, "mail_forwarding").Status; st != offboard.TaskWaitingApproval {
		t.Errorf("mail_forwarding = %s, want waiting for the new approval", st)
	}
	if _, ok := button([]offboard.Card{h.taskCard(id, "mail_forwarding")}, offboard.VerbAskAgain, "mail_forwarding"); ok {
		t.Error("Ask again still offered once asked")
	}
}

// A handover with no receiver (no manager known: Google Workspace alone
// is no directory) offers Ask again while its question is pending, since
// no yes can make it work; once a receiver is named the question waits
// as any other. A failed handover offers it too: Retry would ask about
// the same receiver again.
func TestAskAgain_HandoverWithoutReceiver(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com voluntary 2026-12-31")
	if to := h.task(id, "transfer_drive").Params["to"]; to != "" {
		t.Fatalf("to = %q, want none (no manager)", to)
	}
	ask, ok := button([]offboard.Card{h.taskCard(id, "transfer_drive")}, offboard.VerbAskAgain, "transfer_drive")
	if !ok {
		t.Fatal("no Ask again on a pending handover with no receiver")
	}
	r := h.router.Click(h.ctx, it, ask.Action.Encode())
	if r.Form == nil || r.Form.ID != bot.FormAskAgain {
		t.Fatalf("click: %+v", r)
	}
	if _, err := h.router.Submit(h.ctx, it, r.Form.ID, r.Form.State, map[string]string{"param_to": "bob.peer@example.com"}); err != nil {
		t.Fatal(err)
	}
	if to := h.task(id, "transfer_drive").Params["to"]; to != "bob.peer@example.com" {
		t.Fatalf("to = %q after Ask again", to)
	}
	if _, ok := button([]offboard.Card{h.taskCard(id, "transfer_drive")}, offboard.VerbAskAgain, "transfer_drive"); ok {
		t.Error("Ask again still offered while the question about bob is pending")
	}

	v := h.view(id)
	for _, tk := range v.Tasks {
		if tk.Key == "transfer_drive" {
			tk.Status = offboard.TaskFailed
		}
	}
	card, _ := bot.DepartmentCard(v, offboard.DeptIT, h.clock.Now(), h.loc)
	if _, ok := button([]offboard.Card{card}, offboard.VerbAskAgain, "transfer_drive"); !ok {
		t.Error("no Ask again on a failed handover")
	}
	if _, ok := button([]offboard.Card{card}, offboard.VerbAskAgain, "okta_suspend"); ok {
		t.Error("Ask again offered on a task that is no handover")
	}
}
