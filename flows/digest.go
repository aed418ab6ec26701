package flows

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/offboard-dev/offboard"
)

// DigestWindow is how far back the digest reports finished revocations.
const DigestWindow = 24 * time.Hour

// Digest builds the digest at now from the stored state. Open cases are
// read in full; of the completed and cancelled cases only those revoked
// in the last day are read, found through the store's revocation index
// (offboard.RevokedIndex). A store without one, or a file from before it
// whose index could not be built, has every closed case read instead.
func (e *Engine) Digest(ctx context.Context, now time.Time) (offboard.Digest, error) {
	e.prepareRevoked(ctx)
	d := offboard.Digest{At: now, Overdue: map[offboard.Department][]offboard.DigestTask{}, Departments: e.depts}
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		open, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil {
			return err
		}
		for _, id := range open {
			v, err := loadView(tx, id)
			if err != nil {
				return err
			}
			addToDigest(&d, v, now)
		}
		closed, err := closedRevokedSince(tx, now.Add(-DigestWindow), now)
		if err != nil {
			return err
		}
		for _, id := range closed {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if !c.Status.Closed() || !revokedWithin(c, now) {
				continue
			}
			v, err := viewOf(tx, c)
			if err != nil {
				return err
			}
			addToDigest(&d, v, now)
		}
		return nil
	})
	if err != nil {
		return offboard.Digest{}, err
	}
	for dept, ts := range d.Overdue {
		slices.SortStableFunc(ts, func(a, b offboard.DigestTask) int { return cmp.Compare(b.Overdue, a.Overdue) })
		d.Overdue[dept] = ts
	}
	slices.SortStableFunc(d.Waiting, func(a, b offboard.DigestApproval) int { return cmp.Compare(b.Waiting, a.Waiting) })
	return d, nil
}

// closedRevokedSince returns the cases to read for revocations in [from,
// to]: those the revocation index holds for the period, or every closed
// case when the store has no ready index. The caller checks each case.
func closedRevokedSince(tx offboard.Tx, from, to time.Time) ([]offboard.CaseID, error) {
	if ri, ok := tx.(offboard.RevokedIndex); ok {
		ids, ready, err := ri.CaseIDsRevokedBetween(from, to)
		if err != nil || ready {
			return ids, err
		}
	}
	return offboard.ClosedCaseIDs(tx)
}

// prepareRevoked builds the store's time indexes once, for a file
// written before them (a full read of the cases, logged), so later digests
// read only the period's cases. A failure is logged and the digest walks
// the cases as before; the next call tries again.
func (e *Engine) prepareRevoked(ctx context.Context) {
	b, ok := e.store.(offboard.TimeIndexBuilder)
	if !ok || e.revokedReady.Load() {
		return
	}
	e.revokedMu.Lock()
	defer e.revokedMu.Unlock()
	if e.revokedReady.Load() {
		return
	}
	began := time.Now()
	n, built, err := b.BuildTimeIndexes(ctx)
	if err != nil {
		e.log.Warn("revocation index not built; the digest reads every closed case", "err", err)
		return
	}
	if built {
		e.log.Info("revocation and closing indexes built for a store written before them (once)", "cases", n,
			"took", time.Since(began).Round(time.Millisecond))
	}
	e.revokedReady.Store(true)
}

func revokedWithin(c *offboard.Case, now time.Time) bool {
	return c.RevokedAt != nil && !c.RevokedAt.After(now) && now.Sub(*c.RevokedAt) < DigestWindow
}

// addToDigest puts one case's part into the digest.
func addToDigest(d *offboard.Digest, v *offboard.CaseView, now time.Time) {
	c := v.Case
	dc := offboard.DigestCase{ID: c.ID, Name: c.Employee.DisplayName(), Confidential: c.Confidential, Kind: c.Kind, LastDay: c.LastDay}
	if c.Confidential {
		dc.Name = "confidential case"
	}
	dc.Settled, dc.Total = v.Progress()
	deptOf := map[string]offboard.Department{}
	for _, t := range v.Tasks {
		deptOf[t.Key] = t.Department
		if !slices.Contains(dc.Departments, t.Department) {
			dc.Departments = append(dc.Departments, t.Department)
		}
	}
	if ttr, ok := c.TimeToRevocation(); ok {
		at := *c.RevokedAt
		dc.RevokedAt, dc.TimeToRevocation = &at, ttr
	}
	if revokedWithin(c, now) {
		d.Revoked = append(d.Revoked, dc)
	}
	if c.Status.Closed() {
		return
	}
	d.Open = append(d.Open, dc)
	for _, t := range v.Tasks {
		// The same rule as the overdue nudge.
		if t.Status.Settled() || t.Status == offboard.TaskRunning || t.Due == nil || t.Due.After(now) {
			continue
		}
		d.Overdue[t.Department] = append(d.Overdue[t.Department], offboard.DigestTask{CaseID: c.ID, Key: t.Key, Title: t.Title,
			Department: t.Department, Due: *t.Due, Overdue: now.Sub(*t.Due)})
	}
	for _, a := range v.Approvals {
		if a.Status != offboard.ApprovalPending {
			continue
		}
		d.Waiting = append(d.Waiting, offboard.DigestApproval{ID: a.ID, CaseID: c.ID, TaskKey: a.TaskKey, Department: deptOf[a.TaskKey],
			Approver: a.Deciders(), EscalatedTo: slices.Clone(a.EscalatedTo), Since: a.CreatedAt, Waiting: now.Sub(a.CreatedAt)})
	}
}
