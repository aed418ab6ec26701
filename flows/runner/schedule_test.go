package runner_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/flows/runner"
)

// fakeTicks records Tick commands and answers with advanced[i] (then 0).
type fakeTicks struct {
	offboard.CaseService // nil: the schedule only applies Tick
	mu                   sync.Mutex
	calls                []offboard.Tick
	advanced             []int
	block                chan struct{} // when set, Apply waits for it or ctx
	ctxErr               error
}

func (f *fakeTicks) Apply(ctx context.Context, cmd offboard.Command) (*offboard.Result, error) {
	tick, ok := cmd.(offboard.Tick)
	if !ok {
		return nil, offboard.Errorf(offboard.EINVALID, "unexpected %s", cmd.Name())
	}
	f.mu.Lock()
	f.calls = append(f.calls, tick)
	n := len(f.calls)
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			f.mu.Lock()
			f.ctxErr = ctx.Err()
			f.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	adv := 0
	f.mu.Lock()
	if n <= len(f.advanced) {
		adv = f.advanced[n-1]
	}
	f.mu.Unlock()
	return &offboard.Result{Advanced: adv, More: adv >= flowstest.TickBatch, Message: "tick"}, nil
}

func (f *fakeTicks) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func newSchedule(t *testing.T, o runner.ScheduleOptions) *runner.Schedule {
	t.Helper()
	if o.Logger == nil {
		o.Logger = (&env{t: t, logs: &syncBuffer{}}).logger()
	}
	s, err := runner.NewSchedule(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	return s
}

func TestNewSchedule(t *testing.T) {
	if _, err := runner.NewSchedule(runner.ScheduleOptions{}); err == nil {
		t.Error("no engine: no error")
	}
	_, err := runner.NewSchedule(runner.ScheduleOptions{Engine: &fakeTicks{}, TickSpec: "every minute"})
	if err == nil || !strings.Contains(err.Error(), `"every minute"`) {
		t.Errorf("invalid spec: err = %v, want one naming the spec", err)
	}
	s, err := runner.NewSchedule(runner.ScheduleOptions{Engine: &fakeTicks{}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.AddFunc("61 * * * *", "digest", func(context.Context) {})
	if err == nil || !strings.Contains(err.Error(), `"61 * * * *"`) || !strings.Contains(err.Error(), "digest") {
		t.Errorf("AddFunc with an invalid spec: err = %v", err)
	}
}

func TestSchedule_Start(t *testing.T) {
	f := &fakeTicks{}
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	s.Start()
	s.Start() // once
	waitFor(t, "the tick at start", func() bool { return f.count() == 1 }, nil)
	f.mu.Lock()
	by := f.calls[0].By
	f.mu.Unlock()
	if by.Kind != offboard.ActorSystem || by.ID != "scheduler" {
		t.Errorf("tick sent by %v, want system:scheduler", by)
	}
}

func TestSchedule_Start_fullBatches(t *testing.T) {
	f := &fakeTicks{advanced: []int{500, 500, 7}}
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	s.Start()
	waitFor(t, "three ticks", func() bool { return f.count() == 3 }, nil)
	time.Sleep(20 * time.Millisecond)
	if n := f.count(); n != 3 {
		t.Errorf("%d ticks, want 3 (two full batches, then a partial one)", n)
	}
}

func TestSchedule_Start_boundedRounds(t *testing.T) {
	full := make([]int, 100)
	for i := range full {
		full[i] = 500
	}
	f := &fakeTicks{advanced: full}
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	s.Start()
	waitFor(t, "20 ticks", func() bool { return f.count() >= 20 }, nil)
	time.Sleep(20 * time.Millisecond)
	if n := f.count(); n != 20 {
		t.Errorf("%d ticks, want 20", n)
	}
}

func TestSchedule_AddFunc(t *testing.T) {
	f := &fakeTicks{}
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	ran := make(chan struct{}, 10)
	calls := 0
	if err := s.AddFunc("@every 1s", "digest", func(ctx context.Context) {
		calls++ // never concurrent: skip-if-still-running
		ran <- struct{}{}
		if calls == 1 {
			panic("digest failed")
		}
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	for i := range 2 {
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("run %d of the added func did not happen", i+1)
		}
	}
}

func TestSchedule_Stop(t *testing.T) {
	f := &fakeTicks{block: make(chan struct{})}
	s, err := runner.NewSchedule(runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitFor(t, "the tick at start", func() bool { return f.count() == 1 }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	s.Stop(ctx) // the tick is blocked: Stop gives up at ctx and cancels it
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Stop took %s", took)
	}
	waitFor(t, "the tick's context cancelled", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.ctxErr != nil
	}, nil)
	s.Stop(context.Background()) // once
}

func TestSchedule_Stop_waits(t *testing.T) {
	f := &fakeTicks{block: make(chan struct{})}
	s, err := runner.NewSchedule(runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitFor(t, "the tick at start", func() bool { return f.count() == 1 }, nil)
	time.AfterFunc(30*time.Millisecond, func() { close(f.block) })
	s.Stop(context.Background())
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctxErr != nil {
		t.Errorf("the tick was cancelled (%v); Stop should have waited", f.ctxErr)
	}
}

// TestSchedule_runsDueTasks wires the real engine, store, runner and
// schedule: a voluntary case whose revocation time passed while offboard
// was down runs at the tick Start makes.
func TestSchedule_runsDueTasks(t *testing.T) {
	// The engine wakes the runner after a commit that wrote jobs, as
	// serve wires it; the runner exists only after the engine.
	var woken atomic.Pointer[runner.Runner]
	e := newEnv(t, envOptions{base: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), afterCommit: func() {
		if r := woken.Load(); r != nil {
			r.Wake()
		}
	}})
	l := newLedger(e.clock)
	res := e.open("jane@example.com", offboard.Voluntary, "2026-03-02")
	id := res.Case.ID
	if tk := e.tasks(id)["okta_suspend"]; tk.Status != offboard.TaskScheduled {
		t.Fatalf("okta_suspend is %s, want scheduled", tk.Status)
	}
	// The runner polls rarely: the tick's commit must wake it.
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Poll: time.Hour})
	woken.Store(r)
	e.clock.Advance(9*time.Hour + time.Minute) // 18:01, past the 18:00 revocation time

	s := newSchedule(t, runner.ScheduleOptions{Engine: e.engine, TickSpec: "@every 1h", Logger: e.logger()})
	s.Start()
	e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	if cs := e.caseOf(id); cs.RevokedAt == nil {
		t.Error("RevokedAt not set")
	}
}

func TestSchedule_panicAudited(t *testing.T) {
	e := newEnv(t, envOptions{})
	f := &fakeTicks{}
	s := newSchedule(t, runner.ScheduleOptions{Engine: f, TickSpec: "@every 1h", Clock: e.clock,
		Audit: e.db.AuditLog(offboard.NewRedactor("hunter2-token"))})
	if err := s.AddFunc("@every 1s", "digest", func(context.Context) { panic("no channel for hunter2-token") }); err != nil {
		t.Fatal(err)
	}
	s.Start()
	var got []offboard.AuditEvent
	waitFor(t, "the panic in the audit chain", func() bool {
		got = nil
		err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(ev *offboard.AuditEvent) error {
			if ev.Action == "schedule.panic" {
				got = append(got, *ev)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(got) > 0
	}, nil)
	ev := got[0]
	want := "scheduled job digest panicked: no channel for " + offboard.Redacted
	if ev.Target != "digest" || ev.Detail != want || ev.Outcome != offboard.OutcomeFailed || ev.Actor.ID != "scheduler" {
		t.Errorf("audit event = %+v, want target digest, detail %q, failed, by the scheduler", ev, want)
	}
	if res, err := e.db.VerifyAudit(context.Background()); err != nil || !res.OK {
		t.Errorf("chain after the panic: %+v, %v", res, err)
	}
}
