package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/offboard-dev/offboard"
)

// DefaultTickSpec is how often the engine is ticked when TickSpec is
// empty; serve passes escalation.check (the same by default).
const DefaultTickSpec = "@every 1m"

// maxTickRounds bounds the ticks run back to back for full batches.
const maxTickRounds = 20

// auditTimeout bounds the audit write of a panic.
const auditTimeout = 10 * time.Second

// scheduler is who sends Tick.
var scheduler = offboard.System("scheduler")

// ScheduleOptions configure a Schedule. Engine is required.
type ScheduleOptions struct {
	Engine offboard.CaseService
	// TickSpec is a robfig/cron spec: five fields, or a descriptor such as
	// "@every 1m" (the default) or "@hourly". "CRON_TZ=Europe/Berlin "
	// may prefix it.
	TickSpec string
	// Location is the time zone specs are read in (default UTC, so that
	// daylight saving time never skips or doubles a run).
	Location *time.Location
	Logger   *slog.Logger
	// Audit records a recovered panic in a scheduled job (after it is
	// logged) in the audit chain: a crash in scheduled work is evidence
	// too. Nil records nothing.
	Audit offboard.AuditLog
	// Clock stamps those records (default the wall clock).
	Clock offboard.Clock
	// Leadership says when this replica runs the tick and the jobs added
	// with AddFunc: only while it leads, cancelled the moment it stops
	// (nil: offboard.SoleReplica, always). AddReplicaFunc's jobs run on
	// every replica.
	Leadership offboard.Leadership
}

// Schedule ticks the engine on a cron spec and runs other periodic work
// added with AddFunc. Every job it runs recovers panics and is skipped
// while its previous run is still going.
type Schedule struct {
	cron   *cron.Cron
	engine offboard.CaseService
	audit  offboard.AuditLog
	clock  offboard.Clock
	log    *slog.Logger
	tickID cron.EntryID
	lead   offboard.Leadership

	// term is the context of this replica's current lead (nil: it does
	// not lead); leader-only jobs run under it.
	termMu   sync.Mutex
	term     context.Context
	stopping bool          // set by Stop: no first tick starts after it
	terms    chan struct{} // closed when the term loop returns

	// ctx is the context jobs run under; Stop cancels it when its own
	// context ends before the jobs do.
	ctx    context.Context
	cancel context.CancelFunc

	wg        sync.WaitGroup // the tick Start runs itself
	startOnce sync.Once
	stopOnce  sync.Once
}

// NewSchedule builds a schedule. An invalid TickSpec is an error naming
// it.
func NewSchedule(o ScheduleOptions) (*Schedule, error) {
	if o.Engine == nil {
		return nil, errors.New("runner: schedule: no engine")
	}
	spec := o.TickSpec
	if spec == "" {
		spec = DefaultTickSpec
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl := cronLogger{log}
	s := &Schedule{
		cron: cron.New(
			cron.WithLocation(loc),
			cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)),
			cron.WithLogger(cl),
		),
		engine: o.Engine, audit: o.Audit, clock: o.Clock, log: log, lead: o.Leadership,
		terms: make(chan struct{}),
	}
	if s.lead == nil {
		s.lead = offboard.SoleReplica{}
	}
	if s.clock == nil {
		s.clock = offboard.WallClock()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	id, err := s.cron.AddFunc(spec, s.leaderOnly("tick", s.tick))
	if err != nil {
		return nil, fmt.Errorf("runner: schedule: invalid tick spec %q: %w", spec, err)
	}
	s.tickID = id
	return s, nil
}

// AddFunc runs fn on spec while this replica leads, wrapped like the
// tick: panics are recovered and logged with name, and a run is skipped
// while the last one runs. fn gets a context that ends when the lead is
// lost or Stop gives up waiting.
func (s *Schedule) AddFunc(spec string, name string, fn func(ctx context.Context)) error {
	if _, err := s.cron.AddFunc(spec, s.leaderOnly(name, fn)); err != nil {
		return fmt.Errorf("runner: schedule %s: invalid spec %q: %w", name, spec, err)
	}
	return nil
}

// AddReplicaFunc runs fn on spec on every replica, leader or not: work on
// the replica's own memory (its intake's refusal counts, its directory
// cache). Otherwise it is AddFunc.
func (s *Schedule) AddReplicaFunc(spec string, name string, fn func(ctx context.Context)) error {
	_, err := s.cron.AddFunc(spec, func() {
		defer s.recoverPanic(name)
		fn(s.ctx)
	})
	if err != nil {
		return fmt.Errorf("runner: schedule %s: invalid spec %q: %w", name, spec, err)
	}
	return nil
}

// leaderOnly wraps fn to run under the current term, and not at all
// while this replica does not lead.
func (s *Schedule) leaderOnly(name string, fn func(ctx context.Context)) func() {
	return func() {
		defer s.recoverPanic(name)
		s.termMu.Lock()
		term := s.term
		s.termMu.Unlock()
		if term == nil || term.Err() != nil {
			s.log.Debug("scheduled job skipped: this replica does not lead", "job", name)
			return
		}
		fn(term)
	}
}

// followTerms keeps s.term: for each term this replica leads, it runs a
// tick at once (work that came due while no replica led runs now) and
// clears the term when it ends.
func (s *Schedule) followTerms() {
	defer close(s.terms)
	for s.ctx.Err() == nil {
		term, err := s.lead.Lead(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("waiting for the lead failed; trying again", "err", err)
				_ = sleepCtx(s.ctx, time.Second)
			}
			continue
		}
		// The wrapped job shares the entry's skip-if-running guard, so a
		// scheduled tick never overlaps this one.
		job := s.cron.Entry(s.tickID).WrappedJob
		s.termMu.Lock()
		s.term = term
		if !s.stopping {
			s.wg.Go(job.Run)
		}
		s.termMu.Unlock()
		<-term.Done()
		s.termMu.Lock()
		s.term = nil
		s.termMu.Unlock()
	}
}

// Start runs one tick at once when this replica leads (at once for a
// sole replica), so work that came due while offboard was down runs now,
// then ticks on the spec. It does not block; a second call does nothing.
func (s *Schedule) Start() {
	s.startOnce.Do(func() {
		s.cron.Start()
		go s.followTerms()
		s.log.Info("schedule started", "next_tick", s.cron.Entry(s.tickID).Next)
	})
}

// Stop stops scheduling and waits for running jobs, or until ctx is done;
// then the jobs' context is cancelled. A second call does nothing.
func (s *Schedule) Stop(ctx context.Context) {
	s.stopOnce.Do(func() {
		s.termMu.Lock()
		s.stopping = true
		s.termMu.Unlock()
		cronDone := s.cron.Stop()
		done := make(chan struct{})
		go func() {
			<-cronDone.Done()
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.log.Warn("schedule stopped before its running jobs finished")
		}
		s.cancel()
		s.startOnce.Do(func() { close(s.terms) }) // never started: no loop to wait for
		<-s.terms
		s.log.Info("schedule stopped")
	})
}

// tick applies offboard.Tick, again at once while batches are full.
func (s *Schedule) tick(ctx context.Context) {
	for range maxTickRounds {
		res, err := s.engine.Apply(ctx, offboard.Tick{By: scheduler})
		if err != nil {
			if ctx.Err() != nil {
				s.log.Debug("tick cut off by shutdown", "err", err)
			} else {
				s.log.Error("tick failed", "err", err)
			}
			return
		}
		if res == nil {
			return
		}
		s.log.Debug("tick", "advanced", res.Advanced)
		if !res.More {
			return
		}
	}
	s.log.Warn("ticks kept finding full batches; the rest waits for the next tick", "rounds", maxTickRounds)
}

func (s *Schedule) recoverPanic(name string) {
	if p := recover(); p != nil {
		s.log.Error("scheduled job panicked", "job", name, "err", fmt.Sprint(p), "stack", string(debug.Stack()))
		s.auditPanic(name, p)
	}
}

// auditPanic records a recovered panic in the audit chain. The store
// redacts the detail: a panic value may quote a request.
func (s *Schedule) auditPanic(name string, value any) {
	if s.audit == nil {
		return
	}
	defer func() { _ = recover() }() // a failing audit must not undo the recovery
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), auditTimeout)
	defer cancel()
	err := s.audit.Append(ctx, offboard.AuditEvent{Time: s.clock.Now(), Actor: scheduler,
		Action: "schedule.panic", Target: name, Outcome: offboard.OutcomeFailed,
		Detail: fmt.Sprintf("scheduled job %s panicked: %v", name, value)})
	if err != nil {
		s.log.Error("audit of a scheduled job's panic failed", "job", name, "err", err)
	}
}

// cronLogger adapts slog to cron.Logger. cron's chatter (start, wake,
// run) is debug; its errors (recovered panics) are errors.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "stop" {
		// cron logs this from its loop after Stop has returned, when the
		// logger's owner may be gone; Stop logs instead.
		return
	}
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append(keysAndValues, "err", err)...)
}

// CheckSpec reports whether the schedule accepts spec, with the parser
// cron.New uses, so that a bad spec is refused when the configuration is
// checked and not first when serve starts.
func CheckSpec(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("not a cron spec (5 fields such as \"0 9 * * 1-5\", or \"@every 1m\"): %w", err)
	}
	return nil
}
