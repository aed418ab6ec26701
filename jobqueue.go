package offboard

import (
	"context"
	"time"
)

// JobQueue is the outbox as the worker pool sees it: the few moves a job
// makes after the engine wrote it. Each method is one transaction of its
// own, so the runner never holds one open while it talks to the network.
// A job that is gone (its result already recorded) is left alone: the
// methods that change one job return nil for it.
type JobQueue interface {
	// ClaimJobs leases up to limit unleased jobs with NotBefore <= now,
	// most urgent first, leaving out those a filter rejects. newSkip (if
	// not nil) returns a fresh filter for each walk of the queue, which
	// sees the jobs in queue order and may keep state for that walk (one
	// action of a case per claim); the queue may be walked more than
	// once. An idle queue costs a read, not a write.
	ClaimJobs(ctx context.Context, now time.Time, limit int, newSkip func() func(*Job) bool) ([]*Job, error)
	// ReleaseJobs puts leased jobs back in the queue unchanged but for
	// NotBefore, which becomes notBefore when that is later. Jobs no longer
	// leased are left alone.
	ReleaseJobs(ctx context.Context, ids []string, notBefore time.Time) error
	// RetryJob puts a job back in the queue to run at notBefore, recording
	// why its run failed; a counted failure adds one to its Attempts (a
	// rate limit is no failure of the job's own).
	RetryJob(ctx context.Context, id string, f JobFailure, notBefore time.Time) error
	// DeadLetterJob moves a job to the dead letters at the given time,
	// recording why; a counted failure adds one to its Attempts.
	DeadLetterJob(ctx context.Context, id string, f JobFailure, at time.Time) error
	// SettleJob deletes a job whose effect is done.
	SettleJob(ctx context.Context, id string) error
}

// JobFailure is why a run of a job did not settle it.
type JobFailure struct {
	// Error is the text kept on the job for people: redacted and bounded
	// by the caller.
	Error string
	// Counted says the run counts as one of the job's attempts.
	Counted bool
}
