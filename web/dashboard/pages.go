package dashboard

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// confidentialName is what pages show instead of a confidential case's
// employee in lists.
const confidentialName = "confidential case"

type caseRow struct {
	ID              offboard.CaseID
	Employee        string
	Confidential    bool
	Kind            offboard.DepartureKind
	LastDay         string
	Settled, Total  int
	SinceClock      string
	TimeToRevoke    string
	Revoked         bool
	Status          offboard.CaseStatus
	OpenTasks       int
	OverdueTasks    int
	PendingApproval int
}

func (s *server) row(c *offboard.Case, now time.Time) caseRow {
	r := caseRow{ID: c.ID, Employee: c.Employee.DisplayName(), Confidential: c.Confidential, Kind: c.Kind, LastDay: c.LastDay, Status: c.Status}
	if c.Confidential {
		r.Employee = confidentialName
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

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	cases, err := s.summaries(r.Context(), offboard.CaseOpen, time.Time{})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	now := s.o.Clock.Now()
	rows := make([]caseRow, 0, len(cases))
	for _, c := range cases {
		rows = append(rows, s.row(c, now))
	}
	s.render(w, r, http.StatusOK, "index", "Open cases", struct{ Cases []caseRow }{rows})
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
	Seq     uint64
	Time    time.Time
	CaseID  offboard.CaseID
	Actor   string
	Action  string
	Target  string
	Outcome string
	Detail  string
}

func toEventRow(e *offboard.AuditEvent) eventRow {
	return eventRow{Seq: e.Seq, Time: e.Time, CaseID: e.CaseID, Actor: e.Actor.String(), Action: e.Action, Target: e.Target, Outcome: e.Outcome, Detail: e.Detail}
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
	data := struct {
		Case      *offboard.Case
		Row       caseRow
		Requester string
		Tasks     []taskRow
		Approvals []*offboard.Approval
		Events    []eventRow
		More      bool
		AuditLink string
	}{c, s.row(c, now), c.Requester.String(), tasks, v.Approvals, events, more, "/audit?" + url.Values{"case": {string(id)}}.Encode()}
	s.render(w, r, http.StatusOK, "case", "Case "+string(c.ID), data)
}
