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
func (e *Engine) CasesOpened(ctx context.Context, actor offboard.Actor, from, to time.Time) ([]*offboard.Case, error) {
	actor = e.resolveActor(actor)
	var out []*offboard.Case
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		return newestCases(tx, actor, "", from, func(c *offboard.Case) (bool, error) {
			if c.CreatedAt.Before(to) {
				out = append(out, c)
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Numbers follow opening order only to the clock's precision; the
	// promise is by time.
	slices.SortStableFunc(out, func(a, b *offboard.Case) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
