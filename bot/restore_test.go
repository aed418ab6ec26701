package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// TestClick_RestoreAfterCancel: a case cancelled after the suspend ran
// shows IT a Restore task with a button on its card, the note says what
// cannot come back, and one click queues the restore.
func TestClick_RestoreAfterCancel(t *testing.T) {
	h := newHarness(t)
	id := h.open("bob@example.com involuntary")
	var jobs []*offboard.Job
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		jobs, err = tx.ReadyJobs(h.clock.Now(), 0, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == offboard.JobAction && j.TaskKey == "okta_suspend" {
			if _, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: offboard.System("runner"), JobID: j.ID, Verified: true,
				Evidence: map[string]string{"okta_user_id": "00ubob"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := h.router.Command(h.ctx, hr, "cancel "+string(id)+" termination rescinded"); r.Ephemeral {
		t.Fatalf("cancel: %+v", r)
	}
	v := h.view(id)
	if !bot.AwaitsRestore(v) {
		t.Fatal("a cancelled case with a restore to do must keep its room")
	}
	card, ok := bot.DepartmentCard(v, offboard.DeptIT, h.clock.Now(), h.loc)
	if !ok {
		t.Fatal("no IT card")
	}
	s, ok := section(card, "Restore Okta access")
	if !ok || !strings.Contains(s.Text, "Suspend the Okta account (done)") {
		t.Fatalf("restore section = %+v", s)
	}
	b, ok := button([]offboard.Card{card}, offboard.VerbStart, "restore_okta")
	if !ok || b.Label != "Restore in Okta" || b.Confirm == "" {
		t.Fatalf("restore button = %+v", b)
	}
	if _, ok := button([]offboard.Card{card}, offboard.VerbStart, "okta_deactivate"); ok {
		t.Fatal("a skipped task of a cancelled case offers Run")
	}
	r := h.router.Click(h.ctx, it, b.Action.Encode())
	if r.Ephemeral || !strings.Contains(r.Text, "Ivan started “Restore Okta access”") {
		t.Fatalf("restore click: %+v", r)
	}
	if st := h.task(id, "restore_okta").Status; st != offboard.TaskRunning {
		t.Fatalf("restore = %s, want running", st)
	}
}
