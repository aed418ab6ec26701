package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

// A click on Approve by someone who may not decide (a channel shows one
// card to everyone) is refused saying who can, privately, and by name.
func TestRouter_Click_RefusalSaysWhoDecides(t *testing.T) {
	h := newHarnessWith(t, func(o *flowstest.Options) {
		o.NameOf = func(email string) string {
			if email == manager.Email {
				return "Mona Manager"
			}
			return ""
		}
	})
	id := h.openWithManager()
	var a *offboard.Approval
	for _, ap := range h.view(id).Approvals {
		if ap.TaskKey == "transfer_drive" {
			a = ap
		}
	}
	if a == nil {
		t.Fatal("no transfer approval")
	}
	if want := "Transfer jane.doe@example.com's Drive files to Mona Manager?"; a.Question != want {
		t.Errorf("question = %q, want %q", a.Question, want)
	}
	ref := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: id, TaskKey: a.TaskKey, ApprovalID: a.ID}.Encode()
	for _, who := range []offboard.Actor{it, hr} {
		r := h.router.Click(h.ctx, who, ref)
		if !r.Ephemeral || !strings.Contains(r.Text, "only Mona Manager or their delegates can decide this") {
			t.Errorf("%s's click: %+v, want a private refusal naming Mona Manager", who.Email, r)
		}
		if strings.Contains(r.Text, "own request") {
			t.Errorf("%s's refusal still speaks of their own request: %q", who.Email, r.Text)
		}
	}
	card := bot.ApprovalCard(h.view(id), a)
	if card.Fields[2].Value != "Waiting for Mona Manager" || card.Fields[1].Value != "Mona Manager (mona.manager@example.com)" {
		t.Errorf("approval card fields: %+v", card.Fields)
	}
	if card.Actions[1].Style != "danger" {
		t.Errorf("Deny is styled %q, want danger", card.Actions[1].Style)
	}
}
