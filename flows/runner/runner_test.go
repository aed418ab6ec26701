package runner_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/runner"
)

func TestNew(t *testing.T) {
	e := newEnv(t, envOptions{})
	reg := connectors.NewRegistry()
	for name, o := range map[string]runner.Options{
		"no jobs":    {Engine: e.engine, Actions: reg},
		"no engine":  {Jobs: e.db, Actions: reg},
		"no actions": {Jobs: e.db, Engine: e.engine},
	} {
		if _, err := runner.New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	r, err := runner.New(runner.Options{Jobs: e.db, Engine: e.engine, Actions: reg})
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Paused(); len(p) != 0 {
		t.Errorf("Paused() = %v at start", p)
	}
	r.Wake()
	r.Wake() // never blocks
}

func TestRunner_Run_involuntary(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 1})

	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	e.waitIdle(id)

	for _, k := range immediateKeys {
		tk := tasks[k]
		if tk.Evidence["read_back"] == "" || tk.Evidence["okta_user"] != "jane@example.com" || tk.Evidence["attempt"] != "1" {
			t.Errorf("%s evidence = %v", k, tk.Evidence)
		}
		if tk.CompletedBy != "system:runner" {
			t.Errorf("%s completed by %q", k, tk.CompletedBy)
		}
	}
	if tasks["okta_deactivate"].Status == offboard.TaskDone {
		t.Error("okta_deactivate ran before the data transfers")
	}
	if cs := e.caseOf(id); cs.RevokedAt == nil {
		t.Error("case clock not stopped: RevokedAt is nil")
	}

	events, calls := l.snapshot()
	for _, k := range []string{"okta.suspend", "okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants", "okta.app_report"} {
		if calls[k] != 1 {
			t.Errorf("%s ran %d times, want 1", k, calls[k])
		}
	}
	// One action worker: the store serves revocation first, in the
	// playbook's safe order (suspend before anything else), then reports.
	// Notices run in their own lane, beside them.
	var actions []string
	for _, ev := range events {
		if strings.HasPrefix(ev, "action ") {
			actions = append(actions, ev)
		}
	}
	safeOrder := []string{"action okta.suspend", "action okta.clear_sessions", "action okta.reset_factors", "action okta.revoke_grants", "action okta.app_report"}
	if !slices.Equal(actions, safeOrder) {
		t.Fatalf("actions ran as %v, want %v", actions, safeOrder)
	}
	kinds := l.noticeKinds()
	if !slices.Contains(kinds, "case_opened") || !slices.Contains(kinds, "approval_requested") {
		t.Errorf("notices = %v", kinds)
	}
	if strings.Contains(e.logs.String(), "Jane Doe") {
		t.Error("the log contains notice text")
	}
}

// Cases run in parallel; the actions of one case run one at a time, in
// the playbook's order.
func TestRunner_Run_workersInParallel(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	var running, peak atomic.Int32
	var mu sync.Mutex
	perCase := map[offboard.CaseID]int{}
	overlap := false
	l.fail = func(req connectors.Request, _ int) error {
		mu.Lock()
		perCase[req.CaseID]++
		if perCase[req.CaseID] > 1 {
			overlap = true
		}
		mu.Unlock()
		defer func() { mu.Lock(); perCase[req.CaseID]--; mu.Unlock() }()
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return nil
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 4})
	var ids []offboard.CaseID
	for _, who := range []string{"jane@example.com", "john@example.com", "jo@example.com"} {
		ids = append(ids, e.open(who, offboard.Involuntary, "").Case.ID)
	}
	r.Wake()
	for _, id := range ids {
		e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	}
	if p := peak.Load(); p < 2 || p > 4 {
		t.Errorf("peak concurrency %d, want 2..4 across cases", p)
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("two actions of one case ran at the same time")
	}
}

func TestRunner_Run_retryThenSuccess(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	var attempts []int
	var mu sync.Mutex
	l.fail = func(req connectors.Request, n int) error {
		if req.Action != "okta.suspend" {
			return nil
		}
		mu.Lock()
		attempts = append(attempts, req.Attempt)
		mu.Unlock()
		if n <= 2 {
			return errors.New("okta: suspend: 503 Service Unavailable")
		}
		return nil
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	tasks := e.waitTasks(res.Case.ID, offboard.TaskDone, immediateKeys...)
	if got := tasks["okta_suspend"]; got.Attempts != 3 || got.Evidence["attempt"] != "3" {
		t.Errorf("okta_suspend attempts=%d evidence=%v, want 3", got.Attempts, got.Evidence)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("Request.Attempt = %v, want [1 2 3]", attempts)
	}
}

func TestRunner_Run_permanentError(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	const msg = "Okta refused: the API token may not manage users"
	l.fail = func(req connectors.Request, _ int) error {
		if req.Action == "okta.suspend" {
			return offboard.Errorf(offboard.EFORBIDDEN, "%s", msg)
		}
		return nil
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, BackoffBase: time.Millisecond})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskFailed, "okta_suspend")
	if got := tasks["okta_suspend"].LastError; got != msg {
		t.Errorf("LastError = %q, want %q", got, msg)
	}
	e.waitTasks(id, offboard.TaskDone, "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants", "reclaim_licenses")
	e.waitIdle(id)
	if _, calls := l.snapshot(); calls["okta.suspend"] != 1 {
		t.Errorf("okta.suspend ran %d times, want 1", calls["okta.suspend"])
	}
	if _, ok := e.dead()[offboard.ActionJobID(id, "okta_suspend", 1)]; !ok {
		t.Errorf("job not in the dead letters: %v", e.dead())
	}
	waitFor(t, "task_failed notice", func() bool { return slices.Contains(l.noticeKinds(), "task_failed") }, nil)
	if cs := e.caseOf(id); cs.RevokedAt != nil {
		t.Error("case marked revoked with a failed revocation")
	}
}

func TestRunner_Run_retriesExhausted(t *testing.T) {
	e := newEnv(t, envOptions{maxAttempts: 3})
	l := newLedger(e.clock)
	l.fail = func(req connectors.Request, _ int) error {
		if req.Action == "okta.suspend" {
			return offboard.Errorf(offboard.EUNAVAILABLE, "Okta answered 503; try again later")
		}
		return nil
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskFailed, "okta_suspend")
	if got := tasks["okta_suspend"]; got.Attempts != 3 || got.LastError != "Okta answered 503; try again later" {
		t.Errorf("okta_suspend attempts=%d err=%q", got.Attempts, got.LastError)
	}
	if _, calls := l.snapshot(); calls["okta.suspend"] != 3 {
		t.Errorf("okta.suspend ran %d times, want 3", calls["okta.suspend"])
	}
	dj, ok := e.dead()[offboard.ActionJobID(id, "okta_suspend", 1)]
	if !ok || dj.Attempts != 3 || dj.DeadAt == nil {
		t.Errorf("dead letter = %+v", dj)
	}
}

func TestRunner_Run_rateLimit(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	type start struct {
		action  string
		at      time.Time
		attempt int
	}
	var (
		mu         sync.Mutex
		starts     []start
		limited    string // the action that got the 429
		reset      time.Time
		pausedSeen map[string]time.Time
	)
	l.fail = func(req connectors.Request, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		now := e.clock.Now()
		starts = append(starts, start{req.Action, now, req.Attempt})
		if limited == "" {
			limited, reset = req.Action, now.Add(300*time.Millisecond)
			return &offboard.RateLimitError{API: "okta", Reset: reset}
		}
		return nil
	}
	var r *runner.Runner
	notifier := notifierFunc(func(ctx context.Context, n offboard.Notice) error {
		mu.Lock()
		if pausedSeen == nil {
			pausedSeen = r.Paused()
		}
		mu.Unlock()
		return l.Notify(ctx, n)
	})
	r, _ = e.start(runner.Options{Actions: l.registry(t), Notifier: notifier, Workers: 1})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	e.waitIdle(id)

	mu.Lock()
	defer mu.Unlock()
	if limited == "" {
		t.Fatal("the rate limit never happened")
	}
	// No okta action started between the 429 and the reset.
	for _, s := range starts[1:] {
		if s.at.Before(reset) {
			t.Errorf("%s started at %s, before the reset at %s", s.action, s.at.Format(time.StampMilli), reset.Format(time.StampMilli))
		}
		if s.attempt != 1 {
			t.Errorf("%s ran as attempt %d, want 1 (a rate limit does not count)", s.action, s.attempt)
		}
	}
	if len(starts) != len(immediateKeys)+1 {
		t.Errorf("%d okta runs, want %d", len(starts), len(immediateKeys)+1)
	}
	for _, k := range immediateKeys {
		if got := tasks[k].Attempts; got != 1 {
			t.Errorf("%s attempts = %d, want 1", k, got)
		}
	}
	// Only okta paused: chat went on meanwhile.
	l.mu.Lock()
	events := slices.Clone(l.events)
	l.mu.Unlock()
	if len(events) < 2 || !strings.HasPrefix(events[1], "notice ") {
		t.Errorf("events = %v; want the 429, then notices while okta is paused", events)
	}
	if until, ok := pausedSeen["okta"]; !ok || !until.Equal(reset) {
		t.Errorf("Paused() during the pause = %v, want okta until %s", pausedSeen, reset)
	}
	if p := r.Paused(); len(p) != 0 {
		t.Errorf("Paused() after the reset = %v", p)
	}
}

type notifierFunc func(ctx context.Context, n offboard.Notice) error

func (f notifierFunc) Notify(ctx context.Context, n offboard.Notice) error { return f(ctx, n) }

func TestRunner_Run_unconfigured(t *testing.T) {
	const why = "Okta is not configured: set okta.org_url and okta.api_token"
	e := newEnv(t, envOptions{})
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	reg.RegisterUnconfigured("okta", oktaconn.ActionIDs(), why)
	l := newLedger(e.clock)
	r, _ := e.start(runner.Options{Actions: reg, Notifier: l})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskFailed, immediateKeys...)
	e.waitIdle(id)
	for _, k := range immediateKeys {
		if tk := tasks[k]; tk.LastError != why || tk.Attempts != 1 {
			t.Errorf("%s: attempts=%d err=%q, want 1 and %q", k, tk.Attempts, tk.LastError, why)
		}
	}
	for _, tk := range e.tasks(id) {
		if tk.Status == offboard.TaskDone {
			t.Errorf("%s is done", tk.Key)
		}
	}
}

func TestRunner_Run_unknownAction(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	reg := connectors.NewRegistry() // knows nothing
	r, _ := e.start(runner.Options{Actions: reg, Notifier: l})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	tasks := e.waitTasks(res.Case.ID, offboard.TaskFailed, "okta_suspend")
	if got := tasks["okta_suspend"].LastError; got != `unknown action "okta.suspend"` {
		t.Errorf("LastError = %q", got)
	}
}

func TestRunner_Run_panic(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	l.fail = func(req connectors.Request, _ int) error {
		if req.Action == "okta.suspend" {
			panic("boom")
		}
		return nil
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 1})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskFailed, "okta_suspend")
	if got := tasks["okta_suspend"].LastError; got != "the action panicked: boom" {
		t.Errorf("LastError = %q", got)
	}
	e.waitTasks(id, offboard.TaskDone, "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants", "reclaim_licenses")
	if !strings.Contains(e.logs.String(), "runtime/debug.Stack") {
		t.Error("the panic's stack was not logged")
	}
}

// failingReports makes the engine's store fail for ActionSucceeded.
type failingReports struct {
	offboard.CaseService
	fail atomic.Int32 // how many more reports fail
	code string       // "" for a store error
}

func (f *failingReports) Apply(ctx context.Context, cmd offboard.Command) (*offboard.Result, error) {
	if _, ok := cmd.(offboard.ActionSucceeded); ok && f.fail.Add(-1) >= 0 {
		if f.code != "" {
			return nil, offboard.Errorf(f.code, "no job %s", cmd.(offboard.ActionSucceeded).JobID)
		}
		return nil, errors.New("flows: action_succeeded: store: disk full")
	}
	return f.CaseService.Apply(ctx, cmd)
}

func TestRunner_Run_reportFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	eng := &failingReports{CaseService: e.engine}
	eng.fail.Store(1)
	r, err := runner.New(runner.Options{Jobs: e.db, Engine: eng, Actions: l.registry(t), Notifier: l, Workers: 1, Clock: e.clock, Logger: e.logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx, time.Second) }()
	defer func() { cancel(); <-done }()

	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	// The first report failed: that job stays leased; the rest go on.
	waitFor(t, "four tasks done", func() bool {
		n := 0
		for _, tk := range e.tasks(id) {
			if tk.Status == offboard.TaskDone {
				n++
			}
		}
		return n == 4
	}, func() string { return describe(e.tasks(id)) })
	var leased []string
	for _, j := range e.jobs(id) {
		if j.Leased && j.Kind == offboard.JobAction { // notices may be in flight
			leased = append(leased, j.ID)
		}
	}
	if len(leased) != 1 {
		t.Errorf("leased action jobs = %v, want the one whose report failed", leased)
	}
	if !strings.Contains(e.logs.String(), "level=ERROR msg=\"recording the result failed") {
		t.Error("the failed report was not logged as an error")
	}
}

func TestRunner_Run_reportRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	eng := &failingReports{CaseService: e.engine, code: offboard.ENOTFOUND}
	eng.fail.Store(1)
	r, err := runner.New(runner.Options{Jobs: e.db, Engine: eng, Actions: l.registry(t), Notifier: l, Workers: 1, Clock: e.clock, Logger: e.logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx, time.Second) }()
	defer func() { cancel(); <-done }()
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	waitFor(t, "refusal logged", func() bool {
		return strings.Contains(e.logs.String(), "level=WARN msg=\"the engine refused the result")
	}, e.logs.String)
	e.waitTasks(res.Case.ID, offboard.TaskDone, "reclaim_licenses")
}

func TestRunner_Run_shutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	started := make(chan struct{}, 1)
	blocking := connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return connectors.Result{}, ctx.Err()
	})
	reg := connectors.NewRegistry()
	for _, id := range oktaconn.ActionIDs() {
		a := l.action(id)
		if id == "okta.suspend" {
			a = blocking
		}
		if err := reg.Register(id, a); err != nil {
			t.Fatal(err)
		}
	}
	r, stop := e.start(runner.Options{Actions: reg, Notifier: l, Workers: 1})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("okta.suspend never started")
	}
	if took := stop(); took > 2*time.Second { // grace 100ms; ~1s is the budget, 2s the alarm
		t.Errorf("Run took %s to return after cancel with a 100ms grace", took)
	}
	// The cut-off job stays leased for RecoverLeases; nothing else is.
	for _, j := range e.jobs(id) {
		want := j.ID == offboard.ActionJobID(id, "okta_suspend", 1)
		if j.Leased != want {
			t.Errorf("%s leased=%v, want %v", j.ID, j.Leased, want)
		}
	}
	if tk := e.tasks(id)["okta_suspend"]; tk.Status != offboard.TaskRunning || tk.Attempts != 0 {
		t.Errorf("okta_suspend %s attempts=%d after shutdown, want running with no attempt counted", tk.Status, tk.Attempts)
	}

	// After a restart the job runs again and finishes.
	if n, err := e.db.RecoverLeases(context.Background()); err != nil || n != 1 {
		t.Fatalf("RecoverLeases = %d, %v", n, err)
	}
	r2, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l})
	r2.Wake()
	e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	e.waitIdle(id)
}

func TestRunner_Run_shutdownWaitsForRunningJobs(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	started := make(chan struct{})
	var once sync.Once
	l.fail = func(req connectors.Request, _ int) error {
		if req.Action == "okta.suspend" {
			once.Do(func() { close(started) })
			time.Sleep(30 * time.Millisecond) // well inside the 100ms grace
		}
		return nil
	}
	r, stop := e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 1})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	<-started
	stop()
	// The job finished within the grace and its result was recorded.
	if tk := e.tasks(res.Case.ID)["okta_suspend"]; tk.Status != offboard.TaskDone {
		t.Errorf("okta_suspend is %s after a graceful stop, want done", tk.Status)
	}
	for _, j := range e.jobs(res.Case.ID) {
		if j.Leased {
			t.Errorf("%s still leased after a graceful stop", j.ID)
		}
	}
}

func TestRunner_Run_twice(t *testing.T) {
	e := newEnv(t, envOptions{})
	r, _ := e.start(runner.Options{Actions: connectors.NewRegistry()})
	waitFor(t, "runner started", func() bool { return strings.Contains(e.logs.String(), "runner started") }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx, 0); err == nil {
		t.Error("a second Run while running: no error")
	}
}

func TestRunner_Run_notices(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	var calls sync.Map // notice kind → deliveries tried
	notifier := notifierFunc(func(ctx context.Context, n offboard.Notice) error {
		v, _ := calls.LoadOrStore(n.Kind, new(atomic.Int32))
		k := v.(*atomic.Int32).Add(1)
		switch n.Kind {
		case "case_opened":
			if k < 3 {
				return errors.New("slack: 500")
			}
		case "approval_requested":
			return errors.New("slack: channel_not_found (retry)")
		}
		return l.Notify(ctx, n)
	})
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: notifier, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	e.waitIdle(id)
	if !slices.Contains(l.noticeKinds(), "case_opened") {
		t.Error("case_opened not delivered after retries")
	}
	dead := e.dead()
	n := 0
	for _, j := range dead {
		if j.Kind != offboard.JobNotify {
			continue
		}
		n++
		if j.Notice.Kind != "approval_requested" || j.Attempts != runner.MaxNotifyAttempts || j.LastError != "slack: channel_not_found (retry)" {
			t.Errorf("dead notice %s kind=%s attempts=%d err=%q", j.ID, j.Notice.Kind, j.Attempts, j.LastError)
		}
	}
	if n != 2 {
		t.Errorf("%d dead notices, want the 2 approval requests", n)
	}
}

func TestRunner_Run_noticePermanentAndRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	var limited, early atomic.Bool
	var reset time.Time
	var mu sync.Mutex
	notifier := notifierFunc(func(ctx context.Context, n offboard.Notice) error {
		switch n.Kind {
		case "approval_requested":
			return offboard.Errorf(offboard.EINVALID, "no chat room for the case")
		case "case_opened":
			if limited.CompareAndSwap(false, true) {
				mu.Lock()
				reset = e.clock.Now().Add(200 * time.Millisecond)
				defer mu.Unlock()
				return &offboard.RateLimitError{API: "slack", Reset: reset}
			}
			mu.Lock()
			defer mu.Unlock()
			if e.clock.Now().Before(reset) {
				early.Store(true)
			}
		}
		return l.Notify(ctx, n)
	})
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: notifier, BackoffBase: time.Millisecond})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	e.waitIdle(id)
	if !limited.Load() {
		t.Fatal("the rate limit never happened")
	}
	if early.Load() {
		t.Error("a notice was sent while chat was paused")
	}
	got := slices.DeleteFunc(l.noticeKinds(), func(k string) bool { return k == string(offboard.NoticeTasksUpdated) })
	if !slices.Equal(got, []string{"case_opened"}) {
		t.Errorf("delivered %v, want [case_opened] besides card refreshes", got)
	}
	for _, j := range e.dead() {
		if j.Kind == offboard.JobNotify && (j.Attempts != 1 || j.LastError != "no chat room for the case") {
			t.Errorf("dead notice %s attempts=%d err=%q, want 1 attempt", j.ID, j.Attempts, j.LastError)
		}
	}
}

func TestRunner_Run_defaultNotifier(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	r, _ := e.start(runner.Options{Actions: l.registry(t)})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	e.waitIdle(res.Case.ID)
	logs := e.logs.String()
	if !strings.Contains(logs, "kind=case_opened case_id="+string(res.Case.ID)) {
		t.Errorf("the default notifier did not log the notice's kind and case:\n%s", logs)
	}
	if strings.Contains(logs, "Jane Doe") {
		t.Error("the default notifier logged notice text")
	}
}

func TestRunner_Run_restartRecoversClaimedJobs(t *testing.T) {
	// A crash after claiming: jobs leased in the store, no runner. After
	// RecoverLeases a new runner does them.
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	res := e.open("jane@example.com", offboard.Involuntary, "")
	id := res.Case.ID
	err := e.db.Update(context.Background(), func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(e.clock.Now(), 0, nil)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			j.Leased, j.LeasedAt = true, e.clock.Now()
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.RecoverLeases(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l})
	r.Wake()
	e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	e.waitIdle(id)
}

func TestRunner_Run_orphanJobs(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	now := e.clock.Now()
	err := e.db.Update(context.Background(), func(tx offboard.Tx) error {
		for _, j := range []*offboard.Job{
			{ID: "OFF-9999/okta_suspend#1", Kind: offboard.JobAction, CaseID: "OFF-9999", TaskKey: "okta_suspend",
				Action: "okta.suspend", Priority: offboard.PriorityRevocation, NotBefore: now, CreatedAt: now},
			{ID: "OFF-9999/odd", Kind: "telepathy", CaseID: "OFF-9999", Priority: offboard.PriorityReport, NotBefore: now, CreatedAt: now},
			{ID: "OFF-9999/notice/empty", Kind: offboard.JobNotify, CaseID: "OFF-9999", Priority: offboard.PriorityChat, NotBefore: now, CreatedAt: now},
		} {
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: l})
	r.Wake()
	e.waitIdle("OFF-9999")
	dead := e.dead()
	for id, want := range map[string]string{
		"OFF-9999/okta_suspend#1": "its case no longer exists",
		"OFF-9999/odd":            `unknown job kind "telepathy"`,
		"OFF-9999/notice/empty":   "the job has no notice",
	} {
		if j, ok := dead[id]; !ok || j.LastError != want || j.Leased {
			t.Errorf("dead[%s] = %+v, want LastError %q", id, j, want)
		}
	}
	if _, calls := l.snapshot(); calls["okta.suspend"] != 0 {
		t.Error("an action ran for a case that does not exist")
	}
}
