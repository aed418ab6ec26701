package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// TestDepartmentCard_inProgress: an action the outside system is still
// finishing shows how far it is on its card, and the note goes once the
// task is done.
func TestDepartmentCard_inProgress(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	var jobID string
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		jobs, err := tx.JobsForCase(id)
		for _, j := range jobs {
			if j.TaskKey == "okta_suspend" {
				jobID = j.ID
			}
		}
		return err
	}); err != nil || jobID == "" {
		t.Fatalf("no okta_suspend job (%v)", err)
	}
	runner := offboard.System("runner")
	if _, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: runner, JobID: jobID, InProgress: true, Summary: "40 of 120 files moved"}); err != nil {
		t.Fatal(err)
	}
	title := h.task(id, "okta_suspend").Title
	section := func() offboard.Section {
		card, ok := bot.DepartmentCard(h.view(id), offboard.DeptIT, h.clock.Now(), h.loc)
		if !ok {
			t.Fatal("no IT card")
		}
		for _, s := range card.Sections {
			if s.Heading == title {
				return s
			}
		}
		t.Fatalf("no section %q on the IT card", title)
		return offboard.Section{}
	}
	if s := section(); !strings.Contains(s.Text, "In progress: 40 of 120 files moved") {
		t.Errorf("running task's note %q does not show the progress", s.Text)
	}
	if _, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: runner, JobID: jobID, Verified: true}); err != nil {
		t.Fatal(err)
	}
	if s := section(); strings.Contains(s.Text, "In progress") {
		t.Errorf("done task still shows progress: %q", s.Text)
	}
}
