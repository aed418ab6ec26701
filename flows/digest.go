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
// read in full; completed and cancelled cases are read only to find the
// revocations of the last day.
//
// It walks every closed case for the revocations, which is fine for the
// hundreds of cases a company has; an index by RevokedAt would make it
// O(recent).
func (e *Engine) Digest(ctx context.Context, now time.Time) (offboard.Digest, error) {
	d := offboard.Digest{At: now, Overdue: map[offboard.Department][]offboard.DigestTask{}, Departments: e.depts}
	err := e.store.View(ctx, func(tx offboard.Tx) error {
		for _, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
			ids, err := tx.CaseIDsByStatus(st)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if st != offboard.CaseOpen {
					c, err := tx.Case(id)
					if err != nil {
						return err
					}
					if !revokedWithin(c, now) {
						continue
					}
				}
				v, err := loadView(tx, id)
				if err != nil {
					return err
				}
				addToDigest(&d, v, now)
			}
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
