package runner_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/flows/runner"
)

// stuckChat is a chat platform that never answers until the test ends:
// Slack throttled for good.
type stuckChat struct {
	gate    chan struct{}
	waiting atomic.Int32
}

func (s *stuckChat) Notify(ctx context.Context, _ offboard.Notice) error {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case <-s.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Notices run in their own lane: with every chat worker stuck on a
// platform that does not answer, every case's revocations still run to
// the end. One action worker: in the old single pool a notice claimed
// while no action was ready held it, and the next exits waited on chat.
func TestRunner_Run_chatNeverDelaysRevocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	chat := &stuckChat{gate: make(chan struct{})}
	t.Cleanup(func() { close(chat.gate) })
	r, stop := e.start(runner.Options{Actions: l.registry(t), Notifier: chat, Workers: 1, ChatWorkers: 1})
	t.Cleanup(func() { stop() })

	// The first exit's revocations leave the action worker idle, so its
	// notices are claimed and hang; the rest of the batch arrives then.
	first := e.open("a@example.com", offboard.Involuntary, "").Case.ID
	r.Wake()
	e.waitTasks(first, offboard.TaskDone, revocationKeys...)
	waitFor(t, "a notice stuck in chat", func() bool { return chat.waiting.Load() > 0 }, nil)
	ids := []offboard.CaseID{first}
	for _, email := range []string{"b@example.com", "c@example.com", "d@example.com"} {
		ids = append(ids, e.open(email, offboard.Involuntary, "").Case.ID)
		r.Wake()
	}
	for _, id := range ids {
		e.waitTasks(id, offboard.TaskDone, revocationKeys...)
		if e.caseOf(id).RevokedAt == nil {
			t.Errorf("%s: the clock did not stop", id)
		}
	}
	if chat.waiting.Load() != 1 {
		t.Errorf("%d notices in flight, want the one chat worker's", chat.waiting.Load())
	}
}

// heldChannel refuses the notices of one case as a chat platform does
// when that case's channel is held by its own rate limit.
type heldChannel struct {
	held      offboard.CaseID
	until     time.Time
	mu        sync.Mutex
	delivered map[offboard.CaseID]int
}

func (h *heldChannel) Notify(_ context.Context, n offboard.Notice) error {
	if n.CaseID == h.held {
		return &offboard.RateLimitError{API: "chat/channel:C1", Reset: h.until}
	}
	h.mu.Lock()
	h.delivered[n.CaseID]++
	h.mu.Unlock()
	return nil
}

// A rate limit that names one part of a platform (a channel) defers that
// notice alone: the platform is not paused and other cases' notices go.
func TestRunner_Run_scopedRateLimitDefersOneNotice(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	a := e.open("a@example.com", offboard.Voluntary, "2026-03-20").Case.ID
	b := e.open("b@example.com", offboard.Voluntary, "2026-03-20").Case.ID
	chat := &heldChannel{held: a, until: e.clock.Now().Add(time.Hour), delivered: map[offboard.CaseID]int{}}
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: chat, Workers: 1, ChatWorkers: 1})
	r.Wake()
	e.waitIdle(b)
	chat.mu.Lock()
	got := chat.delivered[b]
	chat.mu.Unlock()
	if got == 0 {
		t.Error("no notice of the other case was delivered")
	}
	if p := r.Paused(); len(p) != 0 {
		t.Errorf("paused %v; one channel's limit paused the platform", p)
	}
	for _, j := range e.jobs(a) {
		if j.Kind == offboard.JobNotify && j.NotBefore.Before(chat.until) {
			t.Errorf("%s runs again at %s, before the channel's reset %s", j.ID, j.NotBefore, chat.until)
		}
	}
}

// A rate limit scoped to one part of an API (an Okta bucket,
// "okta/<bucket>") holds back the jobs of the action that met it, not
// every job of the API: the other Okta actions run during the pause, and
// no job of the limited action starts before its reset.
func TestRunner_Run_scopedRateLimitPausesOneAction(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	const scope = "okta/users: update"
	type start struct {
		action string
		at     time.Time
	}
	var (
		mu     sync.Mutex
		starts []start
		reset  time.Time
		seen   map[string]time.Time
	)
	var r *runner.Runner
	l.fail = func(req connectors.Request, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		now := e.clock.Now()
		starts = append(starts, start{req.Action, now})
		if reset.IsZero() && req.Action == "okta.suspend" {
			reset = now.Add(2 * time.Second)
			return &offboard.RateLimitError{API: scope, Reset: reset}
		}
		if !reset.IsZero() && now.Before(reset) && seen == nil {
			seen = r.Paused()
		}
		return nil
	}
	r, _ = e.start(runner.Options{Actions: l.registry(t), Notifier: l, Workers: 2})
	a := e.open("a@example.com", offboard.Involuntary, "").Case.ID
	r.Wake()
	waitFor(t, "the rate limit", func() bool { mu.Lock(); defer mu.Unlock(); return !reset.IsZero() }, nil)
	b := e.open("b@example.com", offboard.Involuntary, "").Case.ID
	r.Wake()
	for _, id := range []offboard.CaseID{a, b} {
		e.waitTasks(id, offboard.TaskDone, immediateKeys...)
	}

	mu.Lock()
	defer mu.Unlock()
	during := 0
	for _, s := range starts[1:] {
		if !s.at.Before(reset) {
			continue
		}
		if s.action == "okta.suspend" {
			t.Errorf("okta.suspend started at %s, before its scope's reset at %s", s.at.Format(time.StampMilli), reset.Format(time.StampMilli))
		}
		during++
	}
	if during == 0 {
		t.Errorf("no other Okta action ran while one scope was paused: the whole API waited (runs %v)", starts)
	}
	if _, ok := seen[scope]; !ok {
		t.Errorf("Paused() during the pause = %v, want the scope %q", seen, scope)
	}
	if _, ok := seen["okta"]; ok {
		t.Errorf("Paused() during the pause = %v: all of okta paused", seen)
	}
}

// walkCounter counts the claims of each lane: a claim walks the queue,
// which during a layoff is thousands of jobs.
type walkCounter struct {
	offboard.JobQueue
	actions, chat atomic.Int32
}

func (w *walkCounter) ClaimJobs(ctx context.Context, now time.Time, limit int, newSkip func() func(*offboard.Job) bool) ([]*offboard.Job, error) {
	// A lane's filter passes its own jobs only: a notice tells which.
	if newSkip != nil && newSkip()(&offboard.Job{Kind: offboard.JobNotify, Notice: &offboard.Notice{}}) {
		w.actions.Add(1)
	} else {
		w.chat.Add(1)
	}
	return w.JobQueue.ClaimJobs(ctx, now, limit, newSkip)
}

// A lane that found no work claims again only when something may have
// made work for it: a notice finishing is no reason for the action lane
// to walk the queue (during a layoff it walked thousands of jobs for
// every notice delivered, under the store's write lock).
func TestRunner_Run_idleLaneDoesNotWalkPerOtherLanesJob(t *testing.T) {
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	id := e.open("a@example.com", offboard.Involuntary, "").Case.ID
	const notices = 120
	err := e.db.Update(context.Background(), func(tx offboard.Tx) error {
		for i := range notices {
			n := offboard.Notice{Kind: offboard.NoticeTasksUpdated, CaseID: id, Department: offboard.DeptIT}
			j := &offboard.Job{ID: fmt.Sprintf("n%03d", i), Kind: offboard.JobNotify, CaseID: id, Notice: &n,
				Priority: offboard.PriorityChat, NotBefore: e.clock.Now(), CreatedAt: e.clock.Now()}
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	walks := &walkCounter{JobQueue: e.db}
	// The case's few revocations run at once; then the action lane has
	// nothing to run while the notices go.
	_, stop := e.start(runner.Options{Jobs: walks, Actions: l.registry(t), Notifier: l, Poll: time.Hour})
	waitFor(t, "every notice delivered", func() bool { return len(l.noticeKinds()) >= notices }, nil)
	stop()
	if n := walks.actions.Load(); n > notices/4 {
		t.Errorf("the action lane claimed %d times while %d notices were delivered, want a few", n, notices)
	}
	t.Logf("claims: %d by the action lane, %d by the chat lane, for %d notices", walks.actions.Load(), walks.chat.Load(), notices)
}
