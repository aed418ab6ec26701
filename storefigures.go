package offboard

import "time"

// QueueFigures are the outbox's counts and its longest wait, for the
// operator's metrics; every store backend reports them alike.
type QueueFigures struct {
	Queued, Leased, Dead int
	// OldestDue is how long the job due longest has waited since it
	// became due (zero when none is due).
	OldestDue time.Duration
}
