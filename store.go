package offboard

import (
	"context"
	"time"
)

// Store persists cases and runs the engine's decisions atomically. The
// engine does all its reading and writing for one command inside one
// Update, so state, audit events and jobs commit together or not at all.
// Never make a network call inside Update.
type Store interface {
	// Update runs fn in one read-write transaction; an error rolls back.
	// fn may run more than once (concurrent commands share one commit, and
	// a failed member of a group runs again alone), so it must keep no
	// state outside itself between runs.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the unit of work the engine sees. Methods return *Error with
// ENOTFOUND for missing records. Returned values are copies the caller
// may keep and change.
type Tx interface {
	// NextCaseID allocates the next case id.
	NextCaseID() (CaseID, error)
	// LastCaseNumber is the number of the newest case id handed out (0
	// when none): ids count up in the order cases are opened.
	LastCaseNumber() (uint64, error)
	Case(id CaseID) (*Case, error)
	// PutCase writes a case and keeps the email and status indexes.
	PutCase(c *Case) error
	// CaseIDsByEmail returns the cases of an employee email, oldest first.
	CaseIDsByEmail(email string) ([]CaseID, error)
	// CaseIDsByStatus returns the cases with a status, oldest first.
	CaseIDsByStatus(st CaseStatus) ([]CaseID, error)

	// Tasks returns a case's tasks in playbook order.
	Tasks(id CaseID) ([]*Task, error)
	Task(id CaseID, key string) (*Task, error)
	// PutTask writes a task and keeps the due index: tasks with RunAt
	// whose status is pending, scheduled or waiting_approval.
	PutTask(t *Task) error
	// DueTasks returns (case, key) of tasks whose RunAt <= now.
	DueTasks(now time.Time, limit int) ([]TaskRef, error)

	// Wake is when Tick must next look at a case (zero: never): the
	// earliest reminder, escalation, overdue notice or write-off it can
	// owe. The engine sets it in the transaction of every change.
	Wake(id CaseID) (time.Time, error)
	// SetWake records it; zero clears it, and the time already stored
	// is no write.
	SetWake(id CaseID, at time.Time) error
	// DueWakes returns cases whose wake time <= now, earliest first.
	DueWakes(now time.Time, limit int) ([]CaseID, error)
	// WakePolicy is the engine's fingerprint of the rules the stored
	// wake times follow ("" in a file from before them).
	WakePolicy() (string, error)
	SetWakePolicy(p string) error

	Approvals(id CaseID) ([]*Approval, error)
	Approval(id string) (*Approval, error)
	// NextApprovalID allocates an approval id for a case ("OFF-0042-A1").
	NextApprovalID(c CaseID) (string, error)
	PutApproval(a *Approval) error

	// AppendAudit fills Seq, PrevHash and Hash and appends the event.
	AppendAudit(e *AuditEvent) error

	Job(id string) (*Job, error)
	// PutJob writes a job and keeps the ready queue (priority, then
	// NotBefore) for jobs that are not leased. A notice job without an id
	// is given one.
	PutJob(j *Job) error
	DeleteJob(id string) error
	// DeadLetter removes a job from the queue and keeps it for people.
	DeadLetter(j *Job) error
	// ReadyJobs returns up to limit unleased jobs with NotBefore <= now,
	// most urgent first, leaving out those skip rejects.
	ReadyJobs(now time.Time, limit int, skip func(*Job) bool) ([]*Job, error)
	// JobsForCase returns a case's queued and leased jobs.
	JobsForCase(id CaseID) ([]*Job, error)

	// Dedupe returns the case recorded under key (a source event id).
	Dedupe(key string) (CaseID, bool, error)
	PutDedupe(key string, id CaseID, at time.Time) error

	// PersonalKeyed reports whether a case's audit events tokenise its
	// personal data (cases opened before that have it in plaintext in the
	// chain, which erasure cannot take out without breaking it).
	PersonalKeyed(id CaseID) (bool, error)
	// ErasePersonal deletes a case's key and personal plaintext, rewrites
	// its records and drops its indexes (see store/erase.go).
	ErasePersonal(id CaseID, at time.Time) (Erasure, error)
}

// TaskRef names a task.
type TaskRef struct {
	CaseID CaseID
	Key    string
}

// Notifier delivers notices to chat platforms.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Clock tells the time; tests control it.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// WallClock returns the real clock.
func WallClock() Clock { return ClockFunc(time.Now) }

// RevokedIndex is a Tx whose store keeps cases ordered by RevokedAt, so
// a report of the last day's revocations reads that day's cases instead
// of every closed case. It is optional: a store without it is walked.
type RevokedIndex interface {
	// CaseIDsRevokedBetween returns the cases whose RevokedAt is in
	// [from, to], earliest first. ready is false while the index does
	// not yet cover every case (a file written before it).
	CaseIDsRevokedBetween(from, to time.Time) (ids []CaseID, ready bool, err error)
}

// ClosedCaseIDs returns every completed and cancelled case: what a
// report falls back to reading when the store keeps no ready time index.
func ClosedCaseIDs(tx Tx) ([]CaseID, error) {
	var ids []CaseID
	for _, st := range []CaseStatus{CaseCompleted, CaseCancelled} {
		some, err := tx.CaseIDsByStatus(st)
		if err != nil {
			return nil, err
		}
		ids = append(ids, some...)
	}
	return ids, nil
}

// TimeIndexBuilder is a Store that builds its indexes of cases by time
// (RevokedIndex among them) for a file written before them, once. It
// returns the cases read and whether it built anything (false: the
// indexes were complete).
type TimeIndexBuilder interface {
	BuildTimeIndexes(ctx context.Context) (cases int, built bool, err error)
}
