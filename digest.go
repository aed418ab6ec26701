package offboard

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Digest is the daily summary of what is open and what is stuck. It is a
// read-only view: building it changes nothing and records nothing.
type Digest struct {
	// At is when the digest was taken.
	At time.Time
	// Open are the open cases, oldest first.
	Open []DigestCase
	// Overdue are the overdue tasks of open cases by department, most
	// overdue first.
	Overdue map[Department][]DigestTask
	// Waiting are the pending approvals, longest waiting first.
	Waiting []DigestApproval
	// Revoked are the cases whose access went in the last 24 hours
	// (flows.DigestWindow).
	Revoked []DigestCase
	// Departments is the configured set, in display order, that the
	// digest is split and listed by (empty: StandardDepartments).
	Departments Departments
}

// DigestCase is one case in the digest. Name is "confidential case" for
// a confidential case.
type DigestCase struct {
	ID           CaseID
	Name         string
	Confidential bool
	Kind         DepartureKind
	LastDay      string
	// Settled of Total tasks are done, skipped or otherwise settled.
	Settled, Total int
	// Departments have tasks on the case.
	Departments []Department
	// RevokedAt and TimeToRevocation are set once access is gone.
	RevokedAt        *time.Time
	TimeToRevocation time.Duration
}

// DigestTask is an overdue task.
type DigestTask struct {
	CaseID     CaseID
	Key        string
	Title      string
	Department Department
	Due        time.Time
	// Overdue is how long past Due it is.
	Overdue time.Duration
}

// DigestApproval is an approval nobody has decided yet.
type DigestApproval struct {
	ID         string
	CaseID     CaseID
	TaskKey    string
	Department Department
	// Approver says who decides (Approval.Deciders): an email, or the
	// people of a role and how many of them said yes.
	Approver string
	// EscalatedTo are the people escalation added, who can decide too.
	EscalatedTo []string
	Since       time.Time
	Waiting     time.Duration
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
func (d Digest) ForDepartment(dept Department) Digest {
	out := Digest{At: d.At, Overdue: map[Department][]DigestTask{}, Departments: d.Departments}
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

// Listed returns the departments to split the digest by: the configured
// ones in display order, then any other that has overdue tasks (sorted),
// so that a department dropped from config still shows its late work.
func (d Digest) Listed() []Department {
	out := d.Departments.Names()
	var extra []Department
	for dept, ts := range d.Overdue {
		if len(ts) > 0 && !slices.Contains(out, dept) {
			extra = append(extra, dept)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
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
	depts := d.Listed()
	if slices.ContainsFunc(depts, func(dept Department) bool { return len(d.Overdue[dept]) > 0 }) {
		b.WriteString("\nOverdue:\n")
		for _, dept := range depts {
			for _, t := range d.Overdue[dept] {
				fmt.Fprintf(&b, "• %s: %q on %s, overdue %s\n", d.Departments.Label(dept), t.Title, t.CaseID, Waited(t.Overdue))
			}
		}
	}
	if len(d.Waiting) > 0 {
		fmt.Fprintf(&b, "\nWaiting for approval (%d):\n", len(d.Waiting))
		for _, a := range d.Waiting {
			who := ApproverOrNobody(a.Approver)
			if len(a.EscalatedTo) > 0 {
				who += ", " + strings.Join(a.EscalatedTo, ", ")
			}
			fmt.Fprintf(&b, "• %s (%s) waiting %s on %s\n", a.ID, a.TaskKey, Waited(a.Waiting), who)
		}
	}
	if len(d.Revoked) > 0 {
		b.WriteString("\nAccess revoked in the last 24h:\n")
		for _, c := range d.Revoked {
			fmt.Fprintf(&b, "• %s %s: revoked %s, %s after notice\n", c.ID, c.Name,
				c.RevokedAt.In(loc).Format("Mon 15:04"), Waited(c.TimeToRevocation))
		}
	}
	return b.String()
}

// Waited renders a wait for people: "3d 4h", "26m".
func Waited(dur time.Duration) string {
	if dur < 0 {
		dur = 0
	}
	dur = dur.Round(time.Minute)
	days := int(dur / (24 * time.Hour))
	hours := int(dur % (24 * time.Hour) / time.Hour)
	mins := int(dur % time.Hour / time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dm", mins)
}

// ApproverOrNobody names an approval's approver, or says that there is
// none yet and what can be done.
func ApproverOrNobody(email string) string {
	if email == "" {
		return "nobody yet (no manager known; an admin can decide, or ask someone with new parameters)"
	}
	return email
}
