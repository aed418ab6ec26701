package dashboard

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// confidentialName is what pages show instead of a confidential case's
// employee in lists, spelt as the console's room list spells it.
const confidentialName = "Confidential case"

type caseRow struct {
	ID              offboard.CaseID
	Employee        string
	Confidential    bool
	Kind            offboard.DepartureKind
	KindLabel       string
	LastDay         string
	Settled, Total  int
	SinceClock      string
	TimeToRevoke    string
	Revoked         bool
	Status          offboard.CaseStatus
	StatusLabel     string
	Closed          string
	OpenTasks       int
	OverdueTasks    int
	PendingApproval int
	// Batch says the case came with others (a layoff): "batch of 20 ·
	// import Mon 7 Dec 03:23"; "" outside a batch.
	Batch string
}

func (s *server) row(c *offboard.Case, now time.Time) caseRow {
	r := caseRow{ID: c.ID, Employee: c.Employee.DisplayName(), Confidential: c.Confidential, Kind: c.Kind, KindLabel: c.Kind.Label(),
		LastDay: c.LastDay, Status: c.Status, StatusLabel: c.Status.Label()}
	if c.Confidential {
		r.Employee = confidentialName
	}
	if c.ClosedAt != nil {
		r.Closed = s.when(*c.ClosedAt)
	}
	r.SinceClock = offboard.Humanize(now.Sub(c.ClockStart()))
	if d, ok := c.TimeToRevocation(); ok {
		r.Revoked, r.TimeToRevoke = true, offboard.Humanize(d)
	}
	if sum := c.Summary; sum != nil {
		r.Settled, r.Total = sum.Settled, sum.Tasks
		r.OpenTasks, r.OverdueTasks, r.PendingApproval = sum.Open(), len(sum.Overdue(now)), len(sum.Pending)
	}
	return r
}

// summaryRow is the row of figures at the top of the index.
type summaryRow struct {
	Open, Overdue, Waiting, RevokedToday int
	// WithinSLA is the share of the cases revoked in the last 30 days
	// that were revoked by their deadline ("" when none was).
	WithinSLA   string
	SLAMeasured int
}

// closedFilter is the closed cases' search form.
type closedFilter struct {
	Q      string
	Kind   string
	Status string
}

// closedShown bounds the closed cases listed; the search narrows them.
const closedShown = 20

type indexData struct {
	Summary     summaryRow
	Cases       []caseRow
	Closed      []caseRow
	ClosedTotal int
	ClosedMore  bool
	Filter      closedFilter
	Kinds       []kindOption
	Filtered    bool
}

type kindOption struct{ Value, Label string }

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := closedFilter{Q: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Status: q.Get("status")}
	if f.Kind != "" {
		if _, err := offboard.ParseDepartureKind(f.Kind); err != nil {
			s.fail(w, r, http.StatusBadRequest, "kind: "+offboard.ErrorMessage(err))
			return
		}
	}
	if f.Status != "" && f.Status != string(offboard.CaseCompleted) && f.Status != string(offboard.CaseCancelled) {
		s.fail(w, r, http.StatusBadRequest, "status: choose completed or cancelled.")
		return
	}
	lists := make([][]*offboard.Case, 3)
	for i, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
		cases, err := s.summaries(r.Context(), st, time.Time{})
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		lists[i] = cases
	}
	now := s.o.Clock.Now()
	d := indexData{Filter: f, Filtered: f.Q != "" || f.Kind != "" || f.Status != ""}
	for _, k := range []offboard.DepartureKind{offboard.Voluntary, offboard.Involuntary, offboard.Retirement, offboard.ContractEnd} {
		d.Kinds = append(d.Kinds, kindOption{string(k), k.Label()})
	}
	inBatch := map[string]int{}
	for _, c := range lists[0] {
		inBatch[c.BatchKey()]++
	}
	for _, c := range lists[0] {
		row := s.row(c, now)
		if c.Batch != "" {
			row.Batch = batchLabel(c.Batch, inBatch[c.BatchKey()], s.o.Location)
		}
		d.Cases = append(d.Cases, row)
		d.Summary.Overdue += row.OverdueTasks
		d.Summary.Waiting += row.PendingApproval
	}
	d.Summary.Open = len(lists[0])
	loc := s.o.Location
	y, m, day := now.In(loc).Date()
	today := time.Date(y, m, day, 0, 0, 0, 0, loc)
	within, measured := 0, 0
	var closed []*offboard.Case
	for i, list := range lists {
		for _, c := range list {
			if i > 0 {
				closed = append(closed, c)
			}
			if c.RevokedAt == nil {
				continue
			}
			if !c.RevokedAt.Before(today) {
				d.Summary.RevokedToday++
			}
			if now.Sub(*c.RevokedAt) > 30*24*time.Hour {
				continue
			}
			if deadline, ok := s.o.SLA.Rule(c.Kind).Deadline(c, loc); ok {
				measured++
				if c.RevokedAt.Before(deadline) {
					within++
				}
			}
		}
	}
	if measured > 0 {
		d.Summary.WithinSLA = fmt.Sprintf("%.0f%%", float64(within)/float64(measured)*100)
	}
	d.Summary.SLAMeasured = measured
	slices.SortFunc(closed, func(a, b *offboard.Case) int {
		return cmp.Or(cmp.Compare(closedAt(b).UnixNano(), closedAt(a).UnixNano()), strings.Compare(string(b.ID), string(a.ID)))
	})
	for _, c := range closed {
		if !f.matches(c) {
			continue
		}
		d.ClosedTotal++
		if len(d.Closed) < closedShown {
			d.Closed = append(d.Closed, s.row(c, now))
		}
	}
	d.ClosedMore = d.ClosedTotal > len(d.Closed)
	s.render(w, r, http.StatusOK, "index", "Cases", d)
}

func closedAt(c *offboard.Case) time.Time {
	if c.ClosedAt != nil {
		return *c.ClosedAt
	}
	return c.UpdatedAt
}

// matches reports whether a closed case passes the filter. A
// confidential case is found by its id only: its name must not leak
// through a search that finds it.
func (f closedFilter) matches(c *offboard.Case) bool {
	if f.Kind != "" && string(c.Kind) != f.Kind {
		return false
	}
	if f.Status != "" && string(c.Status) != f.Status {
		return false
	}
	if f.Q == "" {
		return true
	}
	q := strings.ToLower(f.Q)
	if strings.Contains(strings.ToLower(string(c.ID)), q) {
		return true
	}
	if c.Confidential {
		return false
	}
	return strings.Contains(strings.ToLower(c.Employee.DisplayName()), q) || strings.Contains(strings.ToLower(c.Employee.Email), q) ||
		strings.Contains(strings.ToLower(c.Employee.Department), q)
}

type taskRow struct {
	*offboard.Task
	EvidenceList []kv
	Overdue      bool
}

type kv struct{ Key, Value string }

func sortedKV(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.Key, b.Key) })
	return out
}

type eventRow struct {
	Seq    uint64
	Time   time.Time
	CaseID offboard.CaseID
	Actor  string
	// Action and Outcome are in words; ActionCode and OutcomeCode are
	// what the chain and its exports record.
	Action, ActionCode   string
	Target               string
	Outcome, OutcomeCode string
	Detail               string
}

func toEventRow(e *offboard.AuditEvent) eventRow {
	return eventRow{Seq: e.Seq, Time: e.Time, CaseID: e.CaseID, Actor: actorWords(e.Actor),
		Action: actionWords(e.Action), ActionCode: e.Action, Target: e.Target,
		Outcome: outcomeWords(e.Outcome), OutcomeCode: e.Outcome, Detail: e.Detail}
}

var errEnough = errors.New("enough")

func (s *server) casePage(w http.ResponseWriter, r *http.Request) {
	id, ok := offboard.ParseCaseID(r.PathValue("id"))
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "That is not a case id like OFF-0042.")
		return
	}
	v, err := s.o.Engine.GetCase(r.Context(), viewerOf(r.Context()), id)
	if err != nil {
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			s.fail(w, r, http.StatusNotFound, "There is no case "+string(id)+".")
			return
		}
		s.failErr(w, r, err)
		return
	}
	now := s.o.Clock.Now()
	tasks := make([]taskRow, 0, len(v.Tasks))
	for _, t := range v.Tasks {
		tasks = append(tasks, taskRow{Task: t, EvidenceList: sortedKV(t.Evidence), Overdue: !t.Status.Settled() && t.Due != nil && now.After(*t.Due)})
	}
	slices.SortStableFunc(tasks, func(a, b taskRow) int { return cmp.Compare(a.Order, b.Order) })
	var events []eventRow
	more := false
	// The case is visible (GetCase said so), so all its events are.
	err = s.o.Audit(r.Context(), offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if len(events) >= timelineLimit {
			more = true
			return errEnough
		}
		events = append(events, toEventRow(e))
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		s.failErr(w, r, err)
		return
	}
	c := v.Case
	c.Summary = offboard.Summarize(v.Tasks, v.Approvals) // the view at hand is the freshest
	titles := map[string]string{}
	for _, t := range v.Tasks {
		titles[t.Key] = t.Title
	}
	var cards []cardView
	if s.o.Cards != nil {
		cards = toCardViews(s.o.Cards(v, now), titles)
	}
	for i := range events {
		if t, ok := titles[events[i].Target]; ok {
			events[i].Target = t
		}
	}
	data := struct {
		Case      *offboard.Case
		Row       caseRow
		Requester string
		Cards     []cardView
		Tasks     []taskRow
		Approvals []*offboard.Approval
		Events    []eventRow
		More      bool
		AuditLink string
	}{c, s.row(c, now), c.Requester.String(), cards, tasks, v.Approvals, events, more, "/audit?" + url.Values{"case": {string(id)}}.Encode()}
	s.render(w, r, http.StatusOK, "case", "Case "+string(c.ID), data)
}

// importBatch is how `cases import` names its batch: "import:" and the
// time it began (UTC).
const importBatch = "import:20060102T150405.000Z"

// batchLabel tells an IT admin that a case came with others, how many of
// them are open, and which delivery it was: an import by its time, an
// API client's batch by its name.
func batchLabel(name string, open int, loc *time.Location) string {
	if t, err := time.Parse(importBatch, name); err == nil {
		name = "import " + t.In(loc).Format("Mon 2 Jan 15:04")
	} else {
		name = strconv.Quote(name)
	}
	if open < 2 {
		return "batch " + name
	}
	return fmt.Sprintf("batch of %d open · %s", open, name)
}
