package dashboard_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/web/dashboard"
)

func (e *env) cancel(id offboard.CaseID) {
	e.t.Helper()
	if _, err := e.engine.Apply(context.Background(), offboard.CancelCase{By: offboard.System("test"), CaseID: id, Reason: "stayed"}); err != nil {
		e.t.Fatal(err)
	}
}

// closedSection is the part of the index after the closed cases' heading.
func closedSection(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `id="closed"`)
	if i < 0 {
		t.Fatalf("no closed cases section:\n%s", body)
	}
	return body[i:]
}

func TestIndex_SummaryAndClosedSearch(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	e.openCase("Secret Person", "secret@example.com", offboard.Involuntary, true)
	e.openCase("Open Olga", "olga@example.com", offboard.Voluntary, false)
	e.cancel("OFF-0001")
	e.cancel("OFF-0002")
	e.now = base.Add(10 * 24 * time.Hour) // Olga's tasks go overdue

	r := e.get("/")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	wellFormed(t, r)
	for _, want := range []string{`<span class="num">1</span> open case<`, "overdue tasks", "approvals waiting", "revoked today", "within SLA"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(r.body, `<span class="num">0</span> overdue`) {
		t.Error("Olga's overdue tasks are not counted")
	}
	closed := closedSection(t, r.body)
	for _, want := range []string{"OFF-0001", "OFF-0002", "Jane Doe", "Cancelled", "2 closed cases"} {
		if !strings.Contains(closed, want) {
			t.Errorf("closed cases lack %q", want)
		}
	}
	if strings.Contains(r.body, "Secret Person") {
		t.Error("the index names the confidential employee")
	}

	// Search: by name, by id; a confidential case never by its name.
	for q, want := range map[string][]string{
		"/?q=jane":           {"OFF-0001"},
		"/?q=JANE%40EXAMPLE": {"OFF-0001"},
		"/?q=off-0002":       {"OFF-0002"},
		"/?q=secret":         {},
		"/?kind=involuntary": {"OFF-0002"},
		"/?status=completed": {},
	} {
		r := e.get(q)
		if r.status != 200 {
			t.Fatalf("%s: status %d", q, r.status)
		}
		closed := closedSection(t, r.body)
		for _, id := range []string{"OFF-0001", "OFF-0002"} {
			shown := strings.Contains(closed, "/cases/"+id)
			wanted := false
			for _, w := range want {
				wanted = wanted || w == id
			}
			if shown != wanted {
				t.Errorf("%s: %s shown %v, want %v", q, id, shown, wanted)
			}
		}
		if len(want) == 0 && !strings.Contains(closed, "No closed case matches") {
			t.Errorf("%s: no word that nothing matched", q)
		}
	}
	for _, bad := range []string{"/?kind=sideways", "/?status=open"} {
		if r := e.get(bad); r.status != 400 {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
}

// The case page draws the cards it is given, without their buttons, and
// reads evidence into labelled lines with the request id as a detail.
func TestCasePage_Cards(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Involuntary, false)
	clock := offboard.ClockFunc(func() time.Time { return e.now })
	var key, title string
	h, err := dashboard.New(dashboard.Options{Engine: e.engine, Audit: e.db.AuditEvents, Verify: e.db.VerifyAudit, Clock: clock, CacheTTL: -1,
		Cards: func(v *offboard.CaseView, now time.Time) []offboard.Card {
			key, title = v.Tasks[0].Key, v.Tasks[0].Title
			return []offboard.Card{{Title: "IT tasks · " + v.Case.Employee.DisplayName(), Tone: offboard.ToneGood,
				Sections: []offboard.Section{{Heading: "Suspend the Okta account", Tone: offboard.ToneGood,
					Fields:  []offboard.Field{{Label: "Status", Value: "Waiting for " + v.Tasks[0].Key}, {Label: "Evidence", Value: "okta_request_id: req-123\nstatus_after: SUSPENDED"}},
					Actions: []offboard.Button{{Label: "Run it now"}}},
					// The bot's cards now label the evidence and put the
					// request ids in a details field.
					{Heading: "Transfer Drive ownership", Fields: []offboard.Field{{Label: offboard.FieldEvidence, Value: "Summary: 3 files moved"},
						{Label: offboard.FieldDetails, Value: "Google request id: g-9"}}}}}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/cases/OFF-0001", nil))
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	for _, want := range []string{"IT tasks · Jane Doe", "<b>Status afterwards:</b> SUSPENDED", "Okta request id: <code>req-123</code>", "Waiting for ",
		"<b>Summary:</b> 3 files moved", "Google request id: <code>g-9</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if !strings.Contains(body, "Waiting for "+title) {
		t.Errorf("the status names the task %q by its key, not its title %q", key, title)
	}
	for _, raw := range []string{"Run it now", "status_after", "okta_request_id", "Waiting for " + key} {
		if strings.Contains(body, raw) {
			t.Errorf("case page shows %q", raw)
		}
	}
}

// Cases that came together (one import, one API client's batch) say so
// in the open cases list, with how many of the batch are open; a case
// outside a batch says nothing.
func TestIndex_Batch(t *testing.T) {
	e := newEnv(t)
	for _, email := range []string{"a@example.com", "b@example.com"} {
		confidential := true
		if _, err := e.engine.Apply(context.Background(), offboard.OpenCase{By: offboard.System("test"),
			Employee: offboard.Employee{Name: "Leaver", Email: email, ManagerEmail: "boss@example.com"},
			Kind:     offboard.Involuntary, Confidential: &confidential, Source: "api", SourceRef: "hr",
			Batch: "import:20261207T032324.474Z"}); err != nil {
			t.Fatal(err)
		}
	}
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	r := e.get("/")
	wellFormed(t, r)
	if n := strings.Count(r.body, "batch of 2 open · import Mon 7 Dec 03:23"); n != 2 {
		t.Errorf("%d rows say they are in the batch of 2, want 2:\n%s", n, r.body)
	}
	if n := strings.Count(r.body, `class="batch"`); n != 2 {
		t.Errorf("%d rows carry a batch label, want the batch's 2", n)
	}
}
