package runner_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/runner"
)

// switchLead is an offboard.Leadership the test grants and takes away,
// as an election would.
type switchLead struct {
	offboard.Terms
	end context.CancelFunc
}

func newSwitchLead() *switchLead { return &switchLead{} }

func (s *switchLead) grant() {
	var term context.Context
	term, s.end = context.WithCancel(context.Background())
	s.Set(term)
}

func (s *switchLead) revoke() {
	s.end()
	s.Set(nil)
}

// TestRunner_Run_onlyWhileLeading: a replica that does not lead claims
// nothing; once it leads it runs jobs; when it loses the lead its running
// action is cancelled at once (not after the grace period) and nothing
// more is claimed until it leads again.
func TestRunner_Run_onlyWhileLeading(t *testing.T) {
	e := newEnv(t, envOptions{})
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	cancelled := make(chan time.Time, 1)
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	for _, id := range oktaconn.ActionIDs() {
		err := reg.Register(id, connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
			n := calls.Add(1)
			if id == "okta.suspend" && n == 1 {
				// The first run is in flight when the lead is lost.
				started <- struct{}{}
				<-ctx.Done()
				cancelled <- time.Now()
				return connectors.Result{}, ctx.Err()
			}
			return connectors.Result{Verified: true, Summary: id + " done"}, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	lead := newSwitchLead()
	r, err := runner.New(runner.Options{Jobs: e.db, Engine: e.engine, Actions: reg, Clock: e.clock, Leadership: lead,
		Poll: 20 * time.Millisecond, Logger: e.logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, 10*time.Second) }() // a long grace: losing the lead must not wait for it
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	first := e.open("jane@example.com", offboard.Involuntary, "").Case.ID
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d actions ran on a replica that does not lead", n)
	}
	for _, j := range e.jobs(first) {
		if j.Leased {
			t.Fatalf("job %s was claimed by a replica that does not lead", j.ID)
		}
	}

	lead.grant()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("no action ran once the replica led")
	}
	lost := time.Now()
	lead.revoke()
	select {
	case at := <-cancelled:
		if took := at.Sub(lost); took > time.Second {
			t.Errorf("the running action was cancelled %s after the lead was lost; want at once", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the running action was not cancelled when the lead was lost")
	}

	ran := calls.Load()
	second := e.open("john@example.com", offboard.Involuntary, "").Case.ID
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != ran {
		t.Fatalf("%d actions ran after the lead was lost", n-ran)
	}
	for _, j := range e.jobs(second) {
		if j.Leased {
			t.Fatalf("job %s was claimed after the lead was lost", j.ID)
		}
	}

	lead.grant()
	e.waitTasks(second, offboard.TaskDone, revocationKeys...)
}

// TestSchedule_Leadership: the tick and AddFunc's jobs run only while
// the replica leads, a tick at the start of each term, and are cancelled
// when the lead is lost; AddReplicaFunc's jobs run on every replica.
func TestSchedule_Leadership(t *testing.T) {
	f := &fakeTicks{block: make(chan struct{})}
	lead := newSwitchLead()
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h", Leadership: lead})
	t.Cleanup(func() { close(f.block) }) // before Stop, which waits for a running tick
	var leaderRuns, replicaRuns atomic.Int32
	if err := s.AddFunc("@every 1s", "leader job", func(context.Context) { leaderRuns.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReplicaFunc("@every 1s", "replica job", func(context.Context) { replicaRuns.Add(1) }); err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitFor(t, "a replica job run", func() bool { return replicaRuns.Load() >= 1 }, nil)
	time.Sleep(100 * time.Millisecond)
	if n, ticks := leaderRuns.Load(), f.count(); n != 0 || ticks != 0 {
		t.Fatalf("a replica that does not lead ran %d leader jobs and %d ticks", n, ticks)
	}

	lead.grant()
	waitFor(t, "the tick at the start of the term", func() bool { return f.count() == 1 }, nil)
	lead.revoke()
	waitFor(t, "the tick cancelled with the term", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.ctxErr != nil
	}, nil)

	lead.grant()
	waitFor(t, "a tick in the new term and a leader job", func() bool { return f.count() == 2 && leaderRuns.Load() >= 1 }, nil)
}

// lostClaims is the bbolt queue with one difference: a notice's result is
// refused as a store that lost the claim refuses it (etcd, after this
// replica's lease ended and another replica claimed the job).
type lostClaims struct{ offboard.JobQueue }

func (q lostClaims) SettleJob(_ context.Context, id string) error {
	return fmt.Errorf("etcdstore: settle job %s: %w", id, &offboard.ClaimLostError{JobID: id})
}

// TestRunner_Run_claimLostNotice: a delivered notice whose settle the
// store refuses for a lost claim is logged as such and audited, not
// reported as a store failure.
func TestRunner_Run_claimLostNotice(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	r, err := runner.New(runner.Options{Jobs: lostClaims{e.db}, Engine: e.engine, Actions: l.registry(t), Notifier: l,
		Clock: e.clock, Audit: e.db.AuditLog(nil), Poll: 20 * time.Millisecond, Logger: e.logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })

	e.open("jane@example.com", offboard.Involuntary, "")
	var lost []offboard.AuditEvent
	waitFor(t, "a job.claim_lost audit event", func() bool {
		lost = nil
		err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(ev *offboard.AuditEvent) error {
			if ev.Action == "job.claim_lost" {
				lost = append(lost, *ev)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(lost) > 0
	}, nil)
	if ev := lost[0]; ev.Outcome != offboard.OutcomeRefused || !strings.Contains(ev.Target, "/notice#") || !strings.Contains(ev.Detail, "no longer holds the job") {
		t.Errorf("audit event = %+v; want the refused notice and why", ev)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "lost the job's claim") || strings.Contains(logs, "updating the job failed") {
		t.Errorf("the log does not say the claim was lost, or calls it a store failure:\n%s", logs)
	}
}
