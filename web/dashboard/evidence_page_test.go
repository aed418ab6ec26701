package dashboard_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web/dashboard"
)

// evidenceLeavers writes leavers through the store the way the engine
// records them: OFF-0001 involuntary, revoked in 20 minutes; OFF-0002
// voluntary, revoked the day after the last day; OFF-0003 voluntary, in
// time, with a failure and a skipped task; OFF-0004 voluntary, last day
// still ahead (pending); OFF-0005 started in October, outside November.
func evidenceLeavers(t *testing.T, db *store.DB) {
	t.Helper()
	it := offboard.Actor{Kind: offboard.ActorPerson, ID: "ida@example.com", Email: "ida@example.com"}
	runner := offboard.System("runner")
	err := db.Update(context.Background(), func(tx offboard.Tx) error {
		put := func(kind offboard.DepartureKind, name, lastDay string, notice time.Time, revoked *time.Time, events ...*offboard.AuditEvent) error {
			id, err := tx.NextCaseID()
			if err != nil {
				return err
			}
			status := offboard.CaseCompleted
			if revoked == nil {
				status = offboard.CaseOpen
			}
			c := &offboard.Case{ID: id, Kind: kind, LastDay: lastDay, TimeZone: "UTC", NoticeAt: notice, EffectiveAt: notice, RevokedAt: revoked,
				Status: status, Source: "slack", Requester: it, CreatedAt: notice, UpdatedAt: notice,
				Employee: offboard.Employee{Name: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@example.com"}}
			if err := tx.PutCase(c); err != nil {
				return err
			}
			for i, e := range append([]*offboard.AuditEvent{{Action: "case.opened", Actor: it, Outcome: offboard.OutcomeOK}}, events...) {
				e.CaseID, e.Time = id, notice.Add(time.Duration(i)*time.Minute)
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		}
		at := func(t time.Time) *time.Time { return &t }
		n1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		if err := put(offboard.Involuntary, "Mallory Marsh", "2026-11-02", n1, at(n1.Add(20*time.Minute))); err != nil {
			return err
		}
		if err := put(offboard.Voluntary, "Victor Vance", "2026-11-05", n1.Add(24*time.Hour), at(time.Date(2026, 11, 6, 10, 0, 0, 0, time.UTC))); err != nil {
			return err
		}
		if err := put(offboard.Voluntary, "Sally Skipper", "2026-11-06", n1.Add(48*time.Hour), at(time.Date(2026, 11, 6, 17, 0, 0, 0, time.UTC)),
			&offboard.AuditEvent{Action: "task.failed", Target: "okta_suspend", Actor: runner, Outcome: offboard.OutcomeFailed, Detail: "Okta answered 500"},
			&offboard.AuditEvent{Action: "task.skipped", Target: "slack_deactivate", Actor: it, Outcome: offboard.OutcomeOK, Detail: "contractor has no Slack account"}); err != nil {
			return err
		}
		if err := put(offboard.Voluntary, "Penny Pending", "2026-11-27", time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC), nil); err != nil {
			return err
		}
		return put(offboard.Involuntary, "Otto October", "2026-10-10", time.Date(2026, 10, 10, 9, 0, 0, 0, time.UTC), at(time.Date(2026, 10, 10, 9, 30, 0, 0, time.UTC)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func evidenceServer(t *testing.T, roles map[string][]offboard.Role) (*store.DB, http.Handler) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := offboard.ClockFunc(func() time.Time { return base })
	eng := flowstest.New(t, flowstest.Options{Store: db, Clock: clock, Roles: func(e string) []offboard.Role { return roles[e] }})
	h, err := dashboard.New(dashboard.Options{Engine: eng, Audit: db.AuditEvents, Verify: db.VerifyAudit, Clock: clock, CacheTTL: -1,
		ViewerOf: func(r *http.Request) (offboard.Actor, bool) {
			as := r.Header.Get("X-Test-As")
			return offboard.Actor{Kind: offboard.ActorPerson, ID: as, Email: as, Roles: roles[as]}, as != ""
		},
		Evidence: func(ctx context.Context, from, to time.Time) (dashboard.EvidencePack, error) {
			return evidence.Build(ctx, db, evidence.Options{From: from, To: to, Now: base})
		}})
	if err != nil {
		t.Fatal(err)
	}
	return db, h
}

func getAs(h http.Handler, as, target string) resp {
	req := httptest.NewRequest("GET", target, nil)
	req.Header.Set("X-Test-As", as)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return resp{w.Code, w.Header(), w.Body.String()}
}

// indexCSV reads index.csv out of the pack the download serves.
func indexCSV(t *testing.T, h http.Handler, as, query string) [][]string {
	t.Helper()
	r := getAs(h, as, "/evidence.zip?"+query)
	if r.status != http.StatusOK {
		t.Fatalf("download: %d", r.status)
	}
	zr, err := zip.NewReader(strings.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("index.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// leaverRow reads a row of the leavers' table; each cell carries its
// column's name (data-label) for the phone layout.
var leaverRow = regexp.MustCompile(`(?s)<tr>\s*<th scope="row"[^>]*><a href="/cases/(OFF-\d+)">OFF-\d+</a></th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>(?:<span class="\w+">)?([^<]*)(?:</span>)?</td>\s*<td[^>]*>(\d+)</td>`)

// The Evidence page shows what the pack says for the same period: the
// leavers, each one's time to revocation and verdict, % within SLA and
// the exceptions, for admins and Security; HR is refused.
func TestDashboard_EvidencePage(t *testing.T) {
	roles := map[string][]offboard.Role{"ada.admin@example.com": {offboard.RoleAdmin}, "sam.sec@example.com": {offboard.RoleSecurity}, "hana.hr@example.com": {offboard.RoleHR}}
	db, h := evidenceServer(t, roles)
	evidenceLeavers(t, db)
	const period = "from=2026-11-01&to=2026-11-30"
	for _, as := range []string{"ada.admin@example.com", "sam.sec@example.com"} {
		r := getAs(h, as, "/evidence?"+period)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", as, r.status, r.body)
		}
		wellFormed(t, r)
		index := indexCSV(t, h, as, period)
		got := leaverRow.FindAllStringSubmatch(r.body, -1)
		if len(got) != len(index) || len(index) != 4 {
			t.Fatalf("%s: the page shows %d leavers, index.csv %d (want 4)", as, len(got), len(index))
		}
		var verdicts []string
		for _, row := range index {
			verdicts = append(verdicts, row[10])
		}
		if v := strings.Join(verdicts, " "); v != "within outside within pending" {
			t.Errorf("%s: index.csv verdicts %q", as, v)
		}
		within, judged, exceptions := 0, 0, 0
		for i, row := range index {
			id, ttr, verdict, n := row[0], row[7], row[10], row[12]
			// index.csv and the page say it the same way (offboard.Humanize).
			wantTTR := ttr
			if ttr == "" {
				wantTTR = "—"
			}
			if g := got[i]; g[1] != id || g[3] != wantTTR || g[4] != evidence.VerdictLabel(verdict) || g[5] != n {
				t.Errorf("%s: page row %q, index row %q", as, g[1:], row)
			}
			switch verdict {
			case evidence.VerdictWithin:
				within, judged = within+1, judged+1
			case evidence.VerdictOutside:
				judged++
			}
			var k int
			fmt.Sscan(n, &k)
			exceptions += k
		}
		percent := fmt.Sprintf("%.1f%% (%d of %d)", float64(within)*100/float64(judged), within, judged)
		if percent != "66.7% (2 of 3)" || !strings.Contains(r.body, percent) {
			t.Errorf("%s: want %s within SLA on the page", as, percent)
		}
		if strings.Count(r.body, `<td data-label="Event">#`) != exceptions || exceptions != 2 {
			t.Errorf("%s: the page lists %d exceptions, index.csv counts %d (want 2)", as, strings.Count(r.body, `<td data-label="Event">#`), exceptions)
		}
		for _, want := range []string{"Leavers in the period: <b>4</b>", "Skipped", "contractor has no Slack account", "Failure", "Okta answered 500",
			"Outside SLA", "Within SLA", "Pending (deadline not reached)", `href="/evidence.zip?from=2026-11-01&amp;to=2026-11-30"`,
			`<a href="/evidence" aria-current="page">Evidence</a>`, "20m", "No reconciliation run is recorded in this period"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the page lacks %q", as, want)
			}
		}
		if strings.Contains(r.body, "Otto October") {
			t.Errorf("%s: an October leaver is on November's page", as)
		}
	}
	r := getAs(h, "hana.hr@example.com", "/evidence?"+period)
	if r.status != http.StatusForbidden || strings.Contains(r.body, "Mallory") {
		t.Errorf("HR: %d", r.status)
	}
	if r := getAs(h, "hana.hr@example.com", "/audit"); strings.Contains(r.body, `href="/evidence"`) {
		t.Error("HR sees the Evidence link")
	}
}

// With no period picked the page shows the last 90 days up to today; bad
// dates are 400 and a reversed period 422, each shown on the form.
func TestDashboard_EvidencePagePeriod(t *testing.T) {
	roles := map[string][]offboard.Role{"ada.admin@example.com": {offboard.RoleAdmin}}
	db, h := evidenceServer(t, roles)
	evidenceLeavers(t, db)
	r := getAs(h, "ada.admin@example.com", "/evidence")
	if r.status != http.StatusOK {
		t.Fatalf("default: %d", r.status)
	}
	// base is 2026-11-20: the 90 days before it start on 2026-08-22.
	for _, want := range []string{`name="from" value="2026-08-22"`, `name="to" value="2026-11-20"`, "2026-08-22 to 2026-11-20",
		"Leavers in the period: <b>5</b>", "Otto October", `href="/evidence.zip?from=2026-08-22&amp;to=2026-11-20"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("default period: the page lacks %q", want)
		}
	}
	for target, want := range map[string]struct {
		status int
		msg    string
	}{
		"/evidence?from=nope&to=2026-11-30":       {http.StatusBadRequest, "Bad value for from"},
		"/evidence?from=2026-11-01&to=30.11.2026": {http.StatusBadRequest, "Bad value for to"},
		"/evidence?from=2026-11-30&to=2026-11-01": {http.StatusUnprocessableEntity, "ends before it starts"},
	} {
		r := getAs(h, "ada.admin@example.com", target)
		if r.status != want.status || !strings.Contains(r.body, want.msg) || !strings.Contains(r.body, `action="/evidence"`) || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("%s = %d, want %d with %q on the form", target, r.status, want.status, want.msg)
		}
		if strings.Contains(r.body, "Mallory") || strings.Contains(r.body, "Download evidence") {
			t.Errorf("%s: a refused period still shows leavers", target)
		}
	}
	if r := getAs(h, "ada.admin@example.com", "/evidence?from=nope"); !strings.Contains(r.body, `value="nope"`) {
		t.Error("the refused value is not shown back for correcting")
	}
}
