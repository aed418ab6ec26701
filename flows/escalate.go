package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Defaults of EscalationPolicy: fallbacks for a zero option (library
// use, tests); serve passes config's values, and a test in cmd/offboard
// keeps the two equal.
const (
	DefaultRemindAfter   = 24 * time.Hour
	DefaultEscalateAfter = 48 * time.Hour
	DefaultMaxLevel      = 3
)

// EscalationPolicy says when Tick nudges people about pending approvals
// and overdue tasks. Every decision is derived from stored fields and the
// tick's now, never from timers, so a repeated Tick sends nothing twice
// and a Tick after a long downtime sends one nudge, not one per missed
// tick.
type EscalationPolicy struct {
	// RemindAfter is how long an approval waits before its approver is
	// reminded once, and how long an overdue task waits after its first
	// notice before the department lead is told. Zero (or negative)
	// disables both; DefaultRemindAfter is the usual setting.
	RemindAfter time.Duration
	// EscalateAfter is how long an approval waits (since it was asked, then
	// since its last escalation) before the next level; zero means
	// DefaultEscalateAfter, negative disables escalation.
	EscalateAfter time.Duration
	// EscalateTo are who decides when the approver's manager is not
	// known (or already involved).
	EscalateTo []string
	// MaxLevel is the highest escalation level (default DefaultMaxLevel);
	// an approval still pending an EscalateAfter later is reported to HR
	// as stuck, once.
	MaxLevel int
	// ManagerOf returns a person's manager by email; nil or "" falls back
	// to EscalateTo.
	ManagerOf func(email string) string
	// BusinessHours says whether people may be nudged at t; email is who
	// would be told ("" for a room). Reminders, escalations and overdue
	// notices wait while it returns false and go out on the first tick
	// inside hours. Nil means always. Revocations never wait: they are
	// not nudges.
	BusinessHours func(t time.Time, email string) bool
}

func (p EscalationPolicy) withDefaults() EscalationPolicy {
	if p.EscalateAfter == 0 {
		p.EscalateAfter = DefaultEscalateAfter
	}
	if p.MaxLevel <= 0 {
		p.MaxLevel = DefaultMaxLevel
	}
	p.EscalateTo = slices.Clone(p.EscalateTo)
	return p
}

// lead returns the email of a department's lead (Options.Departments),
// told about tasks that stay overdue; "" tells the department's room.
func (d *decision) lead(dept offboard.Department) string {
	return normEmail(d.e.depts.Lead(dept))
}

// inHours reports whether nudges may go out at now.
func (p EscalationPolicy) inHours(now time.Time, email string) bool {
	return p.BusinessHours == nil || p.BusinessHours(now, email)
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// nudge reminds, escalates and reports overdue tasks on the cases whose
// wake time has come (wakeCases): the wake index, not a walk of every
// open case, finds them.
func (d *decision) nudge(ids []offboard.CaseID) error {
	for _, id := range ids {
		cs, err := d.tx.Case(id)
		if err != nil {
			return err
		}
		if cs.Status.Closed() {
			continue
		}
		tasks, err := d.tx.Tasks(id)
		if err != nil {
			return err
		}
		byKey := make(map[string]*offboard.Task, len(tasks))
		for _, t := range tasks {
			byKey[t.Key] = t
		}
		apps, err := d.tx.Approvals(id)
		if err != nil {
			return err
		}
		for _, a := range apps {
			if a.Status != offboard.ApprovalPending {
				continue // a decided or void approval is never nudged
			}
			if err := d.nudgeApproval(cs, a, byKey[a.TaskKey]); err != nil {
				return err
			}
		}
		for _, t := range tasks {
			if err := d.nudgeTask(cs, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// nudgeApproval sends at most one reminder and one escalation (or the
// one "stuck" page) for a pending approval.
func (d *decision) nudgeApproval(cs *offboard.Case, a *offboard.Approval, t *offboard.Task) error {
	p := d.e.escalation
	if !p.inHours(d.now, a.Approver) {
		return nil
	}
	var dept offboard.Department
	if t != nil {
		dept = t.Department
	}
	now := d.now
	changed := false

	// One reminder, at level 0, RemindAfter after it was asked.
	if p.RemindAfter > 0 && a.EscalationLevel == 0 && a.Reminders == 0 && now.Sub(a.CreatedAt) >= p.RemindAfter {
		a.Reminders++
		a.LastNudgeAt = &now
		changed = true
		age := offboard.Waited(now.Sub(a.CreatedAt))
		if err := d.audit(cs.ID, "approval.reminded", a.ID, offboard.OutcomeOK,
			fmt.Sprintf("reminded %s after %s", offboard.ApproverOrNobody(a.Approver), age), nil); err != nil {
			return err
		}
		n := offboard.Notice{Kind: offboard.NoticeApprovalReminder, CaseID: cs.ID, TaskKey: a.TaskKey, ApprovalID: a.ID,
			Department: dept, Text: fmt.Sprintf("Reminder: %s (waiting %s)", a.Question, age)}
		if a.Approver != "" {
			n.To = []string{a.Approver}
		}
		if err := d.notify(n); err != nil {
			return err
		}
	}

	// Escalation: EscalateAfter since it was asked (level 0) or since the
	// last escalation, which is the last time LastNudgeAt was set above
	// level 0 (reminders only happen at level 0).
	since := a.CreatedAt
	if a.EscalationLevel > 0 && a.LastNudgeAt != nil {
		since = *a.LastNudgeAt
	}
	if p.EscalateAfter > 0 && now.Sub(since) >= p.EscalateAfter {
		switch {
		case a.EscalationLevel < p.MaxLevel:
			if err := d.escalateApproval(cs, a, dept); err != nil {
				return err
			}
			changed = true
		case !a.Paged:
			a.Paged = true
			changed = true
			age := offboard.Waited(now.Sub(a.CreatedAt))
			if err := d.audit(cs.ID, "approval.stuck", a.ID, offboard.OutcomeOK,
				fmt.Sprintf("still pending at escalation level %d after %s; HR told", a.EscalationLevel, age), nil); err != nil {
				return err
			}
			n := offboard.Notice{Kind: offboard.NoticeApprovalStuck, CaseID: cs.ID, TaskKey: a.TaskKey, ApprovalID: a.ID,
				Department: offboard.DeptHR, Text: fmt.Sprintf("HR: approval %s has waited %s; nobody decided", a.ID, age)}
			if l := d.lead(offboard.DeptHR); l != "" {
				n.To = []string{l}
			}
			if err := d.notify(n); err != nil {
				return err
			}
		}
	}
	if !changed {
		return nil
	}
	return d.putApproval(a)
}

// escalateApproval raises the level by one and adds the next decider: the
// manager of the last person asked, or else the configured EscalateTo.
func (d *decision) escalateApproval(cs *offboard.Case, a *offboard.Approval, dept offboard.Department) error {
	p := d.e.escalation
	now := d.now
	involved := func(e string) bool {
		if e == "" || e == normEmail(a.Approver) || e == normEmail(cs.Employee.Email) || e == normEmail(a.RequestedBy) {
			return true
		}
		return slices.ContainsFunc(a.EscalatedTo, func(x string) bool { return normEmail(x) == e })
	}
	pick := func(cands []string) []string {
		var out []string
		for _, c := range cands {
			c = normEmail(c)
			if !involved(c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		return out
	}
	from := a.Approver
	if n := len(a.EscalatedTo); n > 0 {
		from = a.EscalatedTo[n-1]
	}
	var added []string
	if p.ManagerOf != nil && from != "" {
		added = pick([]string{p.ManagerOf(from)})
	}
	if len(added) == 0 {
		added = pick(p.EscalateTo)
	}
	a.EscalationLevel++
	a.LastNudgeAt = &now
	a.EscalatedTo = append(a.EscalatedTo, added...)
	age := offboard.Waited(now.Sub(a.CreatedAt))
	level := strconv.Itoa(a.EscalationLevel)
	n := offboard.Notice{Kind: offboard.NoticeApprovalEscalated, CaseID: cs.ID, TaskKey: a.TaskKey, ApprovalID: a.ID,
		Department: dept}
	var detail string
	if len(added) > 0 {
		who := strings.Join(added, ", ")
		detail = fmt.Sprintf("level %s: escalated to %s after %s", level, who, age)
		n.To = added
		n.Text = fmt.Sprintf("Escalated to %s: %s", who, a.Question)
	} else {
		// Nobody new to ask: tell everyone who can already decide again.
		var everyone []string
		if a.Approver != "" {
			everyone = append(everyone, a.Approver)
		}
		everyone = append(everyone, a.EscalatedTo...)
		detail = fmt.Sprintf("level %s after %s: nobody new to escalate to; still waiting on %s", level, age, offboard.ApproverOrNobody(strings.Join(everyone, ", ")))
		n.To = everyone
		n.Text = fmt.Sprintf("Escalated (level %s, waiting %s): %s", level, age, a.Question)
	}
	if err := d.audit(cs.ID, "approval.escalated", a.ID, offboard.OutcomeOK, detail,
		map[string]string{"level": level, "escalated_to": strings.Join(added, ",")}); err != nil {
		return err
	}
	return d.notify(n)
}

// nudgeTask tells people once when a task is overdue, and its department
// lead once more RemindAfter later.
func (d *decision) nudgeTask(cs *offboard.Case, t *offboard.Task) error {
	if t.Status.Settled() || t.Status == offboard.TaskRunning || t.Due == nil || t.Due.After(d.now) {
		return nil
	}
	p := d.e.escalation
	if !p.inHours(d.now, t.Assignee) {
		return nil
	}
	now := d.now
	late := offboard.Waited(now.Sub(*t.Due))
	n := offboard.Notice{Kind: offboard.NoticeTaskOverdue, CaseID: cs.ID, TaskKey: t.Key, Department: t.Department}
	var detail string
	switch {
	case t.Nudges == 0:
		if t.Assignee != "" {
			n.To = []string{t.Assignee}
		}
		n.Text = fmt.Sprintf("Overdue: %q for %s was due %s ago", t.Title, cs.Employee.DisplayName(), late)
		detail = fmt.Sprintf("overdue by %s; told %s", late, whoOrRoom(t.Assignee, t.Department))
	case t.Nudges == 1 && p.RemindAfter > 0 && t.LastNudgeAt != nil && now.Sub(*t.LastNudgeAt) >= p.RemindAfter:
		lead := d.lead(t.Department)
		if lead != "" {
			n.To = []string{lead}
		}
		n.Text = fmt.Sprintf("Still overdue: %q for %s was due %s ago; %s lead, please step in", t.Title, cs.Employee.DisplayName(), late, t.Department)
		detail = fmt.Sprintf("still overdue by %s; told %s", late, whoOrRoom(lead, t.Department))
	default:
		return nil
	}
	t.Nudges++
	t.LastNudgeAt = &now
	// Bookkeeping only: the card does not change, so no tasks_updated;
	// but the case's wake time moves on.
	d.mark(cs.ID)
	if err := d.tx.PutTask(t); err != nil {
		return err
	}
	if err := d.audit(cs.ID, "task.overdue", t.Key, offboard.OutcomeOK, detail, nil); err != nil {
		return err
	}
	return d.notify(n)
}

func whoOrRoom(email string, dept offboard.Department) string {
	if email != "" {
		return email
	}
	return "the " + string(dept) + " room"
}
