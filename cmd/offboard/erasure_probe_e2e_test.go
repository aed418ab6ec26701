package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// TestServe_ErasureAfterRevocation: a case whose Okta revocations ran
// (so vendor read-backs, evidence and jobs name the leaver) is erased;
// nothing of the leaver's name, email, HR id, title or location is left
// in the store file, and the chain still verifies.
func TestServe_ErasureAfterRevocation(t *testing.T) {
	const consoleToken = "console-token-0123456789"
	fake := oktatest.New(t)
	fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Janelle", LastName: "Doemeyer",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"oag1"}, Sessions: 2, OAuthTokens: 1,
		Apps: []oktatest.App{{ID: "0oa1", Label: "Slack", AppName: "slack"}}})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
retention:
  personal_data: 30d
console:
  enabled: true
  token: %q
`, fake.URL(), oktatest.Token, consoleToken))
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	app := startApp(t, cfgPath, wireOptions{clock: clock})

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"Jane.Doe@example.com","name":"Janelle Doemeyer","hris_id":"EMP-77341","title":"Principal Zymurgist","location":"Quahogville","manager_email":"mona.manager@example.com"},"kind":"involuntary","confirm_unknown":true,"notes":"Janelle asked to keep her Zymurgist badge"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	eventually(t, "revocations done", func() bool {
		v := readCase(t, app, id)
		return v.Case.RevokedAt != nil && taskByKey(v, "okta_suspend").Status == offboard.TaskDone
	})
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"Janelle Doemeyer handled by hand"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	clock.Advance(31 * 24 * time.Hour)
	app.app.eraseDue(context.Background(), 30*24*time.Hour, app.app.log)
	if v := readCase(t, app, id); v.Case.ErasedAt == nil {
		t.Fatalf("not erased: %+v", v.Case.Employee)
	}
	// Every reader: the dashboard's pages and downloads, the console, the API.
	day := clock.Now().AddDate(0, 0, -31)
	period := "from=" + day.AddDate(0, 0, -1).Format("2006-01-02") + "&to=" + day.AddDate(0, 0, 1).Format("2006-01-02")
	readers := map[string]string{}
	for _, path := range []string{"/", "/cases/" + string(id), "/?q=Janelle", "/audit", "/audit.csv", "/audit.json",
		"/evidence?" + period, "/console", "/console/rooms/" + string(id)} {
		code, body := getPage(t, app.url+path, consoleToken)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d", path, code)
		}
		readers[path] = body
	}
	for _, path := range []string{"/api/v1/cases/" + string(id), "/api/v1/cases?email=jane.doe@example.com"} {
		readers[path] = string(call(t, "GET", app.url+path, hrToken, "").body)
	}
	code, zipBody := getPage(t, app.url+"/evidence.zip?"+period, consoleToken)
	if code != http.StatusOK {
		t.Fatalf("GET /evidence.zip = %d", code)
	}
	zipPath := filepath.Join(dir, "dashboard-pack.zip")
	writeFile(t, zipPath, zipBody)
	for name, body := range unzip(t, zipPath) {
		readers["pack:"+name] = body
	}
	if !strings.Contains(readers["/cases/"+string(id)], "erased on") || !strings.Contains(readers["pack:cases/"+string(id)+".html"], "erased on") {
		t.Error("the case page or the pack does not say erased on")
	}
	// The console's start page shows "/offboard jane.doe@example.com
	// involuntary" as an example; its rooms must not.
	readers["/console"] = strings.ReplaceAll(readers["/console"], "/offboard jane.doe@example.com", "")
	// The search form shows what was searched for; the results must not.
	readers["/?q=Janelle"] = strings.ReplaceAll(readers["/?q=Janelle"], `value="Janelle"`, "")
	for where, body := range readers {
		low := strings.ToLower(body)
		for _, s := range []string{"jane.doe", "janelle", "doemeyer", "emp-77341", "zymurgist", "quahogville"} {
			if i := strings.Index(low, s); i >= 0 {
				t.Errorf("%s shows %q after erasure: …%s…", where, s, body[max(0, i-100):min(len(body), i+60)])
			}
		}
	}
	app.stop()

	raw, err := os.ReadFile(filepath.Join(dir, "offboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	low := bytes.ToLower(raw)
	for _, s := range []string{"jane.doe", "janelle", "doemeyer", "emp-77341", "zymurgist", "quahogville"} {
		for from := 0; ; {
			i := bytes.Index(low[from:], []byte(s))
			if i < 0 {
				break
			}
			i += from
			lo, hi := max(0, i-120), min(len(raw), i+80)
			t.Errorf("the store file still holds %q: …%s…", s, strings.ToValidUTF8(string(raw[lo:hi]), "?"))
			from = i + len(s)
		}
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
}

// TestRestore_BackupBeforeErasure: restoring a backup taken before an
// erasure brings the leaver's data back; restore says so and names the
// cases, the chain verifies, and erase --due takes the data out again.
func TestRestore_BackupBeforeErasure(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "retention:\n  personal_data: 30d\n")
	// The case closes 40 days ago, so it is due at the real time the CLI reads.
	clock := testclock.New(time.Now().UTC().Add(-40 * 24 * time.Hour).Truncate(time.Second))
	app := startApp(t, cfgPath, wireOptions{clock: clock})
	id := closedJaneCase(t, app, clock, "mistake")
	app.stop()
	dbPath := filepath.Join(dir, "offboard.db")
	backup := filepath.Join(t.TempDir(), "offboard-before-erasure.db")
	writeFile(t, backup, readFile(t, dbPath))

	clock.Advance(31 * 24 * time.Hour)
	app = startApp(t, cfgPath, wireOptions{clock: clock})
	app.app.eraseDue(context.Background(), 30*24*time.Hour, app.app.log)
	if v := readCase(t, app, id); v.Case.ErasedAt == nil {
		t.Fatalf("not erased: %+v", v.Case.Employee)
	}
	app.stop()

	code, out, errOut := runCLI("restore", "--config", cfgPath, "--from", backup)
	if code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "holding the leaver's personal data again") || !strings.Contains(out, "1 case, first "+string(id)) {
		t.Errorf("restore does not say the erased case's data is back:\n%s", out)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("verify after restore: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCLI("erase", "--config", cfgPath, "--due", "--reason", "erased again after a restore"); code != 0 || !strings.Contains(out, "personal data erased") {
		t.Fatalf("erase --due: %d %s %s", code, out, errOut)
	}
	if raw := readFile(t, dbPath); strings.Contains(strings.ToLower(raw), "jane") {
		t.Error("the store file holds Jane after erase --due")
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 {
		t.Fatalf("verify after the second erasure: %d %s %s", code, out, errOut)
	}
	// Nothing due any more: restore's note is not printed again for it.
	code, out, _ = runCLI("erase", "--config", cfgPath, "--dry-run")
	if code != 0 || !strings.Contains(out, "due for erasure (closed more than 30d ago): 0") {
		t.Errorf("dry run after erase --due: %d %s", code, out)
	}
}
