package runner

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// Options configure a Runner. Jobs, Engine and Actions are required.
type Options struct {
	// Jobs is the outbox the engine writes (store.DB): the runner claims,
	// releases, retries, settles and dead-letters jobs through it, and
	// reads or writes nothing else there.
	Jobs    offboard.JobQueue
	Engine  offboard.CaseService
	Actions *connectors.Registry
	// Notifier delivers notices to chat. Nil logs each notice's kind and
	// case id (never its text) and counts it delivered.
	Notifier offboard.Notifier
	// Platforms are the notifiers by platform name: a notice job for one
	// platform (Job.Platform) goes to that notifier only; a job without
	// a platform goes to Notifier.
	Platforms map[string]offboard.Notifier
	// Clock tells the time (default the wall clock).
	Clock offboard.Clock
	// Workers is how many action jobs (revocations, devices, reports) run
	// at once (default 16: a job mostly waits for Okta or a commit, and a
	// layoff needs many in flight).
	Workers int
	// ChatWorkers is how many notices run at once (default 4), in their
	// own lane: a notice never takes a worker an action could use, so a
	// slow or rate-limited chat never delays a revocation.
	ChatWorkers int
	// BackoffBase and BackoffMax shape the delay before a failed job runs
	// again: min(BackoffMax, BackoffBase·2^(attempt-1)), jittered to
	// between half of that and all of it (default 2s and 5m).
	BackoffBase, BackoffMax time.Duration
	// JobTimeout bounds one run of an action or one notice (default 60s).
	JobTimeout time.Duration
	// Poll is how often to look for ready jobs when nothing wakes the
	// runner (default 500ms).
	Poll time.Duration
	// Redactor removes the configured secrets from every error before it
	// is reported to the engine or stored on a job (nil: none). Upstream
	// services echo requests, credentials included, in their errors.
	Redactor *offboard.Redactor
	Logger   *slog.Logger
	// Leadership says when this replica runs jobs: only while it leads
	// (nil: offboard.SoleReplica, always). When the lead is lost the
	// running jobs are cancelled at once, not after a grace period:
	// another replica may run them already.
	Leadership offboard.Leadership
	// Audit records a notice whose result was refused because this
	// replica lost the job's claim (nil: logged only). An action's
	// refused result is audited by the engine.
	Audit offboard.AuditLog
}

// Defaults of Options, for a zero option (library use, tests). Workers
// and the backoffs are config's (runner.*), which serve passes on; a test
// in cmd/offboard keeps the two equal. JobTimeout and Poll have no key.
const (
	DefaultWorkers     = 16
	DefaultChatWorkers = 4
	DefaultBackoffBase = 2 * time.Second
	DefaultBackoffMax  = 5 * time.Minute
	DefaultJobTimeout  = 60 * time.Second
	DefaultPoll        = 500 * time.Millisecond
)

// MaxNotifyAttempts is how often a notice is tried before it goes to the
// dead letters.
const MaxNotifyAttempts = 10

const (
	// storeTimeout bounds the store writes the runner makes after its
	// context is done (recording a result, releasing jobs).
	storeTimeout = 10 * time.Second
	// cutoffWait is how long Run waits, after cancelling jobs that
	// outlived the grace period, for their workers to return.
	cutoffWait = time.Second
	// maxWakeups bounds the remembered retry and pause-end times; beyond
	// it the poll interval covers.
	maxWakeups = 1024
	// chatBacklog is how many notices per chat worker the chat lane
	// claims ahead. A claim walks the queue past every ready action
	// (thousands during a layoff, each decoded), so fewer, larger claims:
	// with chatClaimGap, half the backlog every gap bounds how fast a
	// batch is counted (at 16 a worker, 1,000 cases were counted 13 s
	// after the last was taken in; at 64, 1 s). The cost: a notice back
	// for its room's turn waits behind up to the backlog (a second or
	// two of chat work; rooms wait on Slack's Tier 2, 3 s each, anyway).
	chatBacklog = 64
	// chatClaimGap is the least time between two claims of the chat
	// lane, on the wall clock. Measured at 300 exits, the chat lane
	// claimed 891 times for 2,162 notices — each wake found a few ready —
	// and each claim walked every ready action: a notice a fifth of a
	// second later costs chat nothing, the walks cost revocation.
	chatClaimGap = 200 * time.Millisecond
)

// Runner is the outbox worker pool. Build it with New and start it with
// Run.
type Runner struct {
	jobs     offboard.JobQueue
	engine   offboard.CaseService
	actions  *connectors.Registry
	notifier offboard.Notifier
	clock    offboard.Clock
	workers  int
	chatWork int
	base     time.Duration
	max      time.Duration
	timeout  time.Duration
	poll     time.Duration
	redactor *offboard.Redactor
	log      *slog.Logger
	lead     offboard.Leadership
	audit    offboard.AuditLog

	// platforms are the notifiers by platform (see Options.Platforms).
	platforms map[string]offboard.Notifier

	wake    chan struct{}
	running atomic.Bool
	// settling are the notices' outcomes being written (worker.go,
	// settleLater); settleSlots bounds them.
	settling    sync.WaitGroup
	settleSlots chan struct{}

	mu      sync.Mutex
	paused  map[string]time.Time // api, or a scope of one → until
	wakeups []time.Time          // times when a job becomes ready
	// scopes are, per action, the scopes of its API (an Okta rate-limit
	// bucket: "okta/<bucket>") that rate-limited it: while one is paused
	// the action's jobs wait, and the API's other actions go on.
	scopes map[string]map[string]bool
	// busy counts the action jobs in flight per case. A case's actions run
	// one at a time, in queue order, so its revocations keep the
	// playbook's safe order (suspend before clearing sessions …) while
	// other cases run in parallel.
	busy map[offboard.CaseID]int
}

// New checks the options and fills in defaults.
func New(o Options) (*Runner, error) {
	switch {
	case o.Jobs == nil:
		return nil, errors.New("runner: no job queue")
	case o.Engine == nil:
		return nil, errors.New("runner: no engine")
	case o.Actions == nil:
		return nil, errors.New("runner: no action registry")
	}
	r := &Runner{
		jobs: o.Jobs, engine: o.Engine, actions: o.Actions, notifier: o.Notifier, platforms: o.Platforms, clock: o.Clock,
		workers: o.Workers, chatWork: o.ChatWorkers, base: o.BackoffBase, max: o.BackoffMax, timeout: o.JobTimeout, poll: o.Poll,
		redactor: o.Redactor, log: o.Logger, lead: o.Leadership, audit: o.Audit,
		wake:   make(chan struct{}, 1),
		paused: map[string]time.Time{},
		scopes: map[string]map[string]bool{},
		busy:   map[offboard.CaseID]int{},
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.lead == nil {
		r.lead = offboard.SoleReplica{}
	}
	if r.notifier == nil {
		r.notifier = logNotifier{r.log}
	}
	if r.clock == nil {
		r.clock = offboard.WallClock()
	}
	if r.workers <= 0 {
		r.workers = DefaultWorkers
	}
	if r.chatWork <= 0 {
		r.chatWork = DefaultChatWorkers
	}
	r.settleSlots = make(chan struct{}, r.chatWork*chatBacklog)
	if r.base <= 0 {
		r.base = DefaultBackoffBase
	}
	if r.max <= 0 {
		r.max = DefaultBackoffMax
	}
	if r.max < r.base {
		r.max = r.base
	}
	if r.timeout <= 0 {
		r.timeout = DefaultJobTimeout
	}
	if r.poll <= 0 {
		r.poll = DefaultPoll
	}
	return r, nil
}

// Wake tells the runner that new jobs were committed, so it looks for
// them now instead of at the next poll. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Paused returns the APIs paused by rate limits and until when.
func (r *Runner) Paused() map[string]time.Time {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]time.Time, len(r.paused))
	for api, until := range r.paused {
		if until.After(now) {
			out[api] = until
		} else {
			delete(r.paused, api)
		}
	}
	return out
}

// pause stops claiming jobs of api until the given time.
func (r *Runner) pause(api string, until time.Time) {
	r.mu.Lock()
	if until.After(r.paused[api]) {
		r.paused[api] = until
	}
	r.mu.Unlock()
	r.wakeAt(until)
	r.log.Warn("api paused by a rate limit", "api", api, "until", until)
}

// pausedUntil returns when job j may run again, or false if neither its
// API nor a scope that rate-limited its action is paused at now.
func (r *Runner) pausedUntil(j *offboard.Job, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return jobPaused(r.paused, r.scopes, j, now)
}

// jobPaused is pausedUntil over a copy of the paused APIs and scopes.
func jobPaused(paused map[string]time.Time, scopes map[string]map[string]bool, j *offboard.Job, now time.Time) (time.Time, bool) {
	until, ok := paused[j.API()]
	ok = ok && until.After(now)
	if j.Kind != offboard.JobAction {
		return until, ok
	}
	for scope := range scopes[j.Action] {
		if u, p := paused[scope]; p && u.After(now) && (!ok || u.After(until)) {
			until, ok = u, true
		}
	}
	return until, ok
}

// pauseScope pauses one scope of an API (an Okta bucket) and notes that
// action meets it, so the action's other jobs wait for it too.
func (r *Runner) pauseScope(action, scope string, until time.Time) {
	r.mu.Lock()
	if r.scopes[action] == nil {
		r.scopes[action] = map[string]bool{}
	}
	r.scopes[action][scope] = true
	r.mu.Unlock()
	r.pause(scope, until)
}

// actionScopes copies the scopes each action met.
func (r *Runner) actionScopes() map[string]map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]map[string]bool, len(r.scopes))
	for a, s := range r.scopes {
		out[a] = maps.Clone(s)
	}
	return out
}

// wakeAt asks the dispatcher to look for jobs at t, when a retry or the
// end of a pause makes some ready.
func (r *Runner) wakeAt(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.wakeups) < maxWakeups {
		r.wakeups = append(r.wakeups, t)
	}
}

// nextWait is how long the dispatcher may sleep: the poll interval, or
// less when a job becomes ready sooner.
func (r *Runner) nextWait() time.Duration {
	now := r.clock.Now()
	wait := r.poll
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.wakeups[:0]
	for _, t := range r.wakeups {
		d := t.Sub(now)
		if d <= 0 {
			// Due since the last claim: look again at once, then forget it.
			wait = 0
			continue
		}
		wait = min(wait, d)
		kept = append(kept, t)
	}
	clear(r.wakeups[len(kept):])
	r.wakeups = kept
	return wait
}

// backoff is the delay before attempt+1: min(max, base·2^(attempt-1)),
// jittered to [d/2, d].
func (r *Runner) backoff(attempt int) time.Duration {
	d := r.base
	for i := 1; i < attempt && d < r.max; i++ {
		d *= 2
	}
	d = min(d, r.max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// pool is one lane's channels. work holds at most the lane's workers
// and done gets one token per finished job, so neither send ever blocks
// while the dispatcher keeps the lane's busy count ≤ its workers.
type pool struct {
	lane    lane
	workers int
	// capacity is how many claimed jobs the lane holds, running or
	// waiting for a worker; busy counts them.
	capacity int
	busy     int
	// looked is set when the lane's last claim took every job it could:
	// the lane claims again only once something may have made a job
	// ready for it (new jobs, a timer, one of its own jobs finished).
	// A claim walks the queue, and during a layoff a walk is thousands
	// of jobs; the other lane finishing a job is no reason to walk it.
	looked bool
	// notBefore is when the lane may claim again (chatClaimGap).
	notBefore time.Time
	work      chan *offboard.Job
	done      chan struct{}

	mu        *sync.Mutex
	unstarted *[]*offboard.Job
}

// lane says which jobs a pool runs. Actions and notices have separate
// workers: a notice waiting on a chat platform (its pace, its 429s, a
// slow answer) holds a chat worker, never one a revocation needs.
type lane int

const (
	actionLane lane = iota // connector actions, and any job that is not a notice
	chatLane               // notices
)

func (l lane) String() string {
	if l == chatLane {
		return "chat"
	}
	return "actions"
}

// laneOf is the lane a job runs in.
func laneOf(j *offboard.Job) lane {
	if j.Kind == offboard.JobNotify {
		return chatLane
	}
	return actionLane
}

func (p *pool) addUnstarted(j *offboard.Job) {
	p.mu.Lock()
	*p.unstarted = append(*p.unstarted, j)
	p.mu.Unlock()
}

// Run claims and runs jobs while this replica leads, until ctx is done.
// Then it stops claiming, lets running jobs finish for up to grace,
// cancels those still running, releases the jobs it claimed but did not
// start, and returns nil. Jobs cut off by the grace period stay leased;
// the store's RecoverLeases queues them again at the next start (etcd:
// they come back when this replica's lease ends). When the lead is lost
// the same happens without a grace period, and Run waits to lead again.
// Run may not be called twice at once.
func (r *Runner) Run(ctx context.Context, grace time.Duration) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("runner: already running")
	}
	defer r.running.Store(false)
	for ctx.Err() == nil {
		term, err := r.lead.Lead(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("waiting for the lead failed; trying again", "err", err)
				_ = sleepCtx(ctx, r.poll)
			}
			continue
		}
		r.runTerm(ctx, term, grace)
	}
	return nil
}

// runTerm runs the pool for one term of this replica's lead: until term
// ends (the lead lost, or ctx done: shutdown).
func (r *Runner) runTerm(parent, ctx context.Context, grace time.Duration) {
	// hard is cancelled when the grace period ends; jobs run under it.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	var (
		mu        sync.Mutex
		unstarted []*offboard.Job
		wg        sync.WaitGroup
	)
	pools := []*pool{
		{lane: actionLane, workers: r.workers, capacity: r.workers},
		// Notices queue behind every pending action in the outbox, so a
		// claim for them walks past all of a layoff's revocations: the
		// chat lane claims a backlog at a time, not one notice per walk.
		{lane: chatLane, workers: r.chatWork, capacity: r.chatWork * chatBacklog},
	}
	for _, p := range pools {
		p.work, p.done = make(chan *offboard.Job, p.capacity), make(chan struct{}, p.capacity)
		p.mu, p.unstarted = &mu, &unstarted
		for range p.workers {
			wg.Go(func() { r.worker(ctx, hard, p) })
		}
	}
	actions, chat := pools[0], pools[1]
	r.log.Info("runner started", "workers", r.workers, "chat_workers", r.chatWork)

	timer := time.NewTimer(r.poll)
	defer timer.Stop()
	for ctx.Err() == nil {
		for _, p := range pools {
		drain:
			for {
				select {
				case <-p.done:
					p.busy--
					p.looked = false
				default:
					break drain
				}
			}
		}
		// Actions first: a claim is one short transaction, and the
		// revocations must not queue behind the notices' claim.
		var gap time.Duration // until the chat lane may claim, when it would
		for _, p := range pools {
			free := p.capacity - p.busy
			if free <= 0 || p.looked || (p.lane == chatLane && p.busy > 0 && free < p.capacity/2) {
				// The chat lane, with notices in hand, claims again once
				// half of its backlog is free: fewer walks of the queue.
				continue
			}
			if wait := time.Until(p.notBefore); wait > 0 {
				gap = wait
				continue
			}
			jobs, err := r.claim(ctx, p.lane, free)
			if p.lane == chatLane && len(jobs) > 0 {
				// A lone notice after a quiet spell goes at once.
				p.notBefore = time.Now().Add(chatClaimGap)
			}
			if err != nil && ctx.Err() == nil {
				r.log.Error("claiming jobs failed", "lane", p.lane.String(), "err", err)
			}
			p.looked = err == nil && len(jobs) < free
			for _, j := range jobs {
				p.busy++
				p.work <- j
			}
		}
		wait := r.nextWait()
		if gap > 0 {
			wait = min(wait, gap)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-r.wake:
			actions.looked, chat.looked = false, false
		case <-actions.done:
			actions.busy--
			actions.looked = false
		case <-chat.done:
			chat.busy--
			chat.looked = false
		case <-timer.C:
			actions.looked, chat.looked = false, false
		}
	}

	// Shutdown: workers take what is left in work and set it aside.
	for _, p := range pools {
		close(p.work)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	if parent.Err() == nil {
		// The lead is lost, not shutdown: another replica may run these
		// jobs now, so they stop at once. A call that completes anyway
		// reports a result the store refuses (the claim is gone).
		r.log.Warn("this replica lost the lead: cancelling its running jobs; the next leader runs them again")
		grace = 0
	}
	graceTimer := time.NewTimer(max(grace, 0))
	defer graceTimer.Stop()
	select {
	case <-finished:
	case <-graceTimer.C:
		if grace > 0 {
			r.log.Warn("cancelling jobs still running after the grace period; they stay leased and run again at the next start", "grace", grace)
		}
		cancelHard()
		select {
		case <-finished:
		case <-time.After(cutoffWait):
			r.log.Error("jobs ignored cancellation; returning without them")
		}
	}
	r.settling.Wait() // each within storeTimeout
	for _, p := range pools {
		for j := range p.work { // left if every worker was stuck
			p.addUnstarted(j)
		}
	}
	mu.Lock()
	left := unstarted
	unstarted = nil
	mu.Unlock()
	if len(left) > 0 {
		if err := r.release(ctx, left, time.Time{}); err != nil {
			r.log.Error("releasing unstarted jobs failed; they run after the next start", "err", err)
		} else {
			r.log.Info("released jobs claimed but not started", "jobs", len(left))
		}
	}
	r.log.Info("runner stopped")
}

// claim leases up to n ready jobs of one lane whose APIs are not paused
// (an idle poll only reads).
func (r *Runner) claim(ctx context.Context, l lane, n int) ([]*offboard.Job, error) {
	now := r.clock.Now()
	paused := r.Paused()
	scopes := r.actionScopes()
	r.mu.Lock()
	busy := make(map[offboard.CaseID]bool, len(r.busy))
	for id := range r.busy {
		busy[id] = true
	}
	r.mu.Unlock()
	// newSkip returns a fresh filter for one walk of the queue: paused
	// APIs, and a second action job of a case (in flight or taken in this
	// walk) wait.
	newSkip := func() func(*offboard.Job) bool {
		taken := map[offboard.CaseID]bool{}
		return func(j *offboard.Job) bool {
			if laneOf(j) != l {
				return true
			}
			if _, ok := jobPaused(paused, scopes, j, now); ok {
				return true
			}
			if j.Kind != offboard.JobAction {
				return false
			}
			if busy[j.CaseID] || taken[j.CaseID] {
				return true
			}
			taken[j.CaseID] = true
			return false
		}
	}
	out, err := r.jobs.ClaimJobs(ctx, now, n, newSkip)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	for _, j := range out {
		if j.Kind == offboard.JobAction {
			r.busy[j.CaseID]++
		}
	}
	r.mu.Unlock()
	return out, nil
}

// done marks a claimed job as no longer in flight, and looks for work:
// the case's next action may now run.
func (r *Runner) done(j *offboard.Job) {
	if j.Kind != offboard.JobAction {
		return
	}
	r.mu.Lock()
	if r.busy[j.CaseID]--; r.busy[j.CaseID] <= 0 {
		delete(r.busy, j.CaseID)
	}
	r.mu.Unlock()
	r.Wake()
}

// release puts leased jobs back in the queue, not before notBefore when
// it is set. Jobs that are gone or no longer leased are left alone.
func (r *Runner) release(ctx context.Context, jobs []*offboard.Job, notBefore time.Time) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return r.jobs.ReleaseJobs(sctx, ids, notBefore)
}

// logNotifier stands in when no chat platform is wired: it logs the kind
// and case of each notice, never its text.
type logNotifier struct{ log *slog.Logger }

func (n logNotifier) Notify(_ context.Context, no offboard.Notice) error {
	n.log.Info("notice not sent: no chat platform configured", "kind", no.Kind, "case_id", no.CaseID)
	return nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
