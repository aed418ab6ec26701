package assistant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Answerer answers questions with rules, no language model.
type Answerer struct {
	engine offboard.CaseReader
	clock  offboard.Clock
	loc    *time.Location
	depts  offboard.Departments
}

// New builds an Answerer. A nil clock is the wall clock, a nil location UTC.
func New(e offboard.CaseReader, clock offboard.Clock, loc *time.Location) *Answerer {
	if clock == nil {
		clock = offboard.WallClock()
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Answerer{engine: e, clock: clock, loc: loc}
}

// WithDepartments sets the configured departments that questions may
// name and answers list tasks by (default offboard.StandardDepartments).
// Call it while wiring, before the first question.
func (a *Answerer) WithDepartments(ds offboard.Departments) *Answerer {
	a.depts = ds
	return a
}

// listLimit caps the lines of one answer.
const listLimit = 20

// allCases is the limit that means "every case" for visibility checks.
const allCases = 1 << 30

// Answer answers a question. It reports false when it did not understand
// (the caller then shows its help). Replies are ephemeral: case data may
// be confidential.
func (a *Answerer) Answer(ctx context.Context, who offboard.Actor, text string) (offboard.Reply, bool) {
	p := parse(text, a.depts)
	var r offboard.Reply
	var err error
	switch p.Intent {
	case IntentStatus, IntentLeft:
		r, err = a.status(ctx, who, p)
	case IntentOpenCases:
		r, err = a.openCases(ctx, who)
	case IntentOverdue:
		r, err = a.overdue(ctx, who, p.Department)
	case IntentApprovals:
		r, err = a.approvals(ctx, who, p)
	case IntentStats:
		r, err = a.stats(ctx, who, p.Period)
	case IntentHelp:
		r = Help()
	default:
		return offboard.Reply{}, false
	}
	if err != nil {
		r = offboard.Reply{Text: "Sorry, I could not look that up: " + offboard.ErrorMessage(err)}
	}
	r.Ephemeral = true
	return r, true
}

// Help lists what the answerer understands.
func Help() offboard.Reply {
	return offboard.Reply{Ephemeral: true, Text: "You can ask me:\n" +
		"• \"where is Jane's offboarding?\" or \"status of OFF-0042\"\n" +
		"• \"what's left on Jane's offboarding?\"\n" +
		"• \"which cases are open?\"\n" +
		"• \"what's overdue for Finance?\"\n" +
		"• \"which approvals are stuck?\"\n" +
		"• \"how fast did we revoke access last month?\"\n" +
		"To open a case, use /offboard."}
}

func noCase(q string) offboard.Reply {
	return offboard.Reply{Text: fmt.Sprintf("I found no case for %s that you can see.", q)}
}

// find looks cases up; refusals read as "none" so that nobody learns
// whether a case they cannot see exists.
func (a *Answerer) find(ctx context.Context, who offboard.Actor, q string) ([]*offboard.CaseView, error) {
	views, err := a.engine.FindCases(ctx, who, q)
	switch offboard.ErrorCode(err) {
	case "":
	case offboard.EFORBIDDEN, offboard.ENOTFOUND, offboard.EINVALID:
		return nil, nil
	default:
		return nil, err
	}
	// "janes offboarding": a possessive typed without the apostrophe.
	if len(views) == 0 && !isCaseID(q) && !looksLikeEmail(q) && strings.HasSuffix(q, "s") && len(q) > 3 {
		return a.find(ctx, who, strings.TrimSuffix(q, "s"))
	}
	return views, nil
}

func (a *Answerer) status(ctx context.Context, who offboard.Actor, p Parsed) (offboard.Reply, error) {
	views, err := a.find(ctx, who, p.Who)
	if err != nil {
		return offboard.Reply{}, err
	}
	if len(views) == 0 {
		return noCase(p.Who), nil
	}
	// Several people match a name: ask which one.
	var people []*offboard.CaseView
	seen := map[string]bool{}
	for _, v := range views {
		k := strings.ToLower(v.Case.Employee.Email)
		if !seen[k] {
			seen[k] = true
			people = append(people, v)
		}
	}
	if len(people) > 1 {
		var opts []string
		for _, v := range people {
			opts = append(opts, string(v.Case.ID)+" "+v.Case.Employee.DisplayName())
		}
		return offboard.Reply{Text: fmt.Sprintf("%d open cases match '%s': %s — which one?",
			len(people), p.Who, strings.Join(opts, ", "))}, nil
	}
	now := a.clock.Now()
	v := views[0]
	text := summary(v, now)
	if p.Intent == IntentLeft || v.Case.Status == offboard.CaseOpen {
		text += "\n" + a.remaining(v, now, p.Intent == IntentLeft)
	}
	if len(views) > 1 {
		var ids []string
		for _, o := range views[1:] {
			ids = append(ids, string(o.Case.ID))
		}
		text += fmt.Sprintf("\n(Earlier cases: %s; ask by case id.)", strings.Join(ids, ", "))
	}
	return offboard.Reply{Text: text, Cards: []offboard.Card{a.card(v, now)}}, nil
}

// summary is one line: id, name, kind, last day, progress, clock.
func summary(v *offboard.CaseView, now time.Time) string {
	c := v.Case
	settled, total := v.Progress()
	s := fmt.Sprintf("%s · %s · %s · last day %s · %d/%d tasks done", c.ID, c.Employee.DisplayName(),
		c.Kind.Label(), orDash(offboard.FormatDay(c.LastDay)), settled, total)
	if c.Status != offboard.CaseOpen {
		s += " · " + c.Status.Label()
	}
	return s + " · " + clock(c, now)
}

func clock(c *offboard.Case, now time.Time) string {
	if d, ok := c.TimeToRevocation(); ok {
		return "access revoked " + offboard.Humanize(d) + " after notice"
	}
	if c.Status != offboard.CaseOpen {
		return "access not revoked"
	}
	return "clock running " + offboard.Humanize(now.Sub(c.ClockStart()))
}

// remaining lists the unsettled tasks by department; brief gives a
// count only.
func (a *Answerer) remaining(v *offboard.CaseView, now time.Time, full bool) string {
	var lines []string
	n := 0
	for _, d := range v.DepartmentsListed() {
		for _, t := range v.Tasks {
			if t.Department == d && !t.Status.Settled() {
				n++
				lines = append(lines, fmt.Sprintf("• %s: %s (%s)", v.Departments.Label(d), t.Title, taskWords(t, now, a.loc)))
			}
		}
	}
	switch {
	case n == 0:
		return "Nothing is left: every task is done or skipped."
	case !full:
		return fmt.Sprintf("%d task%s left; ask \"what's left on %s\" for the list.", n, plural(n), v.Case.ID)
	}
	return "Left to do:\n" + strings.Join(lines, "\n")
}

func taskWords(t *offboard.Task, now time.Time, loc *time.Location) string {
	s := strings.ReplaceAll(string(t.Status), "_", " ")
	if t.Due != nil && !t.Status.Settled() {
		if t.Due.After(now) {
			if t.Status == offboard.TaskScheduled {
				s += ", runs " + t.Due.In(loc).Format("Mon 2 Jan 15:04")
			} else {
				s += ", due " + t.Due.In(loc).Format("Mon 2 Jan")
			}
		} else if t.Status != offboard.TaskRunning {
			s += ", overdue " + offboard.Humanize(now.Sub(*t.Due))
		}
	}
	return s
}

// card is the neutral case card.
func (a *Answerer) card(v *offboard.CaseView, now time.Time) offboard.Card {
	c := v.Case
	settled, total := v.Progress()
	card := offboard.Card{Title: fmt.Sprintf("%s · %s", c.ID, c.Employee.DisplayName()),
		Subtitle: c.Kind.Label() + " departure", Tone: offboard.ToneInfo}
	if c.Confidential {
		card.Subtitle += " · Confidential"
	}
	card.Fields = []offboard.Field{
		{Label: "Last day", Value: orDash(offboard.FormatDay(c.LastDay))},
		{Label: "Status", Value: c.Status.Label()},
		{Label: "Progress", Value: fmt.Sprintf("%d of %d tasks done or skipped", settled, total)},
		{Label: "Case clock", Value: clock(c, now)},
	}
	if c.Status == offboard.CaseCompleted {
		card.Tone = offboard.ToneGood
	}
	return card
}

func (a *Answerer) openCases(ctx context.Context, who offboard.Actor) (offboard.Reply, error) {
	views, err := a.engine.ListCases(ctx, who, offboard.CaseOpen, listLimit)
	if err != nil {
		return offboard.Reply{}, err
	}
	if len(views) == 0 {
		return offboard.Reply{Text: "No open cases that you can see."}, nil
	}
	now := a.clock.Now()
	lines := make([]string, 0, len(views)+1)
	lines = append(lines, fmt.Sprintf("Open cases you can see (%d%s):", len(views), more(len(views) == listLimit)))
	for _, v := range views {
		lines = append(lines, "• "+summary(v, now))
	}
	return offboard.Reply{Text: strings.Join(lines, "\n")}, nil
}

// openViews returns the open cases the asker can see, oldest first: the
// order in which their tasks fell due. Open cases are few, so this reads
// no history.
func (a *Answerer) openViews(ctx context.Context, who offboard.Actor) ([]*offboard.CaseView, error) {
	views, err := a.engine.ListCases(ctx, who, offboard.CaseOpen, allCases)
	if err != nil {
		return nil, err
	}
	slices.Reverse(views)
	return views, nil
}

// isOverdue is the digest's rule (and the overdue nudge's): unsettled,
// not running, past due.
func isOverdue(t *offboard.Task, now time.Time) bool {
	return !t.Status.Settled() && t.Status != offboard.TaskRunning && t.Due != nil && t.Due.Before(now)
}

func (a *Answerer) overdue(ctx context.Context, who offboard.Actor, dept offboard.Department) (offboard.Reply, error) {
	views, err := a.openViews(ctx, who)
	if err != nil {
		return offboard.Reply{}, err
	}
	now := a.clock.Now()
	type late struct {
		v *offboard.CaseView
		t *offboard.Task
	}
	byDept := map[offboard.Department][]late{}
	depts := a.depts.Names()
	for _, v := range views {
		for _, t := range v.Tasks {
			if !isOverdue(t, now) {
				continue
			}
			byDept[t.Department] = append(byDept[t.Department], late{v, t})
			if !slices.Contains(depts, t.Department) {
				depts = append(depts, t.Department)
			}
		}
	}
	if dept != "" {
		depts = []offboard.Department{dept}
	}
	var lines []string
	n := 0
	for _, dp := range depts {
		ts := byDept[dp]
		// Most overdue first.
		slices.SortStableFunc(ts, func(x, y late) int { return x.t.Due.Compare(*y.t.Due) })
		for _, l := range ts {
			n++
			if len(lines) < listLimit {
				lines = append(lines, fmt.Sprintf("• %s: %s on %s %s, overdue %s", a.depts.Label(dp), l.t.Title,
					l.v.Case.ID, l.v.Case.Employee.DisplayName(), offboard.Humanize(now.Sub(*l.t.Due))))
			}
		}
	}
	where := ""
	if dept != "" {
		where = " for " + a.depts.Label(dept)
	}
	if n == 0 {
		return offboard.Reply{Text: fmt.Sprintf("Nothing is overdue%s on the cases you can see.", where)}, nil
	}
	head := fmt.Sprintf("%d overdue task%s%s%s:", n, plural(n), where, more(n > listLimit))
	return offboard.Reply{Text: head + "\n" + strings.Join(lines, "\n")}, nil
}

func (a *Answerer) approvals(ctx context.Context, who offboard.Actor, p Parsed) (offboard.Reply, error) {
	views, err := a.openViews(ctx, who)
	if err != nil {
		return offboard.Reply{}, err
	}
	if p.Who != "" {
		found, err := a.find(ctx, who, p.Who)
		if err != nil {
			return offboard.Reply{}, err
		}
		only := map[offboard.CaseID]bool{}
		for _, v := range found {
			only[v.Case.ID] = true
		}
		views = slices.DeleteFunc(views, func(v *offboard.CaseView) bool { return !only[v.Case.ID] })
	}
	now := a.clock.Now()
	type waiting struct {
		v  *offboard.CaseView
		ap *offboard.Approval
		t  *offboard.Task
	}
	var ws []waiting
	for _, v := range views {
		for _, ap := range v.Approvals {
			if ap.Status != offboard.ApprovalPending {
				continue
			}
			w := waiting{v: v, ap: ap}
			for _, t := range v.Tasks {
				if t.Key == ap.TaskKey {
					w.t = t
				}
			}
			if p.Department != "" && (w.t == nil || w.t.Department != p.Department) {
				continue
			}
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return offboard.Reply{Text: "No approvals are waiting on the cases you can see."}, nil
	}
	// Longest waiting first.
	slices.SortStableFunc(ws, func(x, y waiting) int { return x.ap.CreatedAt.Compare(y.ap.CreatedAt) })
	var lines []string
	for _, w := range ws[:min(len(ws), listLimit)] {
		title := w.ap.TaskKey
		if w.t != nil {
			title = w.t.Title
		}
		approvers := orNobody(w.ap.Deciders())
		if len(w.ap.EscalatedTo) > 0 {
			approvers += ", " + strings.Join(w.ap.EscalatedTo, ", ")
		}
		lines = append(lines, fmt.Sprintf("• %s %s: %s, waiting %s on %s", w.v.Case.ID, w.v.Case.Employee.DisplayName(),
			title, offboard.Humanize(now.Sub(w.ap.CreatedAt)), approvers))
	}
	head := fmt.Sprintf("%d approval%s waiting%s:", len(ws), plural(len(ws)), more(len(ws) > listLimit))
	return offboard.Reply{Text: head + "\n" + strings.Join(lines, "\n")}, nil
}

// stats covers the cases the asker can see that were opened in the last
// 7 (week) or 30 (month) days.
func (a *Answerer) stats(ctx context.Context, who offboard.Actor, period string) (offboard.Reply, error) {
	now := a.clock.Now()
	span, label := 30*24*time.Hour, "the last 30 days"
	if period == "week" {
		span, label = 7*24*time.Hour, "the last 7 days"
	}
	since := now.Add(-span)
	// Only the period's cases are read, not the history.
	cases, err := a.engine.CasesOpened(ctx, who, since, now.Add(time.Nanosecond))
	if err != nil {
		return offboard.Reply{}, err
	}
	st := offboard.Tally(cases)
	if st.Cases == 0 {
		return offboard.Reply{Text: fmt.Sprintf("No cases that you can see were opened in %s.", label)}, nil
	}
	card := offboard.Card{Title: "Offboarding stats", Subtitle: "Cases opened in " + label, Tone: offboard.ToneInfo}
	card.Fields = append(card.Fields,
		offboard.Field{Label: "Cases", Value: fmt.Sprint(st.Cases)},
		offboard.Field{Label: "Completed", Value: fmt.Sprint(st.Completed)},
		offboard.Field{Label: "Cancelled", Value: fmt.Sprint(st.Cancelled)},
		offboard.Field{Label: "Still open", Value: fmt.Sprint(st.Open)})
	text := fmt.Sprintf("In %s: %d case%s, %d completed, %d cancelled, %d still open.", label, st.Cases, plural(st.Cases),
		st.Completed, st.Cancelled, st.Open)
	if len(st.Revoked) == 0 {
		text += " No access has been revoked yet, so there is no time to revocation."
		return offboard.Reply{Text: text, Cards: []offboard.Card{card}}, nil
	}
	p50, _ := st.TimeToRevocation(50)
	p95, _ := st.TimeToRevocation(95)
	fast, slow := st.Revoked[0], st.Revoked[len(st.Revoked)-1]
	text += fmt.Sprintf("\nTime to revocation over %d case%s: median %s, p95 %s; fastest %s (%s), slowest %s (%s).",
		len(st.Revoked), plural(len(st.Revoked)), offboard.Humanize(p50), offboard.Humanize(p95),
		offboard.Humanize(fast.After), fast.CaseID, offboard.Humanize(slow.After), slow.CaseID)
	card.Fields = append(card.Fields,
		offboard.Field{Label: "Time to revocation (median)", Value: offboard.Humanize(p50)},
		offboard.Field{Label: "Time to revocation (p95)", Value: offboard.Humanize(p95)},
		offboard.Field{Label: "Fastest", Value: fmt.Sprintf("%s (%s)", offboard.Humanize(fast.After), fast.CaseID)},
		offboard.Field{Label: "Slowest", Value: fmt.Sprintf("%s (%s)", offboard.Humanize(slow.After), slow.CaseID)})
	return offboard.Reply{Text: text, Cards: []offboard.Card{card}}, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func more(b bool) string {
	if b {
		return fmt.Sprintf(", showing %d", listLimit)
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}
