package flows_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestEngine_Apply_actionJobsCarryTheTarget(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Involuntary, "")
	jobs := h.actionJobs()
	if len(jobs) < 3 {
		t.Fatalf("an involuntary exit queued %d action jobs", len(jobs))
	}
	for _, j := range jobs {
		if j.Target == nil || j.Target.Email != jane.Email || j.Target.Name != "Jane Doe" || len(j.Target.UserIDs) != 0 {
			t.Fatalf("job %s target = %+v, want Jane's email and name, no ids yet", j.ID, j.Target)
		}
	}
	first, leased := jobs[0], jobs[1]
	if err := h.db.Update(h.ctx, func(tx offboard.Tx) error {
		j, err := tx.Job(leased.ID)
		if err != nil {
			return err
		}
		j.Leased = true // a worker holds it: it already has its target
		return tx.PutJob(j)
	}); err != nil {
		t.Fatal(err)
	}

	// The first action found Jane in Okta: the case and its queued Okta
	// jobs learn her id.
	h.apply(offboard.ActionSucceeded{By: runner, JobID: first.ID, Verified: true, UserID: "00u1jane"})
	if got := h.caseOf(c.ID).UserIDs["okta"]; got != "00u1jane" {
		t.Fatalf("case user ids = %v, want okta 00u1jane", h.caseOf(c.ID).UserIDs)
	}
	queued := 0
	for _, j := range h.actionJobs() {
		want := ""
		if offboard.ActionSystem(j.Action) == "okta" {
			want = "00u1jane"
			queued++
		}
		if got := j.Target.UserID("okta"); got != want {
			t.Errorf("queued job %s (%s) carries okta id %q, want %q", j.ID, j.Action, got, want)
		}
	}
	if queued == 0 {
		t.Fatal("no queued Okta job left to check")
	}
	var held *offboard.Job
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		held, err = tx.Job(leased.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if held.Target.UserID("okta") != "" {
		t.Errorf("a leased job was rewritten: %+v", held.Target)
	}

	// An action that reports no id, or a nonsense one, keeps the recorded id.
	rest := h.actionJobs()
	h.apply(offboard.ActionSucceeded{By: runner, JobID: rest[0].ID, Verified: true})
	h.apply(offboard.ActionSucceeded{By: runner, JobID: rest[1].ID, Verified: true, UserID: strings.Repeat("x", 300)})
	if got := h.caseOf(c.ID).UserIDs["okta"]; got != "00u1jane" {
		t.Errorf("case okta id = %q after reports without a usable id", got)
	}
	// A stale id replaced by a connector is replaced on the case too.
	h.apply(offboard.ActionSucceeded{By: runner, JobID: leased.ID, Verified: true, UserID: "00u2jane"})
	if got := h.caseOf(c.ID).UserIDs["okta"]; got != "00u2jane" {
		t.Errorf("case okta id = %q, want the newer 00u2jane", got)
	}
}
