package flows

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// DigestWindow is how far back the digest reports finished revocations.
const DigestWindow = 24 * time.Hour

// Digest is the daily summary of what is open and what is stuck. It is a
// read-only view: building it changes nothing and records nothing.
type Digest struct {
	// At is when the digest was taken.
	At time.Time
	// Open are the open cases, oldest first.
	Open []DigestCase
	// Overdue are the overdue tasks of open cases by department, most
	// overdue first.
	Overdue map[offboard.Department][]DigestTask
	// Waiting are the pending approvals, longest waiting first.
	Waiting []DigestApproval
	// Revoked are the cases whose access went in the last DigestWindow.
	Revoked []DigestCase
}

// DigestCase is one case in the digest. Name is "confidential case" for
// a confidential case.
type DigestCase struct {
	ID           offboard.CaseID
	Name         string
	Confidential bool
	Kind         offboard.DepartureKind
	LastDay      string
	// Settled of Total tasks are done, skipped or otherwise settled.
	Settled, Total int
	// Departments have tasks on the case.
	Departments []offboard.Department
	// RevokedAt and TimeToRevocation are set once access is gone.
	RevokedAt        *time.Time
	TimeToRevocation time.Duration
}

// DigestTask is an overdue task.
type DigestTask struct {
	CaseID     offboard.CaseID
	Key        string
	Title      string
	Department offboard.Department
	Due        time.Time
	// Overdue is how long past Due it is.
	Overdue time.Duration
}

// DigestApproval is an approval nobody has decided yet.
type DigestApproval struct {
	ID         string
	CaseID     offboard.CaseID
	TaskKey    string
	Department offboard.Department
	Approver   string
	// EscalatedTo are the people escalation added, who can decide too.
	EscalatedTo []string
	Since       time.Time
	Waiting     time.Duration
}

// Digest builds the digest at now from the stored state. Open cases are
// read in full; completed and cancelled cases are read only to find the
// revocations of the last day.
//
// It walks every closed case for the revocations, which is fine for the
// hundreds of cases a company has; an index by RevokedAt would make it
// O(recent).
func (e *Engine) Digest(ctx context.Context, now time.Time) (Digest, error) {
	d := Digest{At: now, Overdue: map[offboard.Department][]DigestTask{}}
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
				d.add(v, now)
			}
		}
		return nil
	})
	if err != nil {
		return Digest{}, err
	}
	for dept, ts := range d.Overdue {
		slices.SortStableFunc(ts, func(a, b DigestTask) int { return cmp.Compare(b.Overdue, a.Overdue) })
		d.Overdue[dept] = ts
	}
	slices.SortStableFunc(d.Waiting, func(a, b DigestApproval) int { return cmp.Compare(b.Waiting, a.Waiting) })
	return d, nil
}

func revokedWithin(c *offboard.Case, now time.Time) bool {
	return c.RevokedAt != nil && !c.RevokedAt.After(now) && now.Sub(*c.RevokedAt) < DigestWindow
}

// add puts one case's part into the digest.
func (d *Digest) add(v *CaseView, now time.Time) {
	c := v.Case
	dc := DigestCase{ID: c.ID, Name: c.Employee.DisplayName(), Confidential: c.Confidential, Kind: c.Kind, LastDay: c.LastDay}
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
		d.Overdue[t.Department] = append(d.Overdue[t.Department], DigestTask{CaseID: c.ID, Key: t.Key, Title: t.Title,
			Department: t.Department, Due: *t.Due, Overdue: now.Sub(*t.Due)})
	}
	for _, a := range v.Approvals {
		if a.Status != offboard.ApprovalPending {
			continue
		}
		d.Waiting = append(d.Waiting, DigestApproval{ID: a.ID, CaseID: c.ID, TaskKey: a.TaskKey, Department: deptOf[a.TaskKey],
			Approver: a.Approver, EscalatedTo: slices.Clone(a.EscalatedTo), Since: a.CreatedAt, Waiting: now.Sub(a.CreatedAt)})
	}
}

// Empty reports whether the digest has nothing to say.
func (d Digest) Empty() bool {
	if len(d.Open) > 0 || len(d.Waiting) > 0 || len(d.Revoked) > 0 {
		return false
	}
	for _, ts := range d.Overdue {
		if len(ts) > 0 {
			return false
		}
	}
	return true
}

// ForDepartment is the part of the digest for one department: its
// overdue tasks, the approvals its tasks wait on, and the cases (open or
// revoked) it has tasks on.
func (d Digest) ForDepartment(dept offboard.Department) Digest {
	out := Digest{At: d.At, Overdue: map[offboard.Department][]DigestTask{}}
	if ts := d.Overdue[dept]; len(ts) > 0 {
		out.Overdue[dept] = slices.Clone(ts)
	}
	has := func(c DigestCase) bool { return slices.Contains(c.Departments, dept) }
	for _, c := range d.Open {
		if has(c) {
			out.Open = append(out.Open, c)
		}
	}
	for _, c := range d.Revoked {
		if has(c) {
			out.Revoked = append(out.Revoked, c)
		}
	}
	for _, a := range d.Waiting {
		if a.Department == dept {
			out.Waiting = append(out.Waiting, a)
		}
	}
	return out
}

// Text renders the digest as short plain text, times in loc.
func (d Digest) Text(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Offboarding digest, %s\n", d.At.In(loc).Format("Mon 2 Jan 15:04 MST"))
	if d.Empty() {
		b.WriteString("Nothing open, nothing waiting.\n")
		return b.String()
	}
	if len(d.Open) > 0 {
		fmt.Fprintf(&b, "\nOpen cases (%d):\n", len(d.Open))
		for _, c := range d.Open {
			last := ""
			if c.LastDay != "" {
				last = ", last day " + c.LastDay
			}
			fmt.Fprintf(&b, "• %s %s (%s%s): %d/%d tasks done\n", c.ID, c.Name, c.Kind, last, c.Settled, c.Total)
		}
	}
	var depts []offboard.Department
	for _, dept := range offboard.Departments() {
		if len(d.Overdue[dept]) > 0 {
			depts = append(depts, dept)
		}
	}
	for dept, ts := range d.Overdue { // departments not in the usual list
		if len(ts) > 0 && !slices.Contains(depts, dept) {
			depts = append(depts, dept)
		}
	}
	if len(depts) > 0 {
		b.WriteString("\nOverdue:\n")
		for _, dept := range depts {
			for _, t := range d.Overdue[dept] {
				fmt.Fprintf(&b, "• %s: %q on %s, overdue %s\n", dept, t.Title, t.CaseID, waited(t.Overdue))
			}
		}
	}
	if len(d.Waiting) > 0 {
		fmt.Fprintf(&b, "\nWaiting for approval (%d):\n", len(d.Waiting))
		for _, a := range d.Waiting {
			who := orNobody(a.Approver)
			if len(a.EscalatedTo) > 0 {
				who += ", " + strings.Join(a.EscalatedTo, ", ")
			}
			fmt.Fprintf(&b, "• %s (%s) waiting %s on %s\n", a.ID, a.TaskKey, waited(a.Waiting), who)
		}
	}
	if len(d.Revoked) > 0 {
		b.WriteString("\nAccess revoked in the last 24h:\n")
		for _, c := range d.Revoked {
			fmt.Fprintf(&b, "• %s %s: revoked %s, %s after notice\n", c.ID, c.Name,
				c.RevokedAt.In(loc).Format("Mon 15:04"), waited(c.TimeToRevocation))
		}
	}
	return b.String()
}
