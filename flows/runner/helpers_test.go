package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/flows/runner"
	"github.com/offboard-dev/offboard/store"
)

// testClock runs at the speed of real time from a chosen start and can
// jump forward, so timers and the clock agree and tests control dates.
type testClock struct {
	mu     sync.Mutex
	base   time.Time
	start  time.Time
	offset time.Duration
}

func newClock(base time.Time) *testClock {
	return &testClock{base: base, start: time.Now()}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.start) + c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// env is a real store and engine sharing a clock.
type env struct {
	t      testing.TB
	db     *store.DB
	engine flowstest.Engine
	clock  *testClock
	logs   *syncBuffer
}

type envOptions struct {
	maxAttempts int
	base        time.Time           // clock start; zero: 2026-03-02 09:00 UTC
	afterCommit func()              // the engine's AfterCommit (serve passes the runner's Wake)
	connectors  offboard.Connectors // nil: Okta alone
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	base := o.base
	if base.IsZero() {
		base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	}
	clock := newClock(base)
	systems := o.connectors
	if systems == nil {
		systems = offboard.Connectors{oktaconn.Declaration()}
	}
	eng := flowstest.New(t, flowstest.Options{Connectors: systems, Store: db, Clock: clock, MaxAttempts: o.maxAttempts, AfterCommit: o.afterCommit})
	return &env{t: t, db: db, engine: eng, clock: clock, logs: &syncBuffer{}}
}

// logger writes to the test output and to e.logs.
func (e *env) logger() *slog.Logger {
	var w io.Writer = e.logs
	if tt, ok := e.t.(*testing.T); ok {
		w = io.MultiWriter(e.logs, tt.Output())
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start runs a runner until the test ends; stop stops it early and
// returns how long Run took to return.
func (e *env) start(o runner.Options) (r *runner.Runner, stop func() time.Duration) {
	e.t.Helper()
	if o.Jobs == nil {
		o.Jobs = e.db
	}
	o.Engine, o.Clock = e.engine, e.clock
	if o.Logger == nil {
		o.Logger = e.logger()
	}
	r, err := runner.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, 100*time.Millisecond) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			began := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				e.t.Fatal("Run did not return 10s after cancel")
			}
			took = time.Since(began)
		})
		return took
	}
	e.t.Cleanup(func() { stop() })
	return r, stop
}

// open opens an involuntary case for a new employee.
func (e *env) open(email string, kind offboard.DepartureKind, lastDay string) *offboard.Result {
	e.t.Helper()
	res, err := e.engine.Apply(context.Background(), offboard.OpenCase{
		By:       offboard.System("test"),
		Employee: offboard.Employee{Name: "Jane Doe", Email: email, ManagerEmail: "boss@example.com"},
		Kind:     kind, LastDay: lastDay, Source: "test",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) tasks(id offboard.CaseID) map[string]*offboard.Task {
	e.t.Helper()
	v, err := e.engine.GetCase(context.Background(), offboard.System("test"), id)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*offboard.Task{}
	for _, t := range v.Tasks {
		out[t.Key] = t
	}
	return out
}

func (e *env) caseOf(id offboard.CaseID) *offboard.Case {
	e.t.Helper()
	v, err := e.engine.GetCase(context.Background(), offboard.System("test"), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Case
}

// jobs returns the queued and leased jobs of a case.
func (e *env) jobs(id offboard.CaseID) []*offboard.Job {
	e.t.Helper()
	var out []*offboard.Job
	err := e.db.View(context.Background(), func(tx offboard.Tx) error {
		var err error
		out, err = tx.JobsForCase(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) dead() map[string]*offboard.Job {
	e.t.Helper()
	jobs, err := e.db.DeadJobs(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*offboard.Job{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

// waitTasks waits until every named task has the status.
func (e *env) waitTasks(id offboard.CaseID, st offboard.TaskStatus, keys ...string) map[string]*offboard.Task {
	e.t.Helper()
	var tasks map[string]*offboard.Task
	waitFor(e.t, fmt.Sprintf("tasks %v %s", keys, st), func() bool {
		tasks = e.tasks(id)
		for _, k := range keys {
			if tasks[k].Status != st {
				return false
			}
		}
		return true
	}, func() string { return describe(tasks) })
	return tasks
}

// waitIdle waits until the case has no queued or leased jobs.
func (e *env) waitIdle(id offboard.CaseID) {
	e.t.Helper()
	var jobs []*offboard.Job
	waitFor(e.t, "no jobs left for "+string(id), func() bool {
		jobs = e.jobs(id)
		return len(jobs) == 0
	}, func() string {
		var s []string
		for _, j := range jobs {
			s = append(s, fmt.Sprintf("%s leased=%v attempts=%d not_before=%s", j.ID, j.Leased, j.Attempts, j.NotBefore.Format(time.StampMilli)))
		}
		return strings.Join(s, "\n")
	})
}

func describe(tasks map[string]*offboard.Task) string {
	keys := make([]string, 0, len(tasks))
	for k := range tasks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		t := tasks[k]
		fmt.Fprintf(&b, "%s: %s attempts=%d err=%q\n", k, t.Status, t.Attempts, t.LastError)
	}
	return b.String()
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			if state != nil {
				msg = "\n" + state()
			}
			t.Fatalf("timed out waiting for %s%s", what, msg)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// revocationKeys are the tasks an involuntary exit runs at once.
var revocationKeys = []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}

// immediateKeys adds the app report, which also runs at the revocation
// point.
var immediateKeys = append(slices.Clone(revocationKeys), "reclaim_licenses")

// ledger is an in-memory Okta: it records the effects of actions and the
// order of everything that happened, actions and notices alike.
type ledger struct {
	clock offboard.Clock

	mu      sync.Mutex
	events  []string             // "action okta.suspend", "notice case_opened"
	starts  map[string]time.Time // action → last start (clock time)
	calls   map[string]int       // action → runs
	effects map[string]string    // email → status
	notices []offboard.Notice
	// fail, when set, decides the outcome of a run before the effect.
	fail func(req connectors.Request, n int) error
	// userIDs are the ids the actions report finding, by email; targets
	// the target each action last got.
	userIDs map[string]string
	targets map[string]offboard.Target
}

func newLedger(clock offboard.Clock) *ledger {
	return &ledger{clock: clock, starts: map[string]time.Time{}, calls: map[string]int{}, effects: map[string]string{},
		userIDs: map[string]string{}, targets: map[string]offboard.Target{}}
}

func (l *ledger) action(id string) connectors.Action {
	return connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		l.mu.Lock()
		l.calls[id]++
		n := l.calls[id]
		l.starts[id] = l.clock.Now()
		l.events = append(l.events, "action "+id)
		l.targets[id] = req.Target
		fail := l.fail
		l.mu.Unlock()
		if fail != nil {
			if err := fail(req, n); err != nil {
				return connectors.Result{}, err
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		already := l.effects[req.Target.Email+" "+id] == "done"
		l.effects[req.Target.Email+" "+id] = "done"
		return connectors.Result{
			Verified: true, AlreadyDone: already, Summary: id + " for " + req.Target.Email,
			Evidence: map[string]string{"read_back": id + " confirmed", "okta_user": req.Target.Email},
			UserID:   l.userIDs[req.Target.Email],
		}, nil
	})
}

// registry registers the ledger's action for every Okta id, and manual.
func (l *ledger) registry(t testing.TB) *connectors.Registry {
	t.Helper()
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	for _, id := range oktaconn.ActionIDs() {
		if err := reg.Register(id, l.action(id)); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

func (l *ledger) Notify(_ context.Context, n offboard.Notice) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, "notice "+string(n.Kind))
	l.notices = append(l.notices, n)
	return nil
}

func (l *ledger) snapshot() (events []string, calls map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	calls = map[string]int{}
	for k, v := range l.calls {
		calls[k] = v
	}
	return slices.Clone(l.events), calls
}

func (l *ledger) noticeKinds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var kinds []string
	for _, n := range l.notices {
		kinds = append(kinds, string(n.Kind))
	}
	return kinds
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
