package bot_test

import (
	"encoding/json"
	"flag"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	goldenfile "github.com/offboard-dev/offboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// actionJobs returns the queued action jobs of a case.
func (h *harness) actionJobs() []*offboard.Job {
	h.t.Helper()
	var out []*offboard.Job
	err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(h.clock.Now(), 1000, nil)
		for _, j := range jobs {
			if j.Kind == offboard.JobAction {
				out = append(out, j)
			}
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) apply(cmd offboard.Command) {
	h.t.Helper()
	if _, err := h.engine.Apply(h.ctx, cmd); err != nil {
		h.t.Fatalf("%s: %v", cmd.Name(), err)
	}
}

func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	goldenfile.Compare(t, name+".golden.json", append(b, '\n'), *update)
}

func TestGolden_Cards(t *testing.T) {
	runner := offboard.System("runner")
	tests := []struct {
		name  string
		setup func(h *harness) offboard.CaseID
	}{
		{name: "voluntary_in_progress", setup: func(h *harness) offboard.CaseID {
			id := h.openWithManager()
			h.clock.Advance(2*time.Hour + 5*time.Minute)
			h.router.Click(h.ctx, it, offboard.ActionRef{Verb: offboard.VerbStart, CaseID: id, TaskKey: "okta_suspend"}.Encode())
			h.router.Click(h.ctx, it, offboard.ActionRef{Verb: offboard.VerbStart, CaseID: id, TaskKey: "okta_clear_sessions"}.Encode())
			for _, j := range h.actionJobs() {
				if j.TaskKey == "okta_suspend" {
					h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true,
						Evidence: map[string]string{"status_after": "SUSPENDED"}})
				} else {
					h.apply(offboard.ActionFailed{By: runner, JobID: j.ID, Error: "okta: 403 forbidden"})
				}
			}
			v := h.view(id)
			for _, a := range v.Approvals {
				if a.TaskKey == "transfer_drive" {
					h.router.Click(h.ctx, manager, offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: id, TaskKey: a.TaskKey, ApprovalID: a.ID}.Encode())
				}
			}
			h.router.Click(h.ctx, finance, offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: id, TaskKey: "cancel_card"}.Encode())
			h.router.Click(h.ctx, hr, offboard.ActionRef{Verb: offboard.VerbAssign, CaseID: id, TaskKey: "signed_documents"}.Encode())
			h.clock.Advance(20 * 24 * time.Hour) // some tasks are overdue now
			return id
		}},
		{name: "involuntary_revoked", setup: func(h *harness) offboard.CaseID {
			id := h.open("jane.doe@example.com involuntary")
			h.clock.Advance(4 * time.Minute)
			for _, j := range h.actionJobs() {
				h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true,
					Evidence: map[string]string{"status_after": "SUSPENDED"}})
			}
			h.clock.Advance(time.Hour)
			return id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			id := tt.setup(h)
			v := h.view(id)
			now := h.clock.Now()
			var approvals []offboard.Card
			for _, a := range v.Approvals {
				approvals = append(approvals, bot.ApprovalCard(v, a))
			}
			checkGolden(t, tt.name, map[string]any{
				"header":    bot.CaseHeader(v, now, h.loc),
				"tasks":     bot.TaskCards(v, now, h.loc),
				"approvals": approvals,
			})
		})
	}
}
