package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// A company on Microsoft Entra ID alone (no Okta) offboards Jane
// involuntarily: serve disables her account, revokes her sessions,
// removes her MFA methods and her consent grants in the fake Graph with
// no click, authenticating with the app's certificate; each task carries
// its read-back evidence, no Okta task is in the case, and the audit
// chain verifies.
func TestServe_InvoluntaryRevokedWithEntra(t *testing.T) {
	fake := graphtest.New(t)
	// Jane's manager is in the tenant too: Entra is also the directory, and
	// once serve's first read of it has run, a manager it does not know is
	// rightly refused.
	fake.AddUser(graphtest.User{UserPrincipalName: "mona.manager@example.com", Mail: "mona.manager@example.com",
		DisplayName: "Mona Manager", AccountEnabled: true})
	id := fake.AddUser(graphtest.User{UserPrincipalName: "jane.doe@example.com", Mail: "jane.doe@example.com",
		DisplayName: "Jane Doe", AccountEnabled: true,
		Methods: []graphtest.Method{{Type: "microsoftAuthenticatorAuthenticationMethod"}, {Type: "phoneAuthenticationMethod"}}})
	fake.AddGrant(graphtest.Grant{PrincipalID: id, ClientID: "app-1", Scope: "Mail.Read"})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "entra_cert.pem"), fake.CertificatePEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "entra_key.pem"), fake.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`entra:
  tenant_id: %q
  client_id: %q
  certificate_file: entra_cert.pem
  private_key_file: entra_key.pem
  graph_url: %q
  login_url: %q
`, graphtest.TenantID, graphtest.ClientID, fake.URL, fake.URL))
	app := startApp(t, cfgPath, wireOptions{})

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	revocations := []string{"entra_suspend", "entra_clear_sessions", "entra_reset_mfa", "entra_revoke_grants"}
	var v offboard.CaseView
	eventually(t, "Entra revocations done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, k := range revocations {
			if taskByKey(v, k).Status != offboard.TaskDone {
				return false
			}
		}
		return v.Case.RevokedAt != nil
	})
	u, _ := fake.User(id)
	if u.AccountEnabled || u.SessionsValidFrom.IsZero() || len(u.Methods) != 0 || len(fake.GrantsOf(id)) != 0 {
		t.Fatalf("Entra user after revocation: %+v, grants %v", u, fake.GrantsOf(id))
	}
	for _, k := range revocations {
		if ev := taskByKey(v, k).Evidence; ev["user_id"] != id {
			t.Errorf("%s evidence %v", k, ev)
		}
	}
	if ev := taskByKey(v, "entra_suspend").Evidence; ev["account_enabled_before"] != "true" || ev["account_enabled_after"] != "false" {
		t.Errorf("suspend evidence %v", ev)
	}
	if ev := taskByKey(v, "entra_clear_sessions").Evidence; !strings.Contains(ev["note"], "few minutes") {
		t.Errorf("sessions evidence %v", ev)
	}
	// Deactivation (app assignments, groups, licenses) waits for the
	// data transfers, as Okta's does.
	if st := taskByKey(v, "entra_deactivate").Status; st != offboard.TaskPending {
		t.Fatalf("entra_deactivate = %s, want pending behind the data transfers", st)
	}
	for _, task := range v.Tasks {
		if strings.HasPrefix(task.Key, "okta_") {
			t.Errorf("an Entra-only company's case has the Okta task %s", task.Key)
		}
	}
	// The safe order: the first write to Graph disabled the account. A
	// $batch envelope is no write itself: its items are recorded one by one
	// (the directory's time-zone reads come in batches of GETs).
	for _, req := range fake.Requests() {
		if req.Method != "GET" && strings.HasPrefix(req.Path, "/v1.0/") && req.Path != "/v1.0/$batch" {
			if req.Method != "PATCH" {
				t.Fatalf("first write to Graph = %s %s, want the PATCH of accountEnabled", req.Method, req.Path)
			}
			break
		}
	}
	app.stop()
	code, out, _ := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	if code != 0 || !strings.Contains(out, `"action":"case.access_revoked"`) || !strings.Contains(out, `"account_enabled_after":"false"`) {
		t.Fatalf("audit export lacks the revocation evidence:\n%s", out)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify = %d %s %s", code, out, errOut)
	}
}

// The webhook was lost and the company is on Entra ID: BambooHR says
// Jane was dismissed yesterday, her Entra account is still enabled. The
// reconciliation reads her status from Entra ID, opens the case, and the
// runner disables her account.
func TestServe_ReconcileWithEntra(t *testing.T) {
	fake := graphtest.New(t)
	id := fake.AddUser(graphtest.User{UserPrincipalName: "jane.doe@example.com", Mail: "jane.doe@example.com", AccountEnabled: true})
	bamboo := bamboohrtest.New(t)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	bamboo.AddEmployee(bamboohrtest.Employee{ID: "4242", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane.doe@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": yesterday, "terminationType": "Dismissal",
	}})
	cfgPath := writeConfig(t, t.TempDir(), fmt.Sprintf(`entra:
  tenant_id: %q
  client_id: %q
  client_secret: %q
  graph_url: %q
  login_url: %q
hris:
  bamboohr:
    api_key: %q
    subdomain: %q
`, graphtest.TenantID, graphtest.ClientID, graphtest.ClientSecret, fake.URL, fake.URL, bamboohrtest.Key, bamboohrtest.Subdomain))
	live := startApp(t, cfgPath, wireOptions{bamboohrBaseURL: bamboo.URL()})
	if live.app.reconciler == nil {
		t.Fatalf("reconciliation is off: %s", live.app.reconcileOff)
	}
	var v offboard.CaseView
	eventually(t, "disabled in Entra ID", func() bool {
		v = call(t, "GET", live.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		u, _ := fake.User(id)
		task := taskByKey(v, "entra_suspend")
		return !u.AccountEnabled && task != nil && task.Status == offboard.TaskDone
	})
	if v.Case.Source != "reconcile:bamboohr" || !strings.Contains(v.Case.Notes, "Microsoft Entra ID") {
		t.Fatalf("case %+v", v.Case)
	}
}
