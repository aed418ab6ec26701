package runner_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/runner"
)

// An action that starts something the outside system finishes later
// answers "in progress" twice, then done: the runner runs the same job
// again each time without counting an attempt or pausing the API, and
// the audit says so once per distinct progress, not once per check.
func TestRunner_Run_inProgressThenDone(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	var mu sync.Mutex
	var attempts []int
	var jobs []string
	slow := connectors.ActionFunc(func(_ context.Context, req connectors.Request) (connectors.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, req.Attempt)
		jobs = append(jobs, req.JobID)
		if len(attempts) <= 2 {
			return connectors.Result{InProgress: true, CheckAfter: 50 * time.Millisecond,
				Summary: "suspension queued at the vendor", Evidence: map[string]string{"vendor_state": "queued"}}, nil
		}
		return connectors.Result{Verified: true, Summary: "suspended", Evidence: map[string]string{"status": "SUSPENDED"}}, nil
	})
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	for _, id := range oktaconn.ActionIDs() {
		a := l.action(id)
		if id == "okta.suspend" {
			a = slow
		}
		if err := reg.Register(id, a); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := e.start(runner.Options{Actions: reg, Notifier: l})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	tasks := e.waitTasks(res.Case.ID, offboard.TaskDone, immediateKeys...)

	got := tasks["okta_suspend"]
	if got.Attempts != 1 || got.Evidence["attempt"] != "1" || got.Evidence["status"] != "SUSPENDED" {
		t.Errorf("okta_suspend attempts=%d evidence=%v, want one attempt and the final read-back", got.Attempts, got.Evidence)
	}
	if got.Progress != "" {
		t.Errorf("progress %q left on a done task", got.Progress)
	}
	mu.Lock()
	if !slices.Equal(attempts, []int{1, 1, 1}) {
		t.Errorf("Request.Attempt = %v, want [1 1 1]: checking again is no new attempt", attempts)
	}
	if len(jobs) != 3 || jobs[0] != jobs[1] || jobs[1] != jobs[2] {
		t.Errorf("job ids %v, want the same job three times", jobs)
	}
	mu.Unlock()
	if p := r.Paused(); len(p) != 0 {
		t.Errorf("Paused() = %v: an action in progress is no rate limit", p)
	}

	var progress, done int
	err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{CaseID: res.Case.ID}, func(ev *offboard.AuditEvent) error {
		if ev.Target != "okta_suspend" {
			return nil
		}
		switch ev.Action {
		case "task.progress":
			progress++
			if ev.Detail != "in progress: suspension queued at the vendor" {
				t.Errorf("progress detail %q", ev.Detail)
			}
		case "task.done":
			done++
		case "task.retry", "task.failed":
			t.Errorf("%s audited for an action in progress: %s", ev.Action, ev.Detail)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if progress != 1 || done != 1 {
		t.Errorf("audit: %d task.progress and %d task.done, want 1 and 1 (one entry per distinct progress)", progress, done)
	}
}
