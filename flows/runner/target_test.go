package runner_test

import (
	"context"
	"maps"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/runner"
)

// The first action finds the user; the case's later actions get the id
// with their job, not by reading the case.
func TestRunner_Run_targetCarriesFoundUserID(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	l.userIDs["jane@example.com"] = "00u1jane"
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 2})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	e.waitTasks(res.Case.ID, offboard.TaskDone, immediateKeys...)
	e.waitIdle(res.Case.ID)

	l.mu.Lock()
	targets := maps.Clone(l.targets)
	l.mu.Unlock()
	if got := targets["okta.suspend"]; got.Email != "jane@example.com" || got.Name != "Jane Doe" || got.UserID("okta") != "" {
		t.Errorf("suspend, the case's first action, got target %+v", got)
	}
	for _, a := range []string{"okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants", "okta.app_report"} {
		if got := targets[a]; got.Email != "jane@example.com" || got.UserID("okta") != "00u1jane" {
			t.Errorf("%s got target %+v, want Jane with the id suspend found", a, got)
		}
	}
	if ids := e.caseOf(res.Case.ID).UserIDs; ids["okta"] != "00u1jane" {
		t.Errorf("case user ids = %v", ids)
	}
}

// Jobs queued before jobs carried a target (work in the queue across an
// upgrade) still run for the right person: the runner asks the engine.
func TestRunner_Run_jobWithoutTarget(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	res := e.open("jane@example.com", offboard.Involuntary, "")
	id := res.Case.ID
	stripped := 0
	err := e.db.Update(context.Background(), func(tx offboard.Tx) error {
		jobs, err := tx.JobsForCase(id)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if j.Kind == offboard.JobAction {
				j.Target = nil
				stripped++
				if err := tx.PutJob(j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || stripped == 0 {
		t.Fatalf("stripping targets: %d jobs, %v", stripped, err)
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l})
	r.Wake()
	e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range []string{"okta.suspend", "okta.clear_sessions"} {
		if got := l.targets[a]; got.Email != "jane@example.com" || got.Name != "Jane Doe" {
			t.Errorf("%s without a snapshot got target %+v", a, got)
		}
	}
}
