package evidence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/offboard-dev/offboard"
)

// ReconcileRuns sums the reconciliation runs recorded in the period
// ("reconcile.ran" events), so the pack tells "ran and found no one" from
// "never ran".
type ReconcileRuns struct {
	// Runs counts the recorded runs; Failed those that could not read HR.
	Runs, Failed int
	// First and Last are the first and last run in the period.
	First, Last time.Time
	// LastOutcome and LastDetail are the last run's.
	LastOutcome, LastDetail string
	// The sums of the runs' findings.
	StillActive, Opened, Flagged, Problems int
	// Systems are the "HR → identity" pairs compared, in first-seen order.
	Systems []string
}

// readReconcileRuns reads the period's reconciliation runs.
func readReconcileRuns(ctx context.Context, src Source, o Options) (ReconcileRuns, error) {
	var rr ReconcileRuns
	seen := map[string]bool{}
	num := func(e *offboard.AuditEvent, k string) int {
		n, _ := strconv.Atoi(e.Evidence[k])
		return n
	}
	err := src.AuditEvents(ctx, offboard.AuditFilter{Since: o.From, Until: o.To}, func(e *offboard.AuditEvent) error {
		if e.Action != offboard.ActionReconcileRan {
			return nil
		}
		rr.Runs++
		if rr.First.IsZero() {
			rr.First = e.Time
		}
		rr.Last, rr.LastOutcome, rr.LastDetail = e.Time, e.Outcome, o.Redactor.String(e.Detail)
		if e.Outcome == offboard.OutcomeFailed {
			rr.Failed++
		}
		rr.StillActive += num(e, "still_active")
		rr.Opened += num(e, "opened")
		rr.Flagged += num(e, "flagged")
		rr.Problems += num(e, "problems")
		if pair := e.Evidence["hr"] + " → " + e.Evidence["identity"]; !seen[pair] {
			seen[pair] = true
			rr.Systems = append(rr.Systems, pair)
		}
		return nil
	})
	if err != nil {
		return rr, fmt.Errorf("evidence: read reconciliation runs: %w", err)
	}
	return rr, nil
}
