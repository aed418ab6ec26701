package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web/dashboard"
)

// Each signed-in person sees only what CanViewCase allows them: Finance
// not the confidential case (not on the index, its page, the audit page
// or the exports), someone without a role only the case they manage, HR
// everything.
func TestDashboard_ViewerSeesOnlyTheirCases(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	roles := map[string][]offboard.Role{"hana.hr@example.com": {offboard.RoleHR}, "fiona.finance@example.com": {offboard.RoleFinance}}
	clock := offboard.ClockFunc(func() time.Time { return base })
	eng := flowstest.New(t, flowstest.Options{Store: db, Clock: clock, Roles: func(e string) []offboard.Role { return roles[e] }})
	person := func(email string) offboard.Actor {
		return offboard.Actor{Kind: offboard.ActorPerson, ID: email, Email: email, Roles: roles[email]}
	}
	h, err := dashboard.New(dashboard.Options{Engine: eng, Audit: db.AuditEvents, Verify: db.VerifyAudit, Clock: clock, CacheTTL: time.Minute,
		ViewerOf: func(r *http.Request) (offboard.Actor, bool) {
			if as := r.Header.Get("X-Test-As"); as != "" {
				return person(as), true
			}
			return offboard.Actor{}, false
		}})
	if err != nil {
		t.Fatal(err)
	}
	open := func(name, email, manager string, confidential bool) offboard.CaseID {
		res, err := eng.Apply(context.Background(), offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Voluntary, LastDay: "2026-11-27",
			Employee: offboard.Employee{Name: name, Email: email, ManagerEmail: manager}, Confidential: &confidential, Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Case.ID
	}
	secret := open("Carl Secret", "carl.secret@example.com", "max.boss@example.com", true)
	plain := open("Nora Plain", "nora.plain@example.com", "mona.manager@example.com", false)
	get := func(as, method, target string) (int, string) {
		req := httptest.NewRequest(method, target, nil)
		if as != "" {
			req.Header.Set("X-Test-As", as)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	// sees reports what a viewer's pages show of each case.
	type view struct{ index, page, audit, csv, json bool }
	seen := func(as string, id offboard.CaseID, name string) view {
		var v view
		_, body := get(as, "GET", "/")
		v.index = strings.Contains(body, string(id))
		code, body := get(as, "GET", "/cases/"+string(id))
		v.page = code == 200 && strings.Contains(body, name)
		_, body = get(as, "GET", "/audit")
		v.audit = strings.Contains(body, `href="/cases/`+string(id)+`"`)
		_, body = get(as, "GET", "/audit.csv")
		v.csv = strings.Contains(body, string(id))
		_, body = get(as, "GET", "/audit.json")
		v.json = strings.Contains(body, string(id))
		return v
	}
	all, none := view{true, true, true, true, true}, view{}
	for _, tc := range []struct {
		as            string
		secret, plain view
	}{
		{"hana.hr@example.com", all, all},
		{"fiona.finance@example.com", none, all},
		{"mona.manager@example.com", none, all},
		{"nobody@example.com", none, none},
	} {
		if got := seen(tc.as, secret, "Carl Secret"); got != tc.secret {
			t.Errorf("%s sees the confidential case as %+v, want %+v", tc.as, got, tc.secret)
		}
		if got := seen(tc.as, plain, "Nora Plain"); got != tc.plain {
			t.Errorf("%s sees the plain case as %+v, want %+v", tc.as, got, tc.plain)
		}
	}
	if code, _ := get("fiona.finance@example.com", "GET", "/audit?case="+string(secret)); code != http.StatusForbidden {
		t.Errorf("Finance filtering the audit by the confidential case: %d", code)
	}
	if code, _ := get("fiona.finance@example.com", "POST", "/audit/verify"); code != http.StatusForbidden {
		t.Errorf("Finance verifying the whole chain: %d", code)
	}
	if code, _ := get("hana.hr@example.com", "POST", "/audit/verify"); code != http.StatusOK {
		t.Errorf("HR verifying the chain: %d", code)
	}
	if code, _ := get("", "GET", "/"); code != http.StatusUnauthorized {
		t.Errorf("nobody signed in: %d", code)
	}
}
