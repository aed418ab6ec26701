package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/flows"
)

// Involuntary means now: a case opened through the API suspends Jane,
// clears her sessions and tokens, resets her MFA and revokes her grants
// in the fake Okta with no click, verifies each by reading her back, and
// stops the case clock; deactivation waits for the data transfers.
func TestServe_InvoluntaryRevokedAndVerifiedWithOkta(t *testing.T) {
	fake := oktatest.New(t)
	fake.AddGroup(oktatest.Group{ID: "00gengineering", Name: "Engineering", Type: "OKTA_GROUP"})
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		Factors: []oktatest.Factor{{FactorType: "push"}, {FactorType: "token:software:totp"}}, Grants: []string{"oag1", "oag2"},
		Sessions: 3, OAuthTokens: 2, Groups: []string{"00gengineering"},
		Apps: []oktatest.App{{ID: "0oa1", Label: "Slack", AppName: "slack"}, {ID: "0oa2", Label: "Google Workspace", AppName: "google"}}})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
licenses:
  slack: 8.75
  google: 12
`, fake.URL(), oktatest.Token))
	app := startApp(t, cfgPath, wireOptions{})

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	revocations := []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}
	var v flows.CaseView
	eventually(t, "revocations done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, k := range append(revocations, "reclaim_licenses") {
			if taskByKey(v, k).Status != offboard.TaskDone {
				return false
			}
		}
		return v.Case.RevokedAt != nil
	})
	got, _ := fake.User(jane.ID)
	if got.Status != "SUSPENDED" || got.Sessions != 0 || got.OAuthTokens != 0 || len(got.Factors) != 0 || len(got.Grants) != 0 {
		t.Fatalf("Okta user after revocation: %+v", got)
	}
	for _, k := range revocations {
		ev := taskByKey(v, k).Evidence
		if ev["okta_user_id"] != jane.ID || ev["okta_request_id"] == "" || ev["read_back"] == "" {
			t.Errorf("%s evidence %v", k, ev)
		}
	}
	if ev := taskByKey(v, "okta_suspend").Evidence; ev["status_before"] != "ACTIVE" || ev["status_after"] != "SUSPENDED" {
		t.Errorf("suspend evidence %v", ev)
	}
	if ev := taskByKey(v, "reclaim_licenses").Evidence; !strings.Contains(ev["apps"], "Slack") || ev["monthly_seat_cost"] != "20.75" {
		t.Errorf("app report evidence %v", ev)
	}
	// Deactivation (which unassigns every app) waits for the transfers.
	if st := taskByKey(v, "okta_deactivate").Status; st != offboard.TaskPending {
		t.Fatalf("okta_deactivate = %s, want pending behind the data transfers", st)
	}
	if n := fake.DeleteUserCalls(); n != 0 {
		t.Fatalf("offboard called DELETE /users/{id} %d times", n)
	}
	// The safe order: suspend went to Okta before anything else changed.
	var writes []string
	for _, req := range fake.Requests() {
		if req.Method != "GET" {
			writes = append(writes, req.Method+" "+req.Path)
		}
	}
	if len(writes) == 0 || !strings.HasSuffix(writes[0], "/lifecycle/suspend") {
		t.Fatalf("first write to Okta = %v, want the suspend", writes)
	}
	app.stop()
	code, out, _ := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	if code != 0 || !strings.Contains(out, `"action":"case.access_revoked"`) || !strings.Contains(out, `"okta_request_id"`) {
		t.Fatalf("audit export lacks the revocation evidence:\n%s", out)
	}
}
