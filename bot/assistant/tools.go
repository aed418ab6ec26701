package assistant

// The tools a language model may call. Every one reads through the
// engine's queries with the asker's actor, so the engine's visibility
// rule (offboard.CanViewCase) decides what a tool can return; the prompt
// only describes the scope. None of them changes anything: Engine has no
// method that does, so no tool could.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// Tool names.
const (
	toolFindCases  = "find_cases"
	toolCaseStatus = "case_status"
	toolOpenTasks  = "open_tasks"
	toolApprovals  = "approvals_waiting"
	toolStats      = "stats"
)

// toolLimit caps the rows of one tool result: enough to answer, small
// enough to keep the prompt short.
const toolLimit = 50

const dateLayout = "2006-01-02"

func toolDefs() []openai.Tool {
	str := func(desc string) jsonschema.Definition {
		return jsonschema.Definition{Type: jsonschema.String, Description: desc}
	}
	dept := jsonschema.Definition{Type: jsonschema.String, Enum: []string{"it", "finance", "security", "hr"},
		Description: "Department that owns the tasks."}
	fn := func(name, desc string, props map[string]jsonschema.Definition, required ...string) openai.Tool {
		if required == nil {
			required = []string{}
		}
		return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: name, Description: desc,
			Parameters: jsonschema.Definition{Type: jsonschema.Object, Properties: props, Required: required}}}
	}
	return []openai.Tool{
		fn(toolFindCases, "Find offboarding cases the asker may see. With a query: by name (open cases only), "+
			"by email (every case of that person) or by case id. Without a query: cases by status, newest first. "+
			"Dates filter on when the case was opened.",
			map[string]jsonschema.Definition{
				"query": str("A name, an email or a case id like OFF-0042. Optional."),
				"status": {Type: jsonschema.String, Enum: []string{"open", "completed", "cancelled", "any"},
					Description: "Case status; default open without a query, any with one."},
				"opened_from": str("Only cases opened on or after this date, YYYY-MM-DD. Optional."),
				"opened_to":   str("Only cases opened on or before this date, YYYY-MM-DD. Optional."),
				"limit":       {Type: jsonschema.Integer, Description: "At most this many cases (1-50, default 20)."},
			}),
		fn(toolCaseStatus, "Everything about one case: the person, the clock (notice, revocation), every task with "+
			"its status, due time and evidence, the approvals, and what blocks progress.",
			map[string]jsonschema.Definition{
				"case": str("A case id like OFF-0042, an email, or a name."),
			}, "case"),
		fn(toolOpenTasks, "Unfinished tasks on the open cases the asker may see, optionally for one department "+
			"or only the overdue ones, most overdue first.",
			map[string]jsonschema.Definition{
				"department":   dept,
				"overdue_only": {Type: jsonschema.Boolean, Description: "Only tasks past their due time."},
			}),
		fn(toolApprovals, "Approvals nobody has decided yet on the open cases the asker may see, longest waiting first.",
			map[string]jsonschema.Definition{
				"department": dept,
				"case":       str("Only this case: a case id, an email or a name. Optional."),
			}),
		fn(toolStats, "Figures for the cases the asker may see that were opened in a period: counts, completion "+
			"rate, and time to revocation (median, p95, fastest, slowest). Default: the last 30 days.",
			map[string]jsonschema.Definition{
				"from": str("First day, YYYY-MM-DD. Optional."),
				"to":   str("Last day (inclusive), YYYY-MM-DD. Optional."),
			}),
	}
}

// toolbox runs tool calls for one asker.
type toolbox struct {
	engine Engine
	who    offboard.Actor
	now    time.Time
	loc    *time.Location
	// shown is the case one case_status call returned alone, for the
	// reply's card; more than one such case clears it.
	shown    *flows.CaseView
	multiple bool
}

// toolError is a refusal or a bad call, said to the model as the tool's
// result so that it can correct itself or tell the asker.
type toolError struct{ msg string }

func (e toolError) Error() string { return e.msg }

// call runs one tool and returns its JSON result. Any failure becomes a
// JSON error object: the model reads it, the asker does not.
func (tb *toolbox) call(ctx context.Context, name, args string) string {
	res, err := tb.dispatch(ctx, name, args)
	if err != nil {
		msg := err.Error()
		if _, ok := err.(toolError); !ok {
			msg = "the lookup failed: " + offboard.ErrorMessage(err)
		}
		res = map[string]string{"error": msg}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return `{"error":"the result could not be encoded"}`
	}
	return string(b)
}

func (tb *toolbox) dispatch(ctx context.Context, name, args string) (any, error) {
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	decode := func(v any) error {
		dec := json.NewDecoder(strings.NewReader(args))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return toolError{fmt.Sprintf("the arguments of %s are not valid: %v", name, err)}
		}
		return nil
	}
	switch name {
	case toolFindCases:
		var a findArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.findCases(ctx, a)
	case toolCaseStatus:
		var a struct {
			Case string `json:"case"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.caseStatus(ctx, a.Case)
	case toolOpenTasks:
		var a struct {
			Department  string `json:"department"`
			OverdueOnly bool   `json:"overdue_only"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		d, err := department(a.Department)
		if err != nil {
			return nil, err
		}
		return tb.openTasks(ctx, d, a.OverdueOnly)
	case toolApprovals:
		var a struct {
			Department string `json:"department"`
			Case       string `json:"case"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		d, err := department(a.Department)
		if err != nil {
			return nil, err
		}
		return tb.approvals(ctx, d, a.Case)
	case toolStats:
		var a struct {
			From string `json:"from"`
			To   string `json:"to"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.stats(ctx, a.From, a.To)
	}
	// A model may ask for a tool it was never offered (a hallucination, or
	// text in case data asking it to): refuse, and say what exists.
	return nil, toolError{fmt.Sprintf("there is no tool named %q; the only tools are %s, and they only read cases: "+
		"nothing can be changed from here. People act with the buttons on the task cards or /offboard.", name, strings.Join(toolNames(), ", "))}
}

func toolNames() []string {
	return []string{toolFindCases, toolCaseStatus, toolOpenTasks, toolApprovals, toolStats}
}

func department(s string) (offboard.Department, error) {
	if s == "" {
		return "", nil
	}
	d := offboard.Department(strings.ToLower(s))
	if !d.Valid() {
		return "", toolError{fmt.Sprintf("department %q is not one of it, finance, security, hr", s)}
	}
	return d, nil
}

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

func (tb *toolbox) row(v *flows.CaseView) caseRow {
	c := v.Case
	done, total := v.Progress()
	return caseRow{ID: c.ID, Name: c.Employee.DisplayName(), Email: c.Employee.Email, Kind: c.Kind.Label(),
		Confidential: c.Confidential, Status: string(c.Status), LastDay: c.LastDay, Opened: tb.day(c.CreatedAt),
		TasksDone: done, TasksTotal: total, Clock: clock(c, tb.now)}
}

func (tb *toolbox) day(t time.Time) string  { return t.In(tb.loc).Format(dateLayout) }
func (tb *toolbox) when(t time.Time) string { return t.In(tb.loc).Format("2006-01-02 15:04 MST") }

// lookup finds cases as the rule-based answerer does: refusals read as
// "none", so a tool never tells whether a hidden case exists.
func (tb *toolbox) lookup(ctx context.Context, q string) ([]*flows.CaseView, error) {
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
func (tb *toolbox) list(ctx context.Context, status string, limit int) ([]*flows.CaseView, error) {
	sts := []offboard.CaseStatus{offboard.CaseStatus(status)}
	if status == "any" {
		sts = []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled}
	}
	var out []*flows.CaseView
	for _, st := range sts {
		views, err := tb.engine.ListCases(ctx, tb.who, st, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, views...)
	}
	slices.SortStableFunc(out, func(a, b *flows.CaseView) int { return b.Case.CreatedAt.Compare(a.Case.CreatedAt) })
	return out, nil
}

// opened returns the views of the cases opened in [from, to) with status,
// at most limit+1 of them (to tell that there are more). Only the
// period's case records are read, then the views of those shown.
func (tb *toolbox) opened(ctx context.Context, from, to time.Time, status string, limit int) ([]*flows.CaseView, error) {
	if to.IsZero() {
		to = tb.now.Add(time.Nanosecond)
	}
	cases, err := tb.engine.CasesOpened(ctx, tb.who, from, to)
	if err != nil {
		return nil, err
	}
	var out []*flows.CaseView
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
	var views []*flows.CaseView
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

// overdue is the digest's rule: unsettled, not running, past due.
func overdue(t *offboard.Task, now time.Time) bool {
	return !t.Status.Settled() && t.Status != offboard.TaskRunning && t.Due != nil && t.Due.Before(now)
}

func (tb *toolbox) task(t *offboard.Task) taskRow {
	r := taskRow{Key: t.Key, Title: t.Title, Department: t.Department.Label(), Status: string(t.Status),
		Optional: t.Optional, Assignee: t.Assignee, LastError: t.LastError, Evidence: t.Evidence,
		SkipReason: t.SkipReason, CompletedBy: t.CompletedBy}
	if t.Due != nil {
		r.Due = tb.when(*t.Due)
	}
	if overdue(t, tb.now) {
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

func (tb *toolbox) approval(v *flows.CaseView, a *offboard.Approval) approvalRow {
	r := approvalRow{ID: a.ID, Task: a.TaskKey, Question: a.Question, Approver: orNobody(a.Approver),
		EscalatedTo: a.EscalatedTo, Status: string(a.Status), Since: tb.when(a.CreatedAt)}
	for _, t := range v.Tasks {
		if t.Key == a.TaskKey {
			r.Task, r.Department = t.Title, t.Department.Label()
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
			blockers = append(blockers, fmt.Sprintf("%s (%s): %s", t.Title, t.Department.Label(), t.Status))
		case t.Status == offboard.TaskWaitingApproval:
			blockers = append(blockers, fmt.Sprintf("%s (%s): waiting for approval", t.Title, t.Department.Label()))
		case overdue(t, tb.now):
			blockers = append(blockers, fmt.Sprintf("%s (%s): overdue %s", t.Title, t.Department.Label(), offboard.Humanize(tb.now.Sub(*t.Due))))
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
			if t.Status.Settled() || dept != "" && t.Department != dept || overdueOnly && !overdue(t, tb.now) {
				continue
			}
			var late time.Duration
			if overdue(t, tb.now) {
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
		views = slices.DeleteFunc(views, func(v *flows.CaseView) bool { return !only[v.Case.ID] })
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
			if dept != "" && r.Department != dept.Label() {
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
	var count, completed, cancelled, open int
	type ttr struct {
		id offboard.CaseID
		d  time.Duration
	}
	var ttrs []ttr
	for _, c := range cases {
		count++
		switch c.Status {
		case offboard.CaseCompleted:
			completed++
		case offboard.CaseCancelled:
			cancelled++
		default:
			open++
		}
		if d, ok := c.TimeToRevocation(); ok {
			ttrs = append(ttrs, ttr{c.ID, d})
		}
	}
	res := map[string]any{"from": tb.day(from), "to": tb.day(to.Add(-time.Nanosecond)), "cases_opened": count,
		"completed": completed, "cancelled": cancelled, "still_open": open, "access_revoked": len(ttrs)}
	if count > 0 {
		res["completion_rate"] = fmt.Sprintf("%.0f%%", 100*float64(completed)/float64(count))
	}
	if len(ttrs) > 0 {
		slices.SortStableFunc(ttrs, func(x, y ttr) int { return cmp.Compare(x.d, y.d) })
		ds := make([]time.Duration, len(ttrs))
		for i, t := range ttrs {
			ds[i] = t.d
		}
		fast, slow := ttrs[0], ttrs[len(ttrs)-1]
		res["time_to_revocation"] = map[string]string{
			"median": offboard.Humanize(percentile(ds, 50)), "p95": offboard.Humanize(percentile(ds, 95)),
			"fastest": fmt.Sprintf("%s (%s)", offboard.Humanize(fast.d), fast.id),
			"slowest": fmt.Sprintf("%s (%s)", offboard.Humanize(slow.d), slow.id)}
	}
	return res, nil
}
