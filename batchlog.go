package offboard

import (
	"context"
	"time"
)

// BatchLog keeps what a chat platform's batch summaries need across a
// restart: each department's summary (its id, so a restart redraws it
// instead of posting a second one) and the cases counted in it (so the
// count goes on from where it was). Like DeliveryLog it is bookkeeping
// of chat, kept apart from the cases, and it expires after
// DeliveredRetention.
type BatchLog interface {
	// LoadBatch returns what platform recorded of batch; an empty record
	// when nothing was.
	LoadBatch(ctx context.Context, platform, batch string) (BatchRecord, error)
	// SaveBatchSummary records department d's summary of batch.
	SaveBatchSummary(ctx context.Context, platform, batch string, d Department, id string, since time.Time) error
	// SaveBatchCase records that case c of batch is counted in the
	// summaries of depts.
	SaveBatchCase(ctx context.Context, platform, batch string, c BatchCase, at time.Time) error
}

// BatchRecord is what a platform recorded of one batch.
type BatchRecord struct {
	Since     time.Time             // when the first summary was posted; zero when none was
	Summaries map[Department]string // department → its summary's id
	Cases     []BatchCase
}

// BatchCase is one case counted in a batch's summaries. It holds no
// personal data: the id, where it is counted, and whether it is
// confidential (counted apart, never named).
type BatchCase struct {
	CaseID       CaseID       `json:"case_id"`
	Departments  []Department `json:"departments"`
	Confidential bool         `json:"confidential,omitempty"`
}
