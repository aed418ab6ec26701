package bot_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func chasedField(c offboard.Card) (string, bool) {
	for _, f := range c.Fields {
		if f.Label == "Chased" {
			return f.Value, true
		}
	}
	return "", false
}

func TestApprovalCard_Chased(t *testing.T) {
	h := newHarness(t)
	id := h.openWithManager()
	v := h.view(id)
	if len(v.Approvals) == 0 {
		t.Fatal("no approvals")
	}
	a := *v.Approvals[0]
	if got, ok := chasedField(bot.ApprovalCard(v, &a)); ok {
		t.Fatalf("never nudged, but the card says chased %q", got)
	}
	a.Reminders = 1
	if got, _ := chasedField(bot.ApprovalCard(v, &a)); got != "reminded 1×" {
		t.Fatalf("after a reminder: %q", got)
	}
	a.EscalationLevel, a.EscalatedTo = 2, []string{"bea.boss@example.com", "carl.cto@example.com"}
	if got, _ := chasedField(bot.ApprovalCard(v, &a)); got != "reminded 1× · escalated to bea.boss@example.com, carl.cto@example.com" {
		t.Fatalf("after escalations: %q", got)
	}
	a.Reminders, a.EscalatedTo = 0, nil
	if got, _ := chasedField(bot.ApprovalCard(v, &a)); got != "escalated to level 2" {
		t.Fatalf("escalated to nobody new: %q", got)
	}
}
