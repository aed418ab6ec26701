package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// CaseHeader is the card at the top of a case room: who, kind, last day,
// status, progress and the case clock.
func CaseHeader(v *offboard.CaseView, now time.Time, loc *time.Location) offboard.Card {
	loc = orUTC(loc)
	c := v.Case
	settled, total := v.Progress()
	sub := c.Kind.Label() + " departure"
	if c.Confidential {
		sub += " · Confidential"
	}
	card := offboard.Card{
		Title:    fmt.Sprintf("%s · %s", c.ID, c.Employee.DisplayName()),
		Subtitle: sub,
	}
	emp := c.Employee.Email
	if c.Employee.Name != "" && c.Employee.Name != c.Employee.Email {
		emp = c.Employee.Name + " <" + c.Employee.Email + ">"
	}
	card.Fields = append(card.Fields,
		offboard.Field{Label: "Employee", Value: emp},
		offboard.Field{Label: "Kind", Value: c.Kind.Label()},
		offboard.Field{Label: "Last day", Value: formatDay(c.LastDay)},
		offboard.Field{Label: "Status", Value: c.Status.Label()},
		offboard.Field{Label: "Progress", Value: fmt.Sprintf("%d of %d tasks done or skipped", settled, total)},
		offboard.Field{Label: "Case clock", Value: caseClock(c, now, loc)},
	)
	if c.Employee.ManagerEmail != "" {
		card.Fields = append(card.Fields, offboard.Field{Label: "Manager", Value: c.Employee.ManagerEmail})
	}
	if c.Confidential {
		card.Fields = append(card.Fields, offboard.Field{Label: "Confidential", Value: "Yes: share nothing about this case outside this room"})
	}
	if c.Status == offboard.CaseCancelled && c.CancelReason != "" {
		card.Fields = append(card.Fields, offboard.Field{Label: "Cancelled because", Value: c.CancelReason})
	}
	var tones []offboard.Tone
	for _, t := range v.Tasks {
		tones = append(tones, taskTone(t, now))
	}
	switch c.Status {
	case offboard.CaseCompleted:
		card.Tone = offboard.ToneGood
	case offboard.CaseCancelled:
		card.Tone = offboard.ToneInfo
	default:
		card.Tone = worstTone(tones...)
	}
	card.Footer = fmt.Sprintf("Opened by %s via %s, %s", c.Requester, c.Source, formatTime(c.NoticeAt, now, loc))
	return card
}

// caseClock is notice → now (or → revocation once access is gone).
func caseClock(c *offboard.Case, now time.Time, loc *time.Location) string {
	if d, ok := c.TimeToRevocation(); ok {
		return fmt.Sprintf("Access revoked %s after HR's notice", offboard.Humanize(d))
	}
	s := fmt.Sprintf("%s since HR's notice", offboard.Humanize(now.Sub(c.NoticeAt)))
	if c.Status == offboard.CaseOpen && !c.RevokeAt.IsZero() {
		if c.RevokeAt.After(now) {
			s += fmt.Sprintf("; access goes in %s (%s)", offboard.Humanize(c.RevokeAt.Sub(now)), formatTime(c.RevokeAt, now, loc))
		} else {
			s += "; access revocation under way"
		}
	}
	return s
}

// TaskCards returns one card per department that has tasks, in the
// configured order (v.Departments).
func TaskCards(v *offboard.CaseView, now time.Time, loc *time.Location) []offboard.Card {
	var out []offboard.Card
	for _, d := range v.DepartmentsListed() {
		if card, ok := taskCard(v, d, now, loc); ok {
			out = append(out, card)
		}
	}
	return out
}

// DepartmentCard returns the task card of one department, if it has tasks.
func DepartmentCard(v *offboard.CaseView, d offboard.Department, now time.Time, loc *time.Location) (offboard.Card, bool) {
	return taskCard(v, d, now, loc)
}

func taskCard(v *offboard.CaseView, d offboard.Department, now time.Time, loc *time.Location) (offboard.Card, bool) {
	loc = orUTC(loc)
	var tasks []*offboard.Task
	for _, t := range v.Tasks {
		if t.Department == d {
			tasks = append(tasks, t)
		}
	}
	if len(tasks) == 0 {
		return offboard.Card{}, false
	}
	slices.SortStableFunc(tasks, func(a, b *offboard.Task) int { return a.Order - b.Order })
	settled := 0
	var tones []offboard.Tone
	card := offboard.Card{}
	titles := titlesOf(v.Tasks)
	for _, t := range tasks {
		if t.Status.Settled() {
			settled++
		}
		tones = append(tones, taskTone(t, now))
		card.Sections = append(card.Sections, taskSection(v.Case, v.Approvals, t, v.Departments, titles, len(t.Unsettled(v.Tasks)) > 0, now, loc))
	}
	if d == offboard.DeptIT {
		card.Sections = append(card.Sections, deviceSections(v.Tasks, now, loc)...)
	}
	if d == offboard.DeptFinance {
		card.Sections = append(card.Sections, writeOffSections(v)...)
	}
	if d == offboard.DeptIT && v.Case.Status == offboard.CaseOpen {
		waiting := false
		for _, t := range tasks {
			if t.IsRevocation() && (t.Status == offboard.TaskScheduled || t.Status == offboard.TaskPending) {
				waiting = true
			}
		}
		if waiting {
			card.Actions = append(card.Actions, offboard.Button{Label: "Revoke now",
				Action: offboard.ActionRef{Verb: offboard.VerbRevokeNow, CaseID: v.Case.ID}, Style: "danger",
				Confirm: fmt.Sprintf("Revoke all of %s's access now, before the last day?", v.Case.Employee.DisplayName())})
		}
	}
	card.Title = fmt.Sprintf("%s tasks · %s", v.Departments.Label(d), v.Case.Employee.DisplayName())
	card.Subtitle = fmt.Sprintf("%s · %d of %d done or skipped", v.Case.ID, settled, len(tasks))
	card.Tone = worstTone(tones...)
	if settled == len(tasks) {
		card.Tone = offboard.ToneGood
	}
	return card, true
}

func taskSection(c *offboard.Case, approvals []*offboard.Approval, t *offboard.Task, depts offboard.Departments, titles map[string]string, waits bool, now time.Time, loc *time.Location) offboard.Section {
	deptLabel := depts.Label(t.Department)
	s := offboard.Section{Heading: t.Title, Tone: taskTone(t, now)}
	var notes []string
	switch {
	case t.Status == offboard.TaskSkipped && t.SkipReason != "":
		notes = append(notes, "Skipped: "+t.SkipReason)
	case (t.Status == offboard.TaskFailed || t.Status == offboard.TaskUnverified || t.Status == offboard.TaskWaitingApproval) && t.LastError != "":
		notes = append(notes, t.LastError)
	case t.Status == offboard.TaskRunning && t.Progress != "":
		// The outside system is still at work (a transfer): say how far.
		notes = append(notes, "In progress: "+t.Progress)
	}
	if t.Note != "" {
		notes = append(notes, t.Note)
	}
	if t.Optional {
		notes = append(notes, "Optional")
	}
	s.Text = strings.Join(notes, "\n")
	status := taskStatusWords(t, titles, now, loc)
	if t.Status == offboard.TaskWaitingApproval {
		for _, a := range approvals {
			switch {
			case a.TaskKey != t.Key || a.Status != offboard.ApprovalPending:
			case a.Kind == offboard.ApproverManagerFinance:
				status += fmt.Sprintf(" from %s · %s", managerFinanceDeciders(a, depts), approvalCount(a))
			case a.Role != "":
				status += fmt.Sprintf(" from %s · %s", roleDeciders(a, depts), approvalCount(a))
			default:
				status += " from " + orDash(offboard.PersonWords(a.ApproverName, a.Approver), "an admin (no manager known)")
			}
		}
	}
	s.Fields = append(s.Fields, offboard.Field{Label: "Status", Value: status})
	s.Fields = append(s.Fields, whoField(t, deptLabel, now, loc))
	if t.Due != nil {
		s.Fields = append(s.Fields, offboard.Field{Label: "Due", Value: formatTime(*t.Due, now, loc)})
	}
	if t.Track == offboard.TrackDeviceReturn {
		s.Fields = append(s.Fields, offboard.Field{Label: "Return", Value: returnWords(t)})
	}
	if ev, details := evidenceWords(evidenceShown(t.Evidence)); ev != "" || details != "" {
		if ev != "" {
			s.Fields = append(s.Fields, offboard.Field{Label: offboard.FieldEvidence, Value: ev})
		}
		if details != "" {
			s.Fields = append(s.Fields, offboard.Field{Label: offboard.FieldDetails, Value: details})
		}
	}
	secretButton, hasSecret := revealButton(c, t, depts)
	if hasSecret {
		s.Fields = append(s.Fields, secretField(t, depts))
	}
	// A restore task is what IT still has to do on a cancelled case.
	if c.Status == offboard.CaseOpen || c.Status == offboard.CaseCancelled && t.Restore {
		s.Actions = taskButtons(c, t, waits)
		if b, ok := askAgainButton(c, t, approvals); ok {
			s.Actions = append([]offboard.Button{b}, s.Actions...)
		}
	}
	if hasSecret {
		s.Actions = append(s.Actions, secretButton)
	}
	return s
}

// AwaitsRestore reports whether a cancelled case still has access to
// give back: a restore task not yet settled, or a revocation still
// running whose success will ask for one. Its room must stay usable.
func AwaitsRestore(v *offboard.CaseView) bool {
	if v.Case.Status != offboard.CaseCancelled {
		return false
	}
	for _, t := range v.Tasks {
		if t.Restore && !t.Status.Settled() {
			return true
		}
		if !t.Restore && !t.Manual() && t.Priority == offboard.PriorityRevocation && t.Status == offboard.TaskRunning {
			return true
		}
	}
	return false
}

// taskButtons offers only what the task's state allows; the engine still
// decides who may click. waits says the task's After tasks are unsettled:
// its Run then opens the override form, which is the confirmation.
func taskButtons(c *offboard.Case, t *offboard.Task, waits bool) []offboard.Button {
	ref := func(verb string) offboard.ActionRef {
		return offboard.ActionRef{Verb: verb, CaseID: c.ID, TaskKey: t.Key}
	}
	var bs []offboard.Button
	if t.Status.Settled() || t.Status == offboard.TaskRunning {
		return nil
	}
	switch {
	case t.Status == offboard.TaskFailed || t.Status == offboard.TaskUnverified:
		bs = append(bs, offboard.Button{Label: "Retry", Action: ref(offboard.VerbRetry), Style: "primary"})
	case t.Track == offboard.TrackDeviceReturn:
		// Done comes from recording the device received and wiped, also
		// while a write-off waits: a device that turns up ends it.
		bs = append(bs, offboard.Button{Label: "Record the return…", Action: ref(offboard.VerbRecordReturn), Style: "primary"})
		if t.Assignee == "" {
			bs = append(bs, offboard.Button{Label: "Assign to me", Action: ref(offboard.VerbAssign)})
		}
	case t.Status == offboard.TaskWaitingApproval:
		// Nothing to run until the approval is decided.
	case t.Manual():
		bs = append(bs, offboard.Button{Label: "Mark done", Action: ref(offboard.VerbComplete), Style: "primary"})
		if t.Assignee == "" {
			bs = append(bs, offboard.Button{Label: "Assign to me", Action: ref(offboard.VerbAssign)})
		}
	case t.Restore:
		bs = append(bs, offboard.Button{Label: runLabel(t), Action: ref(offboard.VerbStart), Style: "primary",
			Confirm: fmt.Sprintf("Give %s their access back now? The task says what cannot come back.", c.Employee.DisplayName())})
	default:
		b := offboard.Button{Label: runLabel(t), Action: ref(offboard.VerbStart), Style: "primary"}
		if (t.Status == offboard.TaskScheduled || t.Status == offboard.TaskPending) && !waits {
			b.Confirm = fmt.Sprintf("Run “%s” for %s now, ahead of schedule?", t.Title, c.Employee.DisplayName())
		}
		bs = append(bs, b)
	}
	bs = append(bs, offboard.Button{Label: "Skip…", Action: ref(offboard.VerbSkip)})
	return bs
}

// chasedWords says how an approval was nudged: "reminded 1× · escalated
// to a@x, b@x", or "" when it never was.
func chasedWords(a *offboard.Approval) string {
	var parts []string
	if a.Reminders > 0 {
		parts = append(parts, fmt.Sprintf("reminded %d×", a.Reminders))
	}
	if a.EscalationLevel > 0 {
		if len(a.EscalatedTo) > 0 {
			parts = append(parts, "escalated to "+strings.Join(a.EscalatedTo, ", "))
		} else {
			parts = append(parts, fmt.Sprintf("escalated to level %d", a.EscalationLevel))
		}
	}
	return strings.Join(parts, " · ")
}

// ApprovalCard shows one approval with Approve / Deny while it is pending.
func ApprovalCard(v *offboard.CaseView, a *offboard.Approval) offboard.Card {
	title := a.TaskKey
	for _, t := range v.Tasks {
		if t.Key == a.TaskKey {
			title = t.Title
		}
	}
	card := offboard.Card{
		Title:    "Approval: " + title,
		Subtitle: fmt.Sprintf("%s · %s", a.CaseID, v.Case.Employee.DisplayName()),
		Fields: []offboard.Field{
			{Label: "Question", Value: a.Question},
			{Label: "Approver", Value: approverField(a)},
			{Label: "Status", Value: a.Status.Label()},
		},
	}
	switch {
	case a.Kind == offboard.ApproverManagerFinance:
		card.Fields[1].Value = managerFinanceDeciders(a, v.Departments) + ", two different people, " + notWho(a)
		card.Fields = append(card.Fields, offboard.Field{Label: "Approvals", Value: approvalCount(a) + " · waiting for " + a.Awaiting()})
	case a.Role != "":
		card.Fields[1].Value = roleDeciders(a, v.Departments) + ", neither " + a.RequestedBy + " (who asked) nor the person leaving"
		card.Fields = append(card.Fields, offboard.Field{Label: "Approvals", Value: approvalCount(a)})
	}
	if a.Status == offboard.ApprovalPending {
		card.Fields[2].Value = "Waiting for " + waitingFor(a, v.Departments)
	}
	if len(a.Params) > 0 {
		card.Fields = append(card.Fields, offboard.Field{Label: "Parameters", Value: formatMap(a.Params)})
	}
	if chased := chasedWords(a); chased != "" {
		card.Fields = append(card.Fields, offboard.Field{Label: "Chased", Value: chased})
	}
	for _, d := range a.Decisions {
		verb := "Denied"
		if d.Approve {
			verb = "Approved"
		}
		val := verb + " by " + d.By
		if d.Comment != "" {
			val += ": " + d.Comment
		}
		card.Fields = append(card.Fields, offboard.Field{Label: "Decision", Value: val})
	}
	switch a.Status {
	case offboard.ApprovalPending:
		card.Tone = offboard.ToneWarning
		if v.Case.Status == offboard.CaseOpen {
			ref := offboard.ActionRef{CaseID: a.CaseID, TaskKey: a.TaskKey, ApprovalID: a.ID}
			approve, deny := ref, ref
			approve.Verb, deny.Verb = offboard.VerbApprove, offboard.VerbDeny
			card.Actions = []offboard.Button{
				{Label: "Approve", Action: approve, Style: "primary"},
				{Label: "Deny…", Action: deny, Style: "danger"},
			}
		}
	case offboard.ApprovalApproved:
		card.Tone = offboard.ToneGood
	case offboard.ApprovalDenied:
		card.Tone = offboard.ToneDanger
	default:
		card.Tone = offboard.ToneInfo
	}
	card.Footer = fmt.Sprintf("%s · asked by %s", a.ID, a.RequestedBy)
	return card
}

// approverField names a named approver with their email: "Mona Manager
// (mona@example.com)", or the email alone when the directory has no name.
func approverField(a *offboard.Approval) string {
	switch {
	case a.Approver == "":
		return "nobody yet (an admin can decide)"
	case a.ApproverName == "":
		return a.Approver
	}
	return a.ApproverName + " (" + a.Approver + ")"
}

// waitingFor says whom a pending approval waits for: "Mona Manager",
// "2 different people of IT", "one person of Finance".
func waitingFor(a *offboard.Approval, depts offboard.Departments) string {
	switch {
	case a.Kind == offboard.ApproverManagerFinance:
		return a.Awaiting()
	case a.Role != "":
		return roleDeciders(a, depts)
	case a.Approver == "":
		return "an admin (no manager known)"
	}
	return a.ApproverWords()
}

func orDash(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// caseLine is one line about a case for lists.
func caseLine(v *offboard.CaseView) string {
	c := v.Case
	settled, total := v.Progress()
	s := fmt.Sprintf("%s · %s · %s · last day %s · %d/%d done", c.ID, c.Employee.DisplayName(), c.Kind.Label(), formatDay(c.LastDay), settled, total)
	if c.Status != offboard.CaseOpen {
		s += " · " + c.Status.Label()
	}
	return s
}

// remaining lists the unsettled tasks of a case by department.
func remaining(v *offboard.CaseView, now time.Time, loc *time.Location) string {
	var lines []string
	titles := titlesOf(v.Tasks)
	for _, d := range v.DepartmentsListed() {
		var items []string
		for _, t := range v.Tasks {
			if t.Department == d && !t.Status.Settled() {
				items = append(items, fmt.Sprintf("%s (%s)", t.Title, taskStatusWords(t, titles, now, orUTC(loc))))
			}
		}
		if len(items) > 0 {
			lines = append(lines, v.Departments.Label(d)+": "+strings.Join(items, "; "))
		}
	}
	if len(lines) == 0 {
		return "Nothing is left: every task is done or skipped."
	}
	return "Left to do:\n" + strings.Join(lines, "\n")
}

// whoField says who does or did a task: for a person's task its assignee
// (or who marked it done); for an automated one who ran it and when
// ("Run by Ian IT (IT) at 15:08 UTC"), or that offboard runs it by itself.
func whoField(t *offboard.Task, deptLabel string, now time.Time, loc *time.Location) offboard.Field {
	if !t.Manual() {
		if t.StartedBy == "" || t.StartedAt == nil {
			return offboard.Field{Label: "Run by", Value: "offboard, by itself"}
		}
		who := offboard.PersonWords(t.StartedByName, t.StartedBy)
		if t.StartedAs != "" {
			who += " (" + t.StartedAs + ")"
		}
		return offboard.Field{Label: "Run by", Value: who + " at " + atTime(*t.StartedAt, now, loc)}
	}
	assignee := t.Assignee
	if assignee == "" && t.CompletedBy != "" && !strings.HasPrefix(t.CompletedBy, string(offboard.ActorSystem)+":") {
		assignee = t.CompletedBy
	}
	if assignee == "" {
		assignee = "Nobody yet (" + deptLabel + ")"
	}
	return offboard.Field{Label: "Assignee", Value: assignee}
}
