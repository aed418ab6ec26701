package assistant

// The tools' results: rows of cases, tasks and approvals as JSON, and the
// queries behind each tool. Every read goes through the engine with the
// asker's actor.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// caseRow is a case in a list.
type caseRow struct {
	ID           offboard.CaseID `json:"id"`
	Name         string          `json:"name"`
	Email        string          `json:"email"`
	Kind         string          `json:"kind"`
	Confidential bool            `json:"confidential,omitempty"`
	Status       string          `json:"status"`
	LastDay      string          `json:"last_day,omitempty"`
	Opened       string          `json:"opened"`
	TasksDone    int             `json:"tasks_done_or_skipped"`
	TasksTotal   int             `json:"tasks_total"`
	Clock        string          `json:"clock"`
}

func (tb *toolbox) row(v *offboard.CaseView) caseRow {
	c := v.Case
	done, total := v.Progress()
	return caseRow{ID: c.ID, Name: c.Employee.DisplayName(), Email: c.Employee.Email, Kind: c.Kind.Label(),
		Confidential: c.Confidential, Status: string(c.Status), LastDay: offboard.FormatDay(c.LastDay), Opened: tb.day(c.CreatedAt),
		TasksDone: done, TasksTotal: total, Clock: clock(c, tb.now)}
}

// day and when show dates as people read them everywhere else
// (offboard.FormatDay/FormatTime), so the model's answer repeats them so:
// "Thu 31 Dec 2026", "Thu 31 Dec 18:00 CET". The tools still take
// YYYY-MM-DD (dateLayout).
func (tb *toolbox) day(t time.Time) string  { return t.In(tb.loc).Format(offboard.DayLayout) }
func (tb *toolbox) when(t time.Time) string { return offboard.FormatTime(t, tb.now, tb.loc) }

// lookup finds cases as the rule-based answerer does: refusals read as
// "none", so a tool never tells whether a hidden case exists.
func (tb *toolbox) lookup(ctx context.Context, q string) ([]*offboard.CaseView, error) {
	q = strings.TrimSpace(q)
	views, err := tb.engine.FindCases(ctx, tb.who, q)
	switch offboard.ErrorCode(err) {
	case "":
		return views, nil
	case offboard.EFORBIDDEN, offboard.ENOTFOUND, offboard.EINVALID:
		return nil, nil
	}
	return nil, err
}

// list returns the visible cases with status ("any": every status),
// newest first.
func (tb *toolbox) list(ctx context.Context, status string, limit int) ([]*offboard.CaseView, error) {
	sts := []offboard.CaseStatus{offboard.CaseStatus(status)}
	if status == "any" {
		sts = []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled}
	}
	var out []*offboard.CaseView
	for _, st := range sts {
		views, err := tb.engine.ListCases(ctx, tb.who, st, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, views...)
	}
	slices.SortStableFunc(out, func(a, b *offboard.CaseView) int { return b.Case.CreatedAt.Compare(a.Case.CreatedAt) })
	return out, nil
}

// opened returns the views of the cases opened in [from, to) with status,
// at most limit+1 of them (to tell that there are more). Only the
// period's case records are read, then the views of those shown.
func (tb *toolbox) opened(ctx context.Context, from, to time.Time, status string, limit int) ([]*offboard.CaseView, error) {
	if to.IsZero() {
		to = tb.now.Add(time.Nanosecond)
	}
	cases, err := tb.engine.CasesOpened(ctx, tb.who, from, to)
	if err != nil {
		return nil, err
	}
	var out []*offboard.CaseView
	for _, c := range cases {
		if status != "any" && string(c.Status) != status {
			continue
		}
		if len(out) > limit {
			break
		}
		views, err := tb.lookup(ctx, string(c.ID))
		if err != nil {
			return nil, err
		}
		out = append(out, views...)
	}
	return out, nil
}

type findArgs struct {
	Query      string `json:"query"`
	Status     string `json:"status"`
	OpenedFrom string `json:"opened_from"`
	OpenedTo   string `json:"opened_to"`
	Limit      int    `json:"limit"`
}

func (tb *toolbox) findCases(ctx context.Context, a findArgs) (any, error) {
	from, to, err := tb.period(a.OpenedFrom, a.OpenedTo, time.Time{})
	if err != nil {
		return nil, err
	}
	limit := a.Limit
	if limit <= 0 || limit > toolLimit {
		limit = 20
	}
	status := a.Status
	switch status {
	case "":
		status = "open"
		if a.Query != "" {
			status = "any"
		}
	case "open", "completed", "cancelled", "any":
	default:
		return nil, toolError{fmt.Sprintf("status %q is not one of open, completed, cancelled, any", a.Status)}
	}
	var views []*offboard.CaseView
	switch {
	case a.Query != "":
		views, err = tb.lookup(ctx, a.Query)
	case a.OpenedFrom != "" || a.OpenedTo != "":
		views, err = tb.opened(ctx, from, to, status, limit)
	default:
		views, err = tb.list(ctx, status, limit+1)
	}
	if err != nil {
		return nil, err
	}
	rows := []caseRow{}
	total := 0
	for _, v := range views {
		c := v.Case
		if status != "any" && string(c.Status) != status || c.CreatedAt.Before(from) || !to.IsZero() && !c.CreatedAt.Before(to) {
			continue
		}
		total++
		if len(rows) < limit {
			rows = append(rows, tb.row(v))
		}
	}
	res := map[string]any{"cases": rows, "shown": len(rows)}
	if len(rows) < total {
		res["more"] = true
	}
	if a.Query != "" && !strings.Contains(a.Query, "@") && !isCaseID(a.Query) {
		res["note"] = "a name matches open cases only; an email or a case id finds closed ones too"
	}
	if len(rows) == 0 {
		res["note"] = "no case that the asker may see matches"
	}
	return res, nil
}

// period parses an inclusive day range in company time; to is returned
// as the start of the day after. An empty from defaults to def.
func (tb *toolbox) period(fromS, toS string, def time.Time) (from, to time.Time, err error) {
	from = def
	if fromS != "" {
		if from, err = time.ParseInLocation(dateLayout, fromS, tb.loc); err != nil {
			return from, to, toolError{fmt.Sprintf("%q is not a date like 2026-11-25", fromS)}
		}
	}
	if toS != "" {
		if to, err = time.ParseInLocation(dateLayout, toS, tb.loc); err != nil {
			return from, to, toolError{fmt.Sprintf("%q is not a date like 2026-11-25", toS)}
		}
		to = to.AddDate(0, 0, 1)
		if to.Before(from) {
			return from, to, toolError{"the period ends before it starts"}
		}
	}
	return from, to, nil
}

type taskRow struct {
	Key         string            `json:"key"`
	Title       string            `json:"title"`
	Department  string            `json:"department"`
	Status      string            `json:"status"`
	Optional    bool              `json:"optional,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`
	Due         string            `json:"due,omitempty"`
	OverdueBy   string            `json:"overdue_by,omitempty"`
	WaitsFor    []string          `json:"waits_for,omitempty"`
	LastError   string            `json:"last_error,omitempty"`
	Progress    string            `json:"progress,omitempty"`
	Evidence    map[string]string `json:"evidence,omitempty"`
	SkipReason  string            `json:"skip_reason,omitempty"`
	CompletedBy string            `json:"completed_by,omitempty"`
	CompletedAt string            `json:"completed_at,omitempty"`
}

type approvalRow struct {
	ID          string          `json:"id"`
	CaseID      offboard.CaseID `json:"case_id,omitempty"`
	Name        string          `json:"name,omitempty"`
	Task        string          `json:"task"`
	Department  string          `json:"department,omitempty"`
	Question    string          `json:"question,omitempty"`
	Approver    string          `json:"approver"`
	EscalatedTo []string        `json:"escalated_to,omitempty"`
	Status      string          `json:"status"`
	Since       string          `json:"since"`
	Waiting     string          `json:"waiting,omitempty"`
	Decisions   []string        `json:"decisions,omitempty"`
}

func (tb *toolbox) task(t *offboard.Task) taskRow {
	r := taskRow{Key: t.Key, Title: t.Title, Department: tb.depts.Label(t.Department), Status: string(t.Status),
		Optional: t.Optional, Assignee: t.Assignee, LastError: t.LastError, Progress: t.Progress, Evidence: t.Evidence,
		SkipReason: t.SkipReason, CompletedBy: t.CompletedBy}
	if t.Due != nil {
		r.Due = tb.when(*t.Due)
	}
	if isOverdue(t, tb.now) {
		r.OverdueBy = offboard.Humanize(tb.now.Sub(*t.Due))
	}
	if t.Status == offboard.TaskPending {
		r.WaitsFor = t.After
	}
	if t.CompletedAt != nil {
		r.CompletedAt = tb.when(*t.CompletedAt)
	}
	return r
}

func (tb *toolbox) approval(v *offboard.CaseView, a *offboard.Approval) approvalRow {
	r := approvalRow{ID: a.ID, Task: a.TaskKey, Question: a.Question, Approver: orNobody(a.Deciders()),
		EscalatedTo: a.EscalatedTo, Status: string(a.Status), Since: tb.when(a.CreatedAt)}
	for _, t := range v.Tasks {
		if t.Key == a.TaskKey {
			r.Task, r.Department = t.Title, tb.depts.Label(t.Department)
		}
	}
	if a.Status == offboard.ApprovalPending {
		r.Waiting = offboard.Humanize(tb.now.Sub(a.CreatedAt))
	}
	for _, d := range a.Decisions {
		verb := "denied"
		if d.Approve {
			verb = "approved"
		}
		r.Decisions = append(r.Decisions, fmt.Sprintf("%s %s at %s", d.By, verb, tb.when(d.At)))
	}
	return r
}

func (tb *toolbox) caseStatus(ctx context.Context, q string) (any, error) {
	if strings.TrimSpace(q) == "" {
		return nil, toolError{"say which case: a case id, an email or a name"}
	}
	views, err := tb.lookup(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(views) == 0 && !isCaseID(q) && !strings.Contains(q, "@") && strings.HasSuffix(q, "s") && len(q) > 3 {
		// "janes": a possessive typed without the apostrophe.
		if views, err = tb.lookup(ctx, strings.TrimSuffix(q, "s")); err != nil {
			return nil, err
		}
	}
	if len(views) == 0 {
		return map[string]any{"case": nil, "note": "no case that the asker may see matches " + fmt.Sprintf("%q", q)}, nil
	}
	people := map[string]bool{}
	for _, v := range views {
		people[strings.ToLower(v.Case.Employee.Email)] = true
	}
	if len(people) > 1 {
		rows := make([]caseRow, 0, len(views))
		for _, v := range views {
			rows = append(rows, tb.row(v))
		}
		return map[string]any{"matches": rows, "note": "several people match; ask the asker which one, or look up a case id"}, nil
	}
	v := views[0]
	if tb.shown != nil && tb.shown.Case.ID != v.Case.ID {
		tb.multiple = true
	}
	tb.shown = v
	c := v.Case
	detail := map[string]any{
		"case": tb.row(v), "employee": map[string]string{"title": c.Employee.Title, "department": c.Employee.Department,
			"location": c.Employee.Location, "manager_email": c.Employee.ManagerEmail},
		"notice_received": tb.when(c.NoticeAt), "access_goes_at": tb.when(c.RevokeAt),
		"playbook": c.Playbook, "source": c.Source,
	}
	if c.Notes != "" {
		detail["notes"] = c.Notes
	}
	if !c.EffectiveAt.IsZero() {
		detail["effective_at"] = tb.when(c.EffectiveAt)
	}
	if c.RevokedAt != nil {
		detail["access_revoked_at"] = tb.when(*c.RevokedAt)
	}
	if c.CancelReason != "" {
		detail["cancel_reason"] = c.CancelReason
	}
	tasks := make([]taskRow, 0, len(v.Tasks))
	var blockers []string
	for _, t := range v.Tasks {
		tasks = append(tasks, tb.task(t))
		switch {
		case t.Status == offboard.TaskFailed || t.Status == offboard.TaskUnverified:
			blockers = append(blockers, fmt.Sprintf("%s (%s): %s", t.Title, tb.depts.Label(t.Department), t.Status))
		case t.Status == offboard.TaskWaitingApproval:
			blockers = append(blockers, fmt.Sprintf("%s (%s): waiting for approval", t.Title, tb.depts.Label(t.Department)))
		case isOverdue(t, tb.now):
			blockers = append(blockers, fmt.Sprintf("%s (%s): overdue %s", t.Title, tb.depts.Label(t.Department), offboard.Humanize(tb.now.Sub(*t.Due))))
		}
	}
	detail["tasks"] = tasks
	apps := make([]approvalRow, 0, len(v.Approvals))
	for _, a := range v.Approvals {
		apps = append(apps, tb.approval(v, a))
	}
	detail["approvals"] = apps
	detail["blockers"] = blockers
	if len(views) > 1 {
		var ids []offboard.CaseID
		for _, o := range views[1:] {
			ids = append(ids, o.Case.ID)
		}
		detail["earlier_cases"] = ids
	}
	return detail, nil
}

type openTaskRow struct {
	CaseID offboard.CaseID `json:"case_id"`
	Name   string          `json:"name"`
	taskRow
}

func (tb *toolbox) openTasks(ctx context.Context, dept offboard.Department, overdueOnly bool) (any, error) {
	views, err := tb.engine.ListCases(ctx, tb.who, offboard.CaseOpen, allCases)
	if err != nil {
		return nil, err
	}
	type item struct {
		row  openTaskRow
		late time.Duration
	}
	var items []item
	for _, v := range views {
		for _, t := range v.Tasks {
			if t.Status.Settled() || dept != "" && t.Department != dept || overdueOnly && !isOverdue(t, tb.now) {
				continue
			}
			var late time.Duration
			if isOverdue(t, tb.now) {
				late = tb.now.Sub(*t.Due)
			}
			items = append(items, item{openTaskRow{v.Case.ID, v.Case.Employee.DisplayName(), tb.task(t)}, late})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(b.late, a.late) })
	rows := []openTaskRow{}
	for _, it := range items[:min(len(items), toolLimit)] {
		rows = append(rows, it.row)
	}
	return map[string]any{"tasks": rows, "total": len(items), "open_cases_seen": len(views)}, nil
}

func (tb *toolbox) approvals(ctx context.Context, dept offboard.Department, q string) (any, error) {
	views, err := tb.engine.ListCases(ctx, tb.who, offboard.CaseOpen, allCases)
	if err != nil {
		return nil, err
	}
	if q != "" {
		found, err := tb.lookup(ctx, q)
		if err != nil {
			return nil, err
		}
		only := map[offboard.CaseID]bool{}
		for _, v := range found {
			only[v.Case.ID] = true
		}
		views = slices.DeleteFunc(views, func(v *offboard.CaseView) bool { return !only[v.Case.ID] })
	}
	type item struct {
		row   approvalRow
		since time.Time
	}
	var items []item
	for _, v := range views {
		for _, a := range v.Approvals {
			if a.Status != offboard.ApprovalPending {
				continue
			}
			r := tb.approval(v, a)
			if dept != "" && r.Department != tb.depts.Label(dept) {
				continue
			}
			r.CaseID, r.Name = v.Case.ID, v.Case.Employee.DisplayName()
			items = append(items, item{r, a.CreatedAt})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.since.Compare(b.since) })
	rows := []approvalRow{}
	for _, it := range items[:min(len(items), toolLimit)] {
		rows = append(rows, it.row)
	}
	return map[string]any{"approvals": rows, "total": len(items)}, nil
}

func (tb *toolbox) stats(ctx context.Context, fromS, toS string) (any, error) {
	// Default: the 30 days up to and including today.
	local := tb.now.In(tb.loc)
	tomorrow := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, tb.loc)
	from, to, err := tb.period(fromS, toS, tomorrow.AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = tomorrow
	}
	cases, err := tb.engine.CasesOpened(ctx, tb.who, from, to)
	if err != nil {
		return nil, err
	}
	st := offboard.Tally(cases)
	res := map[string]any{"from": tb.day(from), "to": tb.day(to.Add(-time.Nanosecond)), "cases_opened": st.Cases,
		"completed": st.Completed, "cancelled": st.Cancelled, "still_open": st.Open, "access_revoked": len(st.Revoked)}
	if pct, ok := st.CompletionRate(); ok {
		res["completion_rate"] = fmt.Sprintf("%.0f%%", pct)
	}
	if len(st.Revoked) > 0 {
		p50, _ := st.TimeToRevocation(50)
		p95, _ := st.TimeToRevocation(95)
		fast, slow := st.Revoked[0], st.Revoked[len(st.Revoked)-1]
		res["time_to_revocation"] = map[string]string{
			"median": offboard.Humanize(p50), "p95": offboard.Humanize(p95),
			"fastest": fmt.Sprintf("%s (%s)", offboard.Humanize(fast.After), fast.CaseID),
			"slowest": fmt.Sprintf("%s (%s)", offboard.Humanize(slow.After), slow.CaseID)}
	}
	return res, nil
}
