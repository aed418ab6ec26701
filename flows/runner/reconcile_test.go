package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/runner"
)

// fakeHR stands in for the BambooHR API client (tested in connectors/bamboohr).
type fakeHR struct {
	terms []offboard.Termination
	since []time.Time
}

func (f *fakeHR) HRSystem() offboard.HRSystem {
	return offboard.HRSystem{Name: "bamboohr", Label: "BambooHR"}
}

func (f *fakeHR) Terminated(_ context.Context, since time.Time) ([]offboard.Termination, error) {
	f.since = append(f.since, since)
	return f.terms, nil
}

// fakeIdP stands in for the Okta client (tested in connectors/okta).
type fakeIdP struct {
	mu     sync.Mutex
	status map[string]string // email → status; absent: not found
}

func (f *fakeIdP) IdentityLabel() string { return "Okta" }

// AccountStatus reads Okta's statuses as connectors/okta does (tested
// there): SUSPENDED and DEPROVISIONED can no longer sign in.
func (f *fakeIdP) AccountStatus(_ context.Context, email string) (offboard.AccountStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.status[email]
	if !ok {
		return offboard.AccountStatus{}, nil
	}
	return offboard.AccountStatus{Found: true, Status: s, Active: s != "SUSPENDED" && s != "DEPROVISIONED"}, nil
}

func jane(kind offboard.DepartureKind, date string) offboard.Termination {
	return offboard.Termination{EmployeeID: "4242", Email: "jane@example.com", Name: "Jane Doe",
		ManagerEmail: "boss@example.com", TerminationDate: date, Kind: kind, KindMapped: true, Type: "Dismissal"}
}

func newReconciler(t *testing.T, e *env, hr offboard.TerminationSource, idp offboard.IdentityStatusSource) *runner.Reconciler {
	t.Helper()
	r, err := runner.NewReconciler(runner.ReconcileOptions{Engine: e.engine, Decide: e.engine, HR: hr, IdP: idp, Clock: e.clock, Logger: e.logger()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) casesOf(email string) []*offboard.Case {
	e.t.Helper()
	var out []*offboard.Case
	err := e.db.View(context.Background(), func(tx offboard.Tx) error {
		ids, err := tx.CaseIDsByEmail(email)
		if err != nil {
			return err
		}
		for _, id := range ids {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func run(t *testing.T, r *runner.Reconciler) runner.Report {
	t.Helper()
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestReconcile_TerminatedButActiveOpensCase(t *testing.T) {
	e := newEnv(t, envOptions{})
	hr := &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27")}}
	r := newReconciler(t, e, hr, &fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	rep := run(t, r)
	if rep.Checked != 1 || rep.StillActive != 1 || rep.Opened != 1 || rep.Flagged != 0 || len(rep.Problems) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if want := e.clock.Now().Add(-runner.DefaultLookback); hr.since[0].Sub(want).Abs() > time.Minute {
		t.Errorf("since = %v, want about %v", hr.since[0], want)
	}
	cases := e.casesOf("jane@example.com")
	if len(cases) != 1 {
		t.Fatalf("cases = %d", len(cases))
	}
	c := cases[0]
	if c.Kind != offboard.Involuntary || c.Source != offboard.ReconcileSource("bamboohr") || c.SourceRef != "4242" ||
		!c.EffectiveAt.Equal(time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)) ||
		!strings.Contains(c.Notes, "Reconciliation: terminated in BambooHR on 2026-02-27 but still ACTIVE in Okta") {
		t.Fatalf("case %+v", c)
	}
	if strings.Contains(e.logs.String(), "level=INFO") && strings.Contains(infoLines(e.logs.String()), "jane@example.com") {
		t.Errorf("an info line names the email:\n%s", e.logs.String())
	}
}

// infoLines keeps the log lines at info level or above.
func infoLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "level=DEBUG") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestReconcile_SuspendedOrUnknownOpensNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	bob := jane(offboard.Involuntary, "2026-02-27")
	bob.EmployeeID, bob.Email = "7", "bob@example.com"
	nobody := jane(offboard.Involuntary, "2026-02-27")
	nobody.EmployeeID, nobody.Email = "8", "nobody@example.com"
	gone := jane(offboard.Involuntary, "2026-02-27")
	gone.EmployeeID, gone.Email = "9", "gone@example.com"
	noEmail := jane(offboard.Involuntary, "2026-02-27")
	noEmail.EmployeeID, noEmail.Email = "10", ""
	hr := &fakeHR{terms: []offboard.Termination{bob, nobody, gone, noEmail}}
	r := newReconciler(t, e, hr, &fakeIdP{status: map[string]string{"bob@example.com": "SUSPENDED", "gone@example.com": "DEPROVISIONED"}})
	rep := run(t, r)
	if rep.Checked != 3 || rep.StillActive != 0 || rep.Opened != 0 || rep.Flagged != 0 || len(rep.Problems) != 1 ||
		!strings.Contains(rep.Problems[0], "employee 10") {
		t.Fatalf("report %+v", rep)
	}
	for _, m := range []string{"bob@example.com", "nobody@example.com", "gone@example.com"} {
		if n := len(e.casesOf(m)); n != 0 {
			t.Errorf("%s: %d cases", m, n)
		}
	}
}

func TestReconcile_TwiceOpensOneCase(t *testing.T) {
	e := newEnv(t, envOptions{})
	hr := &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27")}}
	r := newReconciler(t, e, hr, &fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	run(t, r)
	rep := run(t, r)
	if rep.Opened != 0 || rep.Flagged != 1 || rep.StillActive != 1 {
		t.Fatalf("second run %+v", rep)
	}
	if n := len(e.casesOf("jane@example.com")); n != 1 {
		t.Fatalf("cases = %d", n)
	}
}

func TestReconcile_WebhookCaseIsNotOpenedTwice(t *testing.T) {
	e := newEnv(t, envOptions{})
	// The webhook delivered first, with the intake's key.
	res, err := e.engine.Apply(context.Background(), offboard.OpenCase{
		By: offboard.System("hris:bamboohr"), Kind: offboard.Involuntary,
		Employee: offboard.Employee{HRISID: "4242", Name: "Jane Doe", Email: "jane@example.com", ManagerEmail: "boss@example.com"},
		LastDay:  "2026-03-02", Source: "hris:bamboohr", SourceRef: "4242", DedupeKey: "bamboohr:4242:2026-02-27",
	})
	if err != nil || res.Duplicate {
		t.Fatal(err, res)
	}
	r := newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27")}},
		&fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	rep := run(t, r)
	if rep.Opened != 0 || rep.Flagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	cases := e.casesOf("jane@example.com")
	if len(cases) != 1 || cases[0].ID != res.Case.ID {
		t.Fatalf("cases %+v", cases)
	}
}

func TestReconcile_OpenCaseWithOtherKeyIsFlagged(t *testing.T) {
	e := newEnv(t, envOptions{})
	first := e.open("jane@example.com", offboard.Voluntary, "2026-03-20")
	r := newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27")}},
		&fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	rep := run(t, r)
	if rep.Opened != 0 || rep.Flagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	cases := e.casesOf("jane@example.com")
	if len(cases) != 1 || cases[0].ID != first.Case.ID || !strings.Contains(cases[0].Notes, "still ACTIVE in Okta") ||
		cases[0].Kind != offboard.Involuntary {
		t.Fatalf("cases %+v", cases[0])
	}
}

func TestReconcile_PastVoluntaryLastDayIsToday(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Voluntary, "2026-02-20")}},
		&fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	rep := run(t, r)
	if rep.Opened != 1 || len(rep.Problems) != 0 {
		t.Fatalf("report %+v", rep)
	}
	c := e.casesOf("jane@example.com")[0]
	if c.Kind != offboard.Voluntary || c.LastDay != "2026-03-02" {
		t.Fatalf("case %+v", c)
	}
}

func TestReconcile_FutureTerminationIsNotChecked(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Voluntary, "2026-04-01")}},
		&fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE"}})
	if rep := run(t, r); rep.Checked != 0 || rep.Opened != 0 {
		t.Fatalf("report %+v", rep)
	}
}

// failingHR cannot list terminations.
type failingHR struct{ fakeHR }

func (f *failingHR) Terminated(context.Context, time.Time) ([]offboard.Termination, error) {
	return nil, offboard.Errorf(offboard.EUNAVAILABLE, "BambooHR answered 503")
}

// Every run is in the audit chain, a clean one too, with its figures and
// no email; a run that could not read HR is recorded as failed.
func TestReconcile_RunsAreRecorded(t *testing.T) {
	e := newEnv(t, envOptions{})
	idp := &fakeIdP{status: map[string]string{"jane@example.com": "SUSPENDED"}}
	run(t, newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27")}}, idp))
	if _, err := newReconciler(t, e, &failingHR{}, idp).Run(context.Background()); err == nil {
		t.Fatal("a run that could not read HR reported no error")
	}
	var runs []offboard.AuditEvent
	err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(ev *offboard.AuditEvent) error {
		if ev.Action == offboard.ActionReconcileRan {
			runs = append(runs, *ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("recorded runs = %d, want 2", len(runs))
	}
	clean, failed := runs[0], runs[1]
	if clean.Outcome != offboard.OutcomeOK || clean.Evidence["terminated"] != "1" || clean.Evidence["checked"] != "1" ||
		clean.Evidence["still_active"] != "0" || clean.Evidence["identity"] != "Okta" || clean.Actor.Kind != offboard.ActorSystem {
		t.Errorf("clean run: %+v", clean)
	}
	if failed.Outcome != offboard.OutcomeFailed || !strings.Contains(failed.Detail, "503") {
		t.Errorf("failed run: %+v", failed)
	}
	for _, ev := range runs {
		if strings.Contains(ev.Detail+ev.Target+strings.Join(mapValues(ev.Evidence), " "), "jane@example.com") {
			t.Errorf("a recorded run names the leaver: %+v", ev)
		}
	}
	// Only offboard records runs.
	_, err = e.engine.Apply(context.Background(), offboard.RecordReconciliation{
		By: offboard.Actor{Kind: offboard.ActorPerson, ID: "eve@example.com", Email: "eve@example.com"}, HR: "BambooHR", Identity: "Okta"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("a person recorded a run: %v", err)
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
