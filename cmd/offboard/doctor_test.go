package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/store"
)

// doctorWorld is every integration doctor checks, as strict fakes, and
// a config naming them.
type doctorWorld struct {
	slack *slacktest.Server
	okta  *oktatest.Server
	login *teamstest.Login
	model *openaitest.Server
	dir   string
}

func newDoctorWorld(t *testing.T) *doctorWorld {
	t.Helper()
	w := &doctorWorld{slack: slacktest.New(t), okta: oktatest.New(t), login: teamstest.NewLogin(t), dir: t.TempDir()}
	w.slack.AddChannel("C0IT", "it", true)
	w.okta.AddUser(oktatest.User{Login: "jane@example.com", Email: "jane@example.com", Factors: []oktatest.Factor{{FactorType: "push"}}})
	w.model = openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if len(req.ToolResults()) == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call(fmt.Sprint("c", n), req.ToolNames()[0], "{}")}}
		}
		return openaitest.Reply{Content: "It is noon."}
	})
	db, err := store.Open(filepath.Join(w.dir, "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *doctorWorld) config(t *testing.T) string {
	t.Helper()
	return writeConfig(t, w.dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
departments:
  it: {slack_channel: C0IT}
okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
teams:
  app_id: %q
  app_password: %q
  tenant_id: %q
  login_url: %q
assistant:
  api_key: sk-doctor-key
  base_url: %q
  model: doctor-model
`, slacktest.AppToken, slacktest.BotToken, w.slack.APIURL(), w.okta.URL(), oktatest.Token,
		teamstest.AppID, teamstest.AppPassword, teamstest.TenantID, w.login.URL(), w.model.URL))
}

func runDoctorCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"doctor"}, args...), &stdout, &stderr)
	for _, secret := range []string{slacktest.BotToken, slacktest.AppToken, oktatest.Token, teamstest.AppPassword, "sk-doctor-key"} {
		if strings.Contains(stdout.String()+stderr.String(), secret) {
			t.Errorf("a secret in the output: %s", secret)
		}
	}
	return code, stdout.String(), stderr.String()
}

func TestCmdDoctor_AllGreen(t *testing.T) {
	w := newDoctorWorld(t)
	cfg := w.config(t)
	code, out, errOut := runDoctorCmd(t, "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"✓ Slack: auth.test: as @offboard in workspace Offboard Test (T0TEST)",
		"✓ Slack: scopes", "✓ Slack: socket mode", "✓ Slack: channel of it (C0IT)",
		"✓ Okta: read users", "✓ Okta: read factors and grants", "! Okta: credentials",
		"✓ Teams: token", "– BambooHR: not configured", "✓ Model: tool-call round trip",
		"✓ Store: audit chain", "✓ Store: indexes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Read-only: no write reached any fake.
	for _, m := range []string{"chat.postMessage", "conversations.create", "conversations.invite"} {
		if n := len(w.slack.Calls(m)); n != 0 {
			t.Errorf("doctor called %s %d times", m, n)
		}
	}
	if n := w.okta.Count("POST", "/api/v1/") + w.okta.Count("DELETE", "/api/v1/"); n != 0 {
		t.Errorf("doctor wrote to Okta %d times", n)
	}

	code, out, _ = runDoctorCmd(t, "--config", cfg, "--json")
	var got struct {
		OK     bool                   `json:"ok"`
		Checks []offboard.CheckResult `json:"checks"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !got.OK || len(got.Checks) < 10 {
		t.Fatalf("--json: exit %d, %s", code, out)
	}
}

func TestCmdDoctor_Failures(t *testing.T) {
	w := newDoctorWorld(t)
	w.slack.SetTokens(slacktest.AppToken, "xoxb-another")
	w.login.SetPassword("the-new-secret")
	cfg := w.config(t)
	code, out, errOut := runDoctorCmd(t, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "2 checks failed") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"✗ Slack: auth.test: invalid_auth — set slack.bot_token",
		"✗ Teams: token:", "teams.app_password is wrong or expired",
		"✓ Okta: read users",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestCmdDoctor_StoreInUse(t *testing.T) {
	w := newDoctorWorld(t)
	cfg := w.config(t)
	db, err := store.Open(filepath.Join(w.dir, "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	code, out, _ := runDoctorCmd(t, "--config", cfg)
	if code != 0 || !strings.Contains(out, "in use by serve; checked by serve at start") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("doctor took %s with the store locked", d)
	}
}

// serve runs the checks in the background after it starts listening and
// logs each failure with its fix.
func TestServe_DoctorAtStart(t *testing.T) {
	serveRunsDoctor = true
	t.Cleanup(func() { serveRunsDoctor = false })
	w := newDoctorWorld(t)
	w.slack.SetScopes("commands", "chat:write")
	var logs syncBuffer
	startAppLogging(t, w.config(t), wireOptions{}, &logs)
	eventually(t, "the doctor's warning in the log", func() bool {
		return strings.Contains(logs.String(), "doctor: check failed") && strings.Contains(logs.String(), "Slack: scopes")
	})
	if s := logs.String(); !strings.Contains(s, "reinstall the app") || strings.Contains(s, slacktest.BotToken) {
		t.Errorf("log:\n%s", s)
	}
}

// A service that does not answer fails its own check within the
// timeout; the others are not held up.
func TestCmdDoctor_Timeout(t *testing.T) {
	old := doctorTimeout
	doctorTimeout = 300 * time.Millisecond
	t.Cleanup(func() { doctorTimeout = old })
	w := newDoctorWorld(t)
	w.slack.SetLatency(3 * time.Second)
	start := time.Now()
	code, out, _ := runDoctorCmd(t, "--config", w.config(t))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("doctor took %s", d)
	}
	if code != 1 || !strings.Contains(out, "✗ Slack") || !strings.Contains(out, "✓ Teams: token") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestCmdDoctor_Google(t *testing.T) {
	fake := googletest.New(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, googleSectionYAML(t, dir, fake))
	code, out, errOut := runDoctorCmd(t, "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"✓ Google: token for admin.directory.user", "✓ Google: token for ediscovery",
		"✓ Google: read a user", "✓ Google: Data Transfer applications", "✓ Google: Vault matters", "✓ Google: license assignments"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	for _, r := range fake.Requests() {
		if r.Method != "GET" && r.Path != "/token" {
			t.Errorf("doctor wrote to Google: %s %s", r.Method, r.Path)
		}
	}
	// A scope the delegation lacks is named with where to grant it.
	fake.Delegate(googlefake.LeastPrivilege[:5]...)
	code, out, _ = runDoctorCmd(t, "--config", cfg)
	if code != 1 || !strings.Contains(out, "✗ Google: token for ediscovery") || !strings.Contains(out, "Domain Wide Delegation") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
