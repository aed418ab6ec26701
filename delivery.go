package offboard

import (
	"context"
	"time"
)

// DeliveryLog remembers which notices a chat platform has delivered, so
// a notice the outbox retries (it retries a notice as a whole) posts its
// lines once. Markers are kept apart from the case: they are bookkeeping
// of the outbox, not state of the case, and they expire (the store drops
// them after DeliveredRetention).
type DeliveryLog interface {
	// Delivered reports whether platform delivered notice id already.
	Delivered(ctx context.Context, platform, id string) (bool, error)
	// MarkDelivered records that platform delivered notice id of a case.
	MarkDelivered(ctx context.Context, platform, id string, c CaseID, at time.Time) error
}

// DeliveredRetention is how long a delivered-notice marker is kept. A
// notice is retried for minutes to hours (the outbox gives up after its
// attempts and dead-letters it), so a month covers every retry, a
// dead letter put back by hand included.
const DeliveredRetention = 30 * 24 * time.Hour
