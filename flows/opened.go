package flows

import (
	"context"
	"slices"
	"time"

	"github.com/offboard-dev/offboard"
)

// CasesOpened returns the cases the actor may see that were opened in
// [from, to), newest first, as case records without tasks or approvals:
// what period figures (counts, completion, time to revocation) need.
//
// It reads only recent records: case ids are allocated in the order cases
// are opened, so each status is walked from the newest id down and the
// walk stops at the first case opened before from. With 100,000 historical
// cases a month's figures read a month's cases, not the history.
func (e *Engine) CasesOpened(ctx context.Context, actor offboard.Actor, from, to time.Time) ([]*offboard.Case, error) {
	actor = e.resolveActor(actor)
	var out []*offboard.Case
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		for _, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
			ids, err := tx.CaseIDsByStatus(st)
			if err != nil {
				return err
			}
			for i := len(ids) - 1; i >= 0; i-- {
				c, err := tx.Case(ids[i])
				if err != nil {
					return err
				}
				if c.CreatedAt.Before(from) {
					break
				}
				if !c.CreatedAt.Before(to) || offboard.CanViewCase(actor, c) != nil {
					continue
				}
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Three runs, each newest first: merge them by opening time.
	slices.SortStableFunc(out, func(a, b *offboard.Case) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
