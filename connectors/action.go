package connectors

import (
	"context"
	"errors"
	"time"

	"github.com/offboard-dev/offboard"
)

// Request is one run of an action for one task of one case.
type Request struct {
	// JobID is the outbox job's stable id ("OFF-0042/<system>_suspend#1"). It
	// is the same on every attempt, so a connector may use it as an
	// idempotency key with the outside API.
	JobID   string
	CaseID  offboard.CaseID
	TaskKey string
	// Action is the action id ("<system>.suspend").
	Action string
	// Params are the task's parameters from the playbook, placeholders
	// filled in. They are never logged.
	Params map[string]string
	// Target is the employee the action is for: email, name and the user
	// ids found by earlier actions of the case ("okta" → "00u1…"). An id
	// saves a lookup; a connector whose id is stale (404) looks the person
	// up by email instead.
	Target offboard.Target
	// Attempt counts runs of this job, starting at 1; a run that checks
	// on an action in progress (Result.InProgress) is not a new attempt.
	Attempt int
}

// Result is what a successful action did.
type Result struct {
	// Verified is true when the connector read the target back and it
	// agrees with the wanted state. False makes the task "unverified",
	// which escalates to a person.
	Verified bool
	// AlreadyDone says the target was already in the wanted state.
	AlreadyDone bool
	// Summary says in one line what happened, for people.
	Summary string
	// Evidence is what the read-back showed ("status": "SUSPENDED"),
	// recorded in the audit trail. No secrets.
	Evidence map[string]string
	// UserID is the employee's id in the action's system when the
	// connector found them by the Target (not when a task parameter named
	// another user). The engine records it on the case, so the case's
	// later actions carry it.
	UserID string
	// InProgress says the action started something the outside system
	// finishes later (a Drive transfer that takes hours): not done yet,
	// not failed. The task stays running with Summary shown as its
	// progress, and the runner runs the same job again after CheckAfter
	// (zero: offboard.DefaultCheckAfter; at most offboard.MaxCheckAfter)
	// without counting an attempt. The next run must find what the first
	// one started rather than start it twice, and answer done, in
	// progress again, or an error. Verified and AlreadyDone are ignored
	// while InProgress is set.
	InProgress bool
	CheckAfter time.Duration
	// Secrets are values only the people who run the task may see (a lock
	// PIN), by name; never in Evidence, Summary, logs or the audit chain.
	// offboard.Secrets prints names only (fmt, slog, JSON), so a Result
	// that reaches a log by mistake carries no value.
	Secrets offboard.Secrets
}

// Action performs one effect on an outside system. See the package
// documentation for the error contract.
type Action interface {
	Run(ctx context.Context, req Request) (Result, error)
}

// ActionFunc adapts a function to Action.
type ActionFunc func(ctx context.Context, req Request) (Result, error)

// Run returns f(ctx, req).
func (f ActionFunc) Run(ctx context.Context, req Request) (Result, error) { return f(ctx, req) }

// Retryable reports whether running the action again may help: rate
// limits, *offboard.Error with code EUNAVAILABLE (or EINTERNAL, or a code
// it does not know), and every error that is not an *offboard.Error
// (network errors, 5xx, timeouts). An *offboard.Error with code EINVALID,
// ENOTFOUND, EFORBIDDEN or ECONFLICT is permanent. nil is not retryable.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return true
	}
	return !offboard.Permanent(err)
}
