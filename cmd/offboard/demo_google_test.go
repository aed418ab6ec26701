package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// The Google demo points the google section at a live fake on loopback
// with the fake's service account key and its administrator, leaves Okta
// and Entra off, prices the demo SKU, and logs what runs without the key.
func TestStartDemo_Google(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: google\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	stop, err := startDemo(cfg, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.GoogleEnabled() || cfg.OktaEnabled() || cfg.EntraEnabled() {
		t.Fatalf("google %v okta %v entra %v", cfg.GoogleEnabled(), cfg.OktaEnabled(), cfg.EntraEnabled())
	}
	g := cfg.Google
	if !strings.HasPrefix(g.APIURL, "http://127.0.0.1:") || g.AdminEmail != demoGoogleAdmin ||
		!strings.Contains(g.ServiceAccountKey.Reveal(), `"token_uri": "`+g.APIURL+`/token"`) {
		t.Fatalf("google section: api_url %q admin %q", g.APIURL, g.AdminEmail)
	}
	if len(g.Licenses) != 1 || cfg.Licenses[g.Licenses[0].SKUID] == 0 {
		t.Errorf("licenses %+v priced %v", g.Licenses, cfg.Licenses)
	}
	resp, err := http.Get(g.APIURL + "/admin/directory/v1/users/jane.doe@example.com")
	if err != nil {
		t.Fatalf("the fake does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the Directory API without a token = %d, want 401", resp.StatusCode)
	}
	out := logged.String()
	if !strings.Contains(out, "DEMO mode: fake Google Workspace APIs") || !strings.Contains(out, "try=jane.doe@example.com") ||
		strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("log:\n%s", out)
	}
	stop()
	if _, err := http.Get(g.APIURL + "/admin/directory/v1/users/jane.doe@example.com"); err == nil {
		t.Error("the fake still answers after stop")
	}
}

// The demo seeds every sample person with what Google's actions act on,
// and one administrator the service account may act as.
func TestSeedGoogleDemo(t *testing.T) {
	srv, err := googlefake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	seedGoogleDemo(srv)
	admin, ok := srv.User(demoGoogleAdmin)
	if !ok || !admin.IsAdmin {
		t.Fatalf("admin %+v found %v", admin, ok)
	}
	for _, p := range demoPeople() {
		email := strings.ToLower(p.first + "." + p.last + "@example.com")
		u, ok := srv.User(email)
		if !ok || u.IsAdmin || u.Suspended || u.DriveFiles == 0 || u.CalendarEvents == 0 || len(u.Tokens) != 1 ||
			len(u.ASPs) != 1 || len(u.BackupCodes) == 0 || len(u.Licenses) != 1 {
			t.Errorf("%s: %+v (found %v)", email, u, ok)
		}
	}
}

// A real google section wins: no fake starts and the config stays.
func TestStartDemo_GoogleWithRealGoogle(t *testing.T) {
	fake, err := googlefake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	key := string(fake.ServiceAccountKey())
	cfg, err := loadConfig(writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: google\n"+
		"google:\n  service_account_key: '"+strings.ReplaceAll(key, "\n", " ")+"'\n  admin_email: it.admin@corp.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	stop, err := startDemo(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if cfg.Google.AdminEmail != "it.admin@corp.example" || cfg.Google.APIURL != "" {
		t.Fatalf("the demo replaced a real google section: admin %q api_url %q", cfg.Google.AdminEmail, cfg.Google.APIURL)
	}
}

// config check says which demo runs; with a real google section it says
// Google is on, whom it acts as and the scopes to grant.
func TestConfigCheck_Google(t *testing.T) {
	code, out, errOut := runCLI("config", "check", "--config", writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: google\n"))
	if code != 0 || !strings.Contains(out, "demo on (google") {
		t.Fatalf("config check = %d %s %s", code, out, errOut)
	}
	fake := googletest.New(t)
	dir := t.TempDir()
	code, out, errOut = runCLI("config", "check", "--config", writeConfig(t, dir, googleSectionYAML(t, dir, fake)))
	if code != 0 || !strings.Contains(out, "google on") || !strings.Contains(out, "acts as "+googletest.Admin) ||
		!strings.Contains(out, googleconn.ScopeVault) || strings.Contains(out, "okta on") {
		t.Fatalf("config check = %d %s %s", code, out, errOut)
	}
}

// googleSectionYAML writes the fake's service account key next to the
// config (owner-only, as the secret-file checks want) and returns the
// google section that uses it.
func googleSectionYAML(t testing.TB, dir string, fake *googletest.Server) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "google-key.json"), fake.ServiceAccountKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("google:\n  service_account_key_file: google-key.json\n  admin_email: %q\n  api_url: %q\n",
		googletest.Admin, fake.URL)
}

// With demo: true and demo_flavour: google, serve starts the fake Google
// APIs with the demo people: Jane's involuntary case suspends her Google
// account and signs her out through Google's client libraries at once,
// with the fake's answers as evidence, and has no Okta task.
func TestServe_GoogleDemoRevokes(t *testing.T) {
	app := startApp(t, writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: google\nconsole:\n  enabled: true\n"), wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "the demo's Google suspension and sign-out done", func() bool {
		v = readCase(t, app, "OFF-0001")
		for _, k := range []string{"google_suspend", "google_clear_sessions"} {
			if task := taskByKey(v, k); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		return true
	})
	if ev := taskByKey(v, "google_suspend").Evidence; ev["primary_email"] != "jane.doe@example.com" || ev["suspended"] != "true" {
		t.Errorf("suspend evidence %v", ev)
	}
	for _, task := range v.Tasks {
		if strings.HasPrefix(task.Key, "okta_") {
			t.Errorf("the Google demo's case has the Okta task %s", task.Key)
		}
	}
	if code, body := getPage(t, app.url+"/", ""); code != 200 || !strings.Contains(body, "DEMO") {
		t.Fatalf("dashboard without the DEMO banner: %d", code)
	}
}

// The redactor hides the service account's private key in every form:
// the key file as configured, and the PEM inside it decoded, line by line.
func TestRedactorFor_GoogleKey(t *testing.T) {
	fake := googletest.New(t)
	dir := t.TempDir()
	cfg, err := loadConfig(writeConfig(t, dir, googleSectionYAML(t, dir, fake)))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(fake.ServiceAccountKey(), &k); err != nil || !strings.Contains(k.PrivateKey, "PRIVATE KEY") {
		t.Fatalf("key: %v", err)
	}
	r := redactorFor(cfg)
	lines := strings.Split(strings.TrimSpace(k.PrivateKey), "\n")
	body := lines[len(lines)/2]
	for what, s := range map[string]string{"the key file": string(fake.ServiceAccountKey()), "the PEM": k.PrivateKey,
		"one line of the PEM": "err: " + body} {
		if got := r.String(s); strings.Contains(got, body) {
			t.Errorf("%s is not redacted: %.200s", what, got)
		}
	}
}
