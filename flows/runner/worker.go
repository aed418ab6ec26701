package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// runnerActor is who reports results to the engine.
var runnerActor = offboard.System("runner")

// worker runs jobs from p.work until it is closed. Once soft is done it
// starts nothing more and sets what it receives aside for release; jobs
// run under hard, which is cancelled when the grace period ends.
func (r *Runner) worker(soft, hard context.Context, p *pool) {
	for j := range p.work {
		if soft.Err() != nil {
			p.addUnstarted(j)
		} else {
			r.runSafely(hard, j)
		}
		r.done(j)
		p.done <- struct{}{}
	}
}

// runSafely runs one job; a bug in the runner itself is logged and the
// job stays leased, but the worker lives on.
func (r *Runner) runSafely(ctx context.Context, j *offboard.Job) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("runner panicked handling a job; it stays leased until the next start",
				"job", j.ID, "case_id", j.CaseID, "err", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	now := r.clock.Now()
	if until, ok := r.pausedUntil(j, now); ok {
		// The API was paused after the job was claimed: put it back.
		if err := r.release(ctx, []*offboard.Job{j}, until); err != nil {
			r.log.Error("releasing a job of a paused api failed", "job", j.ID, "case_id", j.CaseID, "err", err)
		}
		return
	}
	switch j.Kind {
	case offboard.JobAction:
		r.runAction(ctx, j)
	case offboard.JobNotify:
		r.runNotify(ctx, j)
	default:
		log := r.log.With("job", j.ID, "case_id", j.CaseID)
		log.Error("unknown job kind; moved to the dead letters", "kind", j.Kind)
		r.deadLetter(ctx, log, j, offboard.JobFailure{Error: fmt.Sprintf("unknown job kind %q", j.Kind)})
	}
}

// runAction runs a connector action and reports the outcome to the
// engine.
func (r *Runner) runAction(ctx context.Context, j *offboard.Job) {
	attempt := j.Attempts + 1
	log := r.log.With("job", j.ID, "case_id", j.CaseID, "action", j.Action, "attempt", attempt)
	fail := func(retryable bool, msg string) {
		retryAt := r.clock.Now().Add(r.backoff(attempt))
		if retryable {
			r.wakeAt(retryAt)
		}
		r.report(ctx, log, j.ID, offboard.ActionFailed{By: runnerActor, JobID: j.ID, Error: r.clean(msg), Retryable: retryable, RetryAt: retryAt})
	}

	target, err := r.target(ctx, j)
	if err != nil {
		if ctx.Err() != nil {
			log.Warn("job cut off by shutdown before it ran; it stays leased")
			return
		}
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			// The engine cannot take a result for a case that is gone.
			log.Error("the job's case does not exist; moved to the dead letters", "err", err)
			r.deadLetter(ctx, log, j, offboard.JobFailure{Error: "its case no longer exists"})
			return
		}
		log.Error("reading the case failed", "err", err)
		fail(true, "could not read the case: "+safeMessage(err))
		return
	}
	action, ok := r.actions.Lookup(j.Action)
	if !ok {
		log.Error("unknown action")
		fail(false, fmt.Sprintf("unknown action %q", j.Action))
		return
	}
	req := connectors.Request{
		JobID: j.ID, CaseID: j.CaseID, TaskKey: j.TaskKey, Action: j.Action,
		Params: maps.Clone(j.Params), Target: target, Attempt: attempt,
	}
	log.Debug("action started")
	started := time.Now()
	res, err := r.callAction(ctx, log, action, req)
	took := time.Since(started)
	_, panicked := errors.AsType[panicError](err)

	if err == nil && res.InProgress {
		// Started, not finished: the engine keeps the job for another
		// look; no attempt is counted and the API is not paused.
		checkAt := r.clock.Now().Add(offboard.CheckDelay(res.CheckAfter))
		log.Info("action in progress; checked again later", "check_at", checkAt, "took", took)
		r.report(ctx, log, j.ID, offboard.ActionSucceeded{
			By: runnerActor, JobID: j.ID, Summary: res.Summary, Evidence: res.Evidence, UserID: res.UserID,
			InProgress: true, CheckAfter: res.CheckAfter, Secrets: res.Secrets,
		})
		r.wakeAt(checkAt)
		return
	}
	if err == nil {
		log.Info("action done", "verified", res.Verified, "already_done", res.AlreadyDone, "took", took)
		r.report(ctx, log, j.ID, offboard.ActionSucceeded{
			By: runnerActor, JobID: j.ID, Verified: res.Verified, AlreadyDone: res.AlreadyDone,
			Summary: res.Summary, Evidence: res.Evidence, UserID: res.UserID, Secrets: res.Secrets,
		})
		return
	}
	if panicked {
		fail(false, "the action panicked: "+truncate(r.redactor.String(fmt.Sprint(err)), 200))
		return
	}
	if ctx.Err() != nil {
		log.Warn("action cut off by shutdown; it stays leased and runs again at the next start", "err", err, "took", took)
		return
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		api := rl.API
		if api == "" {
			api = j.API()
		}
		reset := rl.Reset
		if now := r.clock.Now(); !reset.After(now) {
			reset = now.Add(r.backoff(1))
		}
		switch {
		case strings.HasPrefix(api, j.API()+"/"):
			// One scope of the API is spent (an Okta bucket): the jobs of
			// actions that meet it wait, the API's others go on.
			r.pauseScope(j.Action, api, reset)
		case api != j.API():
			r.pause(api, reset)
			r.pause(j.API(), reset)
		default:
			r.pause(api, reset)
		}
		log.Warn("action rate limited; deferred", "api", api, "until", reset, "err", err)
		r.report(ctx, log, j.ID, offboard.ActionFailed{By: runnerActor, JobID: j.ID, Error: r.clean(err.Error()), RateLimited: true, RetryAt: reset})
		return
	}
	retryable := connectors.Retryable(err)
	log.Warn("action failed", "retryable", retryable, "took", took, "err", err)
	fail(retryable, safeMessage(err))
}

// target is who the job's action is for: the snapshot the engine wrote
// on the job. Only a job queued before jobs carried one (an upgrade with
// work in the queue) makes the runner ask the engine for its case.
func (r *Runner) target(ctx context.Context, j *offboard.Job) (offboard.Target, error) {
	if j.Target != nil {
		t := *j.Target
		t.UserIDs = maps.Clone(t.UserIDs)
		return t, nil
	}
	v, err := r.engine.GetCase(ctx, runnerActor, j.CaseID)
	if err != nil {
		return offboard.Target{}, err
	}
	return *offboard.NewTarget(v.Case), nil
}

// panicError carries a recovered panic value.
type panicError struct{ value any }

func (e panicError) Error() string { return fmt.Sprint(e.value) }

// callAction runs the action with the job timeout and turns a panic into
// a panicError.
func (r *Runner) callAction(ctx context.Context, log *slog.Logger, a connectors.Action, req connectors.Request) (res connectors.Result, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			log.Error("action panicked", "err", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = connectors.Result{}, panicError{p}
		}
	}()
	return a.Run(ctx, req)
}

// report records an action's outcome with the engine. The effect has
// happened (or failed) by now, so the report is made even if shutdown has
// begun. A refusal means the job was already reported, or that this
// replica no longer holds it (the engine audits both); any other error
// leaves the job leased, to run again after a restart.
func (r *Runner) report(ctx context.Context, log *slog.Logger, jobID string, cmd offboard.Command) {
	rctx, cancel := context.WithTimeout(offboard.WithJobResult(context.WithoutCancel(ctx), jobID), storeTimeout)
	defer cancel()
	_, err := r.engine.Apply(rctx, cmd)
	switch {
	case err == nil:
	case claimLost(err):
		log.Warn("result not recorded: this replica lost the job's claim (its lease ended); the action ran, and the replica holding the job runs it again (actions are idempotent)", "err", err)
	case refusal(err):
		log.Warn("the engine refused the result; it was probably reported already", "err", err)
	default:
		log.Error("recording the result failed; the job stays leased and runs again after a restart", "err", err)
	}
}

// refusal reports whether err is the engine deciding against a command
// rather than the store failing.
func refusal(err error) bool {
	return offboard.Permanent(err)
}

// runNotify delivers a notice. Delivered notices are deleted; failed ones
// are retried with backoff and dead-lettered after MaxNotifyAttempts, or
// at once when the error is permanent or the notifier panicked.
func (r *Runner) runNotify(ctx context.Context, j *offboard.Job) {
	attempt := j.Attempts + 1
	log := r.log.With("job", j.ID, "case_id", j.CaseID, "attempt", attempt)
	if j.Notice == nil {
		log.Error("notice job without a notice; moved to the dead letters")
		r.deadLetter(ctx, log, j, offboard.JobFailure{Error: "the job has no notice"})
		return
	}
	notifier := r.notifier
	if j.Platform != "" {
		var ok bool
		if notifier, ok = r.platforms[j.Platform]; !ok {
			// The platform was unwired since the notice was queued:
			// nothing can deliver it, and the dead letters show it.
			log.Error("notice for a chat platform that is not wired; moved to the dead letters", "platform", j.Platform)
			r.deadLetter(ctx, log, j, offboard.JobFailure{Error: fmt.Sprintf("no chat platform %q is wired", j.Platform)})
			return
		}
	}
	n := *j.Notice
	n.ID = j.ID // stable across retries: lets a platform post once
	err := r.callNotify(ctx, log, notifier, n)
	_, panicked := errors.AsType[panicError](err)
	if err == nil {
		log.Debug("notice delivered", "kind", j.Notice.Kind)
		r.settleLater(ctx, log, j.ID, func(ctx context.Context) error { return r.jobs.SettleJob(ctx, j.ID) })
		return
	}
	if !panicked && ctx.Err() != nil {
		log.Warn("notice cut off by shutdown; it stays leased and is sent at the next start", "err", err)
		return
	}
	now := r.clock.Now()
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		reset := rl.Reset
		if !reset.After(now) {
			reset = now.Add(r.backoff(1))
		}
		if scoped := strings.HasPrefix(rl.API, j.API()+"/"); scoped {
			// One channel or method of the platform is held (Slack's
			// limits are per channel and per method): this notice waits,
			// the platform's others go on.
			r.wakeAt(reset)
			log.Info("notice deferred by a channel's or method's rate limit", "scope", rl.API, "until", reset)
		} else {
			r.pause(j.API(), reset) // this platform's notices only
			log.Warn("notice rate limited; deferred", "until", reset, "err", err)
		}
		// A rate limit is no failure of the notice: no attempt counted.
		r.settleLater(ctx, log, j.ID, func(ctx context.Context) error {
			return r.jobs.RetryJob(ctx, j.ID, offboard.JobFailure{Error: r.clean(err.Error())}, reset)
		})
		return
	}
	msg := safeMessage(err)
	if panicked {
		msg = "the notifier panicked: " + truncate(r.redactor.String(err.Error()), 200)
	}
	msg = r.clean(msg)
	permanent := panicked || !connectors.Retryable(err)
	// Only the runner changes a leased notice, so the claimed copy's
	// attempts are the stored ones.
	failure := offboard.JobFailure{Error: msg, Counted: true}
	if permanent || attempt >= MaxNotifyAttempts {
		if r.settle(ctx, log, j.ID, func(ctx context.Context) error {
			return r.jobs.DeadLetterJob(ctx, j.ID, failure, r.clock.Now())
		}) == nil {
			log.Error("notice failed; moved to the dead letters", "kind", j.Notice.Kind, "err", err)
		}
		return
	}
	retryAt := now.Add(r.backoff(attempt))
	if r.settle(ctx, log, j.ID, func(ctx context.Context) error { return r.jobs.RetryJob(ctx, j.ID, failure, retryAt) }) != nil {
		return
	}
	r.wakeAt(retryAt)
	log.Warn("notice failed; will retry", "kind", j.Notice.Kind, "retry_at", retryAt, "err", err)
}

// callNotify delivers with the job timeout and turns a panic into a
// panicError.
func (r *Runner) callNotify(ctx context.Context, log *slog.Logger, notifier offboard.Notifier, n offboard.Notice) (err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			log.Error("notifier panicked", "err", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = panicError{p}
		}
	}()
	return notifier.Notify(ctx, n)
}

// settle makes one change to a job through the queue. It is made even
// if shutdown has begun (the job's run is over), within storeTimeout; a
// failure leaves the job leased until the next start. The runner settles
// notices itself, action jobs only when the engine cannot (unknown kind,
// case gone).
func (r *Runner) settle(ctx context.Context, log *slog.Logger, jobID string, change func(context.Context) error) error {
	sctx, cancel := context.WithTimeout(offboard.WithJobResult(context.WithoutCancel(ctx), jobID), storeTimeout)
	defer cancel()
	err := change(sctx)
	switch {
	case err == nil:
	case claimLost(err):
		log.Warn("result not recorded: this replica lost the job's claim (its lease ended); the replica holding the job runs it again", "err", err)
		r.auditClaimLost(jobID, err)
	default:
		log.Error("updating the job failed; it stays leased until the next start", "err", err)
	}
	return err
}

// claimLost reports whether the store refused a result because this
// replica no longer holds the job.
func claimLost(err error) bool {
	_, ok := errors.AsType[*offboard.ClaimLostError](err)
	return ok
}

// auditClaimLost records a notice's refused result in the audit chain.
func (r *Runner) auditClaimLost(jobID string, err error) {
	if r.audit == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if aerr := r.audit.Append(ctx, offboard.AuditEvent{Time: r.clock.Now(), Actor: runnerActor,
		Action: "job.claim_lost", Target: jobID, Outcome: offboard.OutcomeRefused, Detail: offboard.ErrorMessage(err)}); aerr != nil {
		r.log.Error("audit of a refused job result failed", "job", jobID, "err", aerr)
	}
}

// settleLater makes a notice's settle in the background, and the chat
// worker goes on to the next notice: during a layoff most notices are a
// quick count or a deferral, and a worker waiting for each one's commit
// counted a few dozen cases a second; settles made side by side share
// the store's group commits. The job stays leased until its settle is
// written, so no one runs it again meanwhile; Run waits for them all.
func (r *Runner) settleLater(ctx context.Context, log *slog.Logger, jobID string, change func(context.Context) error) {
	r.settleSlots <- struct{}{}
	r.settling.Add(1)
	go func() {
		defer func() { <-r.settleSlots; r.settling.Done() }()
		_ = r.settle(ctx, log, jobID, change)
	}()
}

// deadLetter moves a job the engine cannot take to the dead letters.
func (r *Runner) deadLetter(ctx context.Context, log *slog.Logger, j *offboard.Job, f offboard.JobFailure) {
	_ = r.settle(ctx, log, j.ID, func(ctx context.Context) error {
		return r.jobs.DeadLetterJob(ctx, j.ID, f, r.clock.Now())
	})
}

// clean is the text of an error as it may be stored and shown: the
// configured secrets removed, and at most maxErrorText long.
func (r *Runner) clean(msg string) string {
	return truncate(r.redactor.String(msg), maxErrorText)
}

// maxErrorText bounds an error kept on a job or a task, in runes: an
// upstream error page is no message for people.
const maxErrorText = 1000

// safeMessage is the error text recorded for people: the message of an
// *offboard.Error, or the text of any other error. It may hold what an
// upstream service echoed; clean removes the secrets.
func safeMessage(err error) string {
	if _, ok := errors.AsType[*offboard.Error](err); ok {
		return offboard.ErrorMessage(err)
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
