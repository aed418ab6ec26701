package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// A case finds its Okta user once: the first action looks Jane up by
// email, the engine records her id on the case and its queued jobs, and
// every later action goes straight to /users/{id}.
func TestServe_OktaUserLookedUpOncePerCase(t *testing.T) {
	fake := oktatest.New(t)
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		ManagerID: "mona.manager@example.com", Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"oag1"}, Sessions: 2,
		Apps: []oktatest.App{{ID: "0oa1", Label: "Slack", AppName: "slack"}}})
	cfgPath := writeConfig(t, t.TempDir(), fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n",
		fake.URL(), oktatest.Token))
	app := startApp(t, cfgPath, wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	keys := []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants", "reclaim_licenses"}
	var v offboard.CaseView
	eventually(t, "revocations and the app report done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, k := range keys {
			if taskByKey(v, k).Status != offboard.TaskDone {
				return false
			}
		}
		return true
	})
	app.stop()

	perPath := map[string]int{}
	var lines []string
	search := 0
	for _, req := range fake.Requests() {
		perPath[req.Method+" "+req.Path]++
		if req.Path == "/api/v1/users" && strings.Contains(req.Query, "search=") {
			search++ // the directory lists users too, without a search
		}
	}
	for p, n := range perPath {
		lines = append(lines, fmt.Sprintf("%3d %s", n, p))
	}
	byLogin := perPath["GET /api/v1/users/jane.doe@example.com"]
	byID := perPath["GET /api/v1/users/"+jane.ID]
	// Suspend reads her by email before it writes and by id after; the
	// other four actions read nothing but what they change.
	if byLogin != 1 || byID != 1 || search != 0 {
		t.Errorf("user reads: by email %d, by id %d, searches %d; want 1, 1, 0\n%s", byLogin, byID, search, strings.Join(lines, "\n"))
	}
	for _, k := range keys {
		if ev := taskByKey(v, k).Evidence; ev["okta_user_id"] != jane.ID {
			t.Errorf("%s evidence names user %q, want %s", k, ev["okta_user_id"], jane.ID)
		}
	}
	got, _ := fake.User(jane.ID)
	if got.Status != "SUSPENDED" || got.Sessions != 0 || len(got.Factors) != 0 || len(got.Grants) != 0 {
		t.Errorf("Okta user after revocation: %+v", got)
	}
	t.Logf("Okta requests for one involuntary exit with the app report: %d\n%s", len(fake.Requests()), strings.Join(lines, "\n"))
}
