package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// Involuntary means now: a case opened through the API suspends Jane,
// clears her sessions and tokens, resets her MFA and revokes her grants
// in the fake Okta with no click, verifies each by reading her back, and
// stops the case clock; deactivation waits for the data transfers.
func TestServe_InvoluntaryRevokedAndVerifiedWithOkta(t *testing.T) {
	fake := oktatest.New(t)
	fake.AddGroup(oktatest.Group{ID: "00gengineering", Name: "Engineering", Type: "OKTA_GROUP"})
	// Okta names Mona as Jane's manager, so the directory knows the
	// manager the notice gives.
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		ManagerID: "mona.manager@example.com",
		Factors:   []oktatest.Factor{{FactorType: "push"}, {FactorType: "token:software:totp"}}, Grants: []string{"oag1", "oag2"},
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
	var v offboard.CaseView
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

// The whole no-human path: BambooHR says Jane was terminated
// (involuntary); offboard verifies the signature, opens the case and
// revokes and verifies her Okta access with no click. A forged delivery
// is refused and audited, and opens nothing.
func TestServe_BambooHRTerminationRevokesOkta(t *testing.T) {
	fake := oktatest.New(t)
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"oag1"}, Sessions: 2})
	const secret = "bamboo-webhook-secret-0123456789"
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
hris:
  bamboohr:
    webhook_secret: %q
`, fake.URL(), oktatest.Token, secret))
	app := startApp(t, cfgPath, wireOptions{})
	today := time.Now().UTC().Format("2006-01-02")
	body := fmt.Sprintf(`{"employees":[{"id":"4242","action":"Updated","changedFields":["employmentHistoryStatus"],
"fields":{"employmentHistoryStatus":"Terminated","terminationDate":%q,"terminationType":"Termination (Involuntary)",
"workEmail":"jane.doe@example.com","firstName":"Jane","lastName":"Doe"},"timestamp":"%s"}]}`, today, time.Now().UTC().Format(time.RFC3339))
	post := func(sig string) apiResponse {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		if sig == "" {
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(body + ts))
			sig = hex.EncodeToString(mac.Sum(nil))
		}
		req, _ := http.NewRequest("POST", app.url+"/webhooks/bamboohr", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-BambooHR-Timestamp", ts)
		req.Header.Set("X-BambooHR-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return apiResponse{status: resp.StatusCode, body: b}
	}
	if r := post(strings.Repeat("0", 64)); r.status != 401 || strings.Contains(string(r.body), "OFF-") {
		t.Fatalf("forged delivery = %d %s", r.status, r.body)
	}
	if r := post(""); r.status != 202 || !strings.Contains(string(r.body), "OFF-0001") {
		t.Fatalf("signed delivery = %d %s", r.status, r.body)
	}
	// BambooHR delivers again: same case.
	if r := post(""); r.status != 202 || !strings.Contains(string(r.body), `"duplicate":true`) {
		t.Fatalf("redelivery = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "revoked and verified", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		return v.Case.RevokedAt != nil
	})
	if v.Case.Kind != offboard.Involuntary || v.Case.Source != "hris:bamboohr" || v.Case.EffectiveAt.IsZero() {
		t.Fatalf("case from BambooHR: %+v", v.Case)
	}
	if got, _ := fake.User(jane.ID); got.Status != "SUSPENDED" || got.Sessions != 0 || len(got.Factors) != 0 || len(got.Grants) != 0 {
		t.Fatalf("Okta after the webhook: %+v", got)
	}
	app.stop()
	_, out, _ := runCLI("audit", "export", "--config", cfgPath)
	if !strings.Contains(out, `"action":"webhook.rejected"`) || strings.Contains(out, secret) {
		t.Fatalf("the forged delivery is not audited (or the secret leaked):\n%s", out)
	}
}
