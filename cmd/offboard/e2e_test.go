package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

const (
	hrToken      = "hr-token-0123456789abcdef"
	financeToken = "fin-token-0123456789abcdef"
)

// writeConfig writes a test config into dir and returns its path.
func writeConfig(t testing.TB, dir, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`company:
  name: Test Corp
  time_zone: UTC
store:
  path: %q
  lock_timeout: 300ms
http:
  listen: "127.0.0.1:0"
log:
  level: debug
api:
  tokens:
    - name: hris-sync
      token: %q
      role: hr
    - name: finance-bot
      token: %q
      role: finance
roles:
  hr: [hana.hr@example.com]
  it: [ivan.it@example.com]
  admin: [ada.admin@example.com]
runner:
  workers: 2
  max_attempts: 3
  backoff_base: 10ms
  backoff_max: 50ms
  shutdown_grace: 2s
escalation:
  check: "@every 1s"
%s`, filepath.Join(dir, "offboard.db"), hrToken, financeToken, extra)
	path := filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// liveApp is offboard serving in this process.
type liveApp struct {
	url  string
	stop func()
	app  *app // the wired parts, for tests that drive them directly
}

// startApp runs the real serve wiring on a loopback port.
func startApp(t testing.TB, cfgPath string, o wireOptions) *liveApp {
	t.Helper()
	return startAppWith(t, cfgPath, o, nil, nil)
}

// startAppLogging is startApp with serve's own logger writing to logTo
// (nil: no log).
func startAppLogging(t testing.TB, cfgPath string, o wireOptions, logTo io.Writer) *liveApp {
	t.Helper()
	return startAppWith(t, cfgPath, o, logTo, nil)
}

// startAppOn is startApp on a listener the test opened (so that its
// address can go into the config first); nil opens one.
func startAppOn(t testing.TB, cfgPath string, o wireOptions, ln net.Listener) *liveApp {
	t.Helper()
	return startAppWith(t, cfgPath, o, nil, ln)
}

// startAppWith runs the serve wiring with its log going to logTo (nil:
// no log) on ln (nil: a new loopback listener).
func startAppWith(t testing.TB, cfgPath string, o wireOptions, logTo io.Writer, ln net.Listener) *liveApp {
	t.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	log := discardLogger()
	if logTo != nil {
		log = newLogger(cfg, logTo)
	}
	stopDemo, err := startDemo(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopDemo)
	db, closeStore, err := openBackend(context.Background(), cfg, log, false)
	if err != nil {
		t.Fatal(err)
	}
	if o.leadership == nil {
		// As serve: the store's election on etcd (nil on bbolt).
		o.leadership = electionFor(cfg, db, log)
	}
	if _, err := recoverLeasesAtStart(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	a, err := wire(cfg, log, db, o)
	if err != nil {
		closeStore()
		t.Fatal(err)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		closeStore()
	}
	t.Cleanup(stop)
	return &liveApp{url: "http://" + ln.Addr().String(), stop: stop, app: a}
}

type apiResponse struct {
	status int
	body   []byte
}

func (r apiResponse) view(t testing.TB) offboard.CaseView {
	t.Helper()
	var v offboard.CaseView
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func call(t testing.TB, method, url, token, body string) apiResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{status: resp.StatusCode, body: b}
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func taskByKey(v offboard.CaseView, key string) *offboard.Task {
	for _, t := range v.Tasks {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// runCLI runs one offboard command line in process.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

const involuntaryJane = `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"involuntary"}`

// An involuntary exit with no Okta configured: the revocations are tried
// at once and fail visibly with the reason, never pretending success; the
// audit trail records it and verifies.
func TestServe_InvoluntaryWithoutOkta(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	app := startApp(t, cfgPath, wireOptions{})

	if r := call(t, "GET", app.url+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz = %d %s", r.status, r.body)
	}
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	var v offboard.CaseView
	eventually(t, "okta tasks to fail", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/"+string(id), hrToken, "").view(t)
		for _, key := range []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"} {
			if taskByKey(v, key).Status != offboard.TaskFailed {
				return false
			}
		}
		return true
	})
	sus := taskByKey(v, "okta_suspend")
	if !strings.Contains(sus.LastError, "Okta is not configured") || sus.Attempts != 1 {
		t.Fatalf("okta_suspend: %q after %d attempts; want the reason after one attempt", sus.LastError, sus.Attempts)
	}
	if v.Case.RevokedAt != nil {
		t.Fatal("access must not count as revoked when the revocations failed")
	}
	if st := taskByKey(v, "cancel_card").Status; st != offboard.TaskPending {
		t.Fatalf("manual task: %s", st)
	}
	// The finance token may not open cases; the refusal is audited.
	if r := call(t, "POST", app.url+"/api/v1/cases", financeToken, strings.Replace(involuntaryJane, "jane.doe", "john.roe", 1)); r.status != http.StatusForbidden {
		t.Fatalf("finance create = %d %s", r.status, r.body)
	}
	app.stop()

	code, out, errOut := runCLI("audit", "verify", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
	// An auditor verifies a copy of the store, as they would a backup.
	raw, err := os.ReadFile(filepath.Join(dir, "offboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(backup, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI("audit", "verify", "--config", cfgPath, "--store", backup)
	if code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify --store: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI("audit", "export", "--config", cfgPath, "--format", "csv")
	if code != 0 {
		t.Fatalf("audit export: %d %s", code, errOut)
	}
	for _, want := range []string{"case.opened", "task.started", "task.failed", "Okta is not configured", "command.refused", "finance-bot"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit export lacks %q", want)
		}
	}
	code, out, _ = runCLI("cases", "show", string(id), "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "Okta is not configured") || !strings.Contains(out, "confidential") {
		t.Fatalf("cases show: %d\n%s", code, out)
	}
	code, out, _ = runCLI("cases", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, string(id)) || !strings.Contains(out, "Jane Doe") {
		t.Fatalf("cases list: %d\n%s", code, out)
	}
}

// A voluntary case waits for the last day: its revocations are scheduled
// for 18:00 in the employee's time zone, and nothing runs before.
func TestServe_VoluntaryScheduled(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	app := startApp(t, cfgPath, wireOptions{})
	lastDay := time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken,
		`{"employee":{"email":"vera.vol@example.com","name":"Vera Vol","time_zone":"America/Los_Angeles"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	v := r.view(t)
	sus := taskByKey(v, "okta_suspend")
	if sus.Status != offboard.TaskScheduled || sus.RunAt == nil {
		t.Fatalf("okta_suspend = %s, want scheduled", sus.Status)
	}
	if got := sus.RunAt.In(mustLoc(t, "America/Los_Angeles")).Format("2006-01-02 15:04"); got != lastDay+" 18:00" {
		t.Fatalf("runs at %s, want %s 18:00 Pacific", got, lastDay)
	}
	if v.Case.Confidential {
		t.Fatal("voluntary cases are not confidential by default")
	}
	// The workers and the scheduler are running; still nothing happens.
	time.Sleep(300 * time.Millisecond)
	if st := taskByKey(readCase(t, app, v.Case.ID), "okta_suspend").Status; st != offboard.TaskScheduled {
		t.Fatalf("okta_suspend became %s before the last day", st)
	}
}

// readCase reads a case back through the API.
func readCase(t *testing.T, app *liveApp, id offboard.CaseID) offboard.CaseView {
	t.Helper()
	return call(t, "GET", app.url+"/api/v1/cases/"+string(id), hrToken, "").view(t)
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
