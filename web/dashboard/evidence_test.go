package dashboard_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web/dashboard"
)

// The evidence download: admins, Security and auditors get the zip of the period's
// leavers (the same pack as offboard evidence), HR is refused, bad dates
// say which field is wrong, and the form shows only to those who may use it.
func TestDashboard_Evidence(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	roles := map[string][]offboard.Role{"ada.admin@example.com": {offboard.RoleAdmin}, "sam.sec@example.com": {offboard.RoleSecurity}, "hana.hr@example.com": {offboard.RoleHR},
		"audrey.auditor@example.com": {offboard.RoleAuditor}}
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
	confidential := true
	res, err := eng.Apply(context.Background(), offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary, LastDay: "2026-11-20",
		Employee: offboard.Employee{Name: "Carl Secret", Email: "carl.secret@example.com", ManagerEmail: "max.boss@example.com"}, Confidential: &confidential, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(as, target string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("X-Test-As", as)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, as := range []string{"ada.admin@example.com", "sam.sec@example.com", "audrey.auditor@example.com"} {
		w := get(as, "/evidence.zip?from=2026-11-01&to=2026-11-30")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" ||
			!strings.Contains(w.Header().Get("Content-Disposition"), "offboard-evidence-2026-11-01-to-2026-11-30.zip") {
			t.Fatalf("%s: %d %v", as, w.Code, w.Header())
		}
		zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		if !names["index.csv"] || !names["cases/"+string(res.Case.ID)+".html"] || !names["summary.html"] || !names["controls.html"] {
			t.Errorf("%s: the zip holds %v", as, names)
		}
		if page := get(as, "/audit"); !strings.Contains(page.Body.String(), `action="/evidence.zip"`) {
			t.Errorf("%s: the audit page has no evidence form", as)
		}
	}
	if w := get("hana.hr@example.com", "/evidence.zip?from=2026-11-01&to=2026-11-30"); w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "Carl Secret") {
		t.Errorf("HR: %d", w.Code)
	}
	if page := get("hana.hr@example.com", "/audit"); strings.Contains(page.Body.String(), `action="/evidence.zip"`) {
		t.Error("HR sees the evidence form")
	}
	for target, want := range map[string]int{
		"/evidence.zip?from=nope&to=2026-11-30":       http.StatusBadRequest,
		"/evidence.zip?from=2026-11-01":               http.StatusBadRequest,
		"/evidence.zip?from=2026-11-30&to=2026-11-01": http.StatusUnprocessableEntity,
	} {
		if w := get("ada.admin@example.com", target); w.Code != want {
			t.Errorf("%s = %d, want %d", target, w.Code, want)
		}
	}
}
