package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// syncBuffer is a log destination written by many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// canary is a distinct fake secret; its characters change under URL and
// JSON escaping, so every encoded form is distinct from the raw one.
func canary(name string) string { return "CANARY+" + name + "/7f3a=&<Q9z>-0123456789" }

// canaryForms are the forms a leaked secret is searched for in.
func canaryForms(s string) map[string]string {
	jsonHTML, _ := json.Marshal(s)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	unquote := func(q string) string { return strings.Trim(strings.TrimSpace(q), `"`) }
	return map[string]string{
		"raw":        s,
		"url-query":  url.QueryEscape(s),
		"url-path":   url.PathEscape(s),
		"json":       unquote(string(jsonHTML)),
		"json-plain": unquote(plain.String()),
		"base64":     strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s)), "="),
		"base64-url": strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(s)), "="),
	}
}

// No secret leaves: with every secret of the config set to a canary and
// every upstream failing in the ways real ones do — the Teams token
// endpoint, Okta, BambooHR, Slack and the model echoing the request
// (credentials included) in their errors, 4xx and 5xx — no canary, in
// any encoding, reaches the log, the store file, the audit export, a
// chat post or a prompt sent to the model.
func TestServe_NoSecretLeaves(t *testing.T) {
	// Okta takes an API token or a service app's private key, not both.
	t.Run("okta api token", func(t *testing.T) { noSecretLeaves(t, false) })
	t.Run("okta private key", func(t *testing.T) { noSecretLeaves(t, true) })
}

func noSecretLeaves(t *testing.T, oktaKey bool) {
	secrets := map[string]string{
		"api_token":       canary("api"),
		"bamboo_key":      canary("bamboo-key"),
		"bamboo_webhook":  canary("bamboo-webhook"),
		"bamboo_previous": canary("bamboo-previous"),
		"generic_token":   canary("generic"),
		"slack_app":       "xapp-" + canary("slack-app"),
		"slack_bot":       "xoxb-" + canary("slack-bot"),
		"teams_password":  canary("teams"),
		"openai_key":      canary("openai"),
		"console_token":   canary("console"),
	}

	okta := oktatest.New(t)
	oktaCreds := ""
	if oktaKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		okta.AddServiceApp("0oacanary", &k.PublicKey, oktaconn.DefaultScopes()...)
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
		secrets["okta_private_key"] = pemKey
		for i, line := range strings.Split(pemKey, "\n") {
			if line != "" && !strings.HasPrefix(line, "-----") {
				secrets[fmt.Sprintf("okta_private_key line %d", i)] = line
			}
		}
		oktaCreds = fmt.Sprintf("client_id: 0oacanary, private_key_id: kid1, private_key: %q", pemKey)
	} else {
		secrets["okta_token"] = canary("okta")
		okta.SetToken(secrets["okta_token"])
		oktaCreds = fmt.Sprintf("api_token: %q", secrets["okta_token"])
	}
	janeOkta := okta.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe", Sessions: 1})
	bamboo := bamboohrtest.New(t)
	bamboo.SetKey(secrets["bamboo_key"])
	bamboo.FailEcho(http.StatusInternalServerError) // the reconciliation and the directory read at start
	slack := newSlackFake(t)
	slack.SetTokens(secrets["slack_app"], secrets["slack_bot"])
	slack.AddUser(uIT, "Ivan IT", "ivan.it@example.com")
	slack.EchoNext("conversations.create", http.StatusOK)
	slack.EchoNext("chat.postMessage", http.StatusBadGateway)
	issuer, login, conn := teamstest.NewIssuer(t), teamstest.NewLogin(t), teamstest.NewConnector(t)
	login.SetPassword(secrets["teams_password"])
	login.EchoFailures(3) // the incident: the token endpoint quoting the form with client_secret
	model := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane.doe@example.com"}`)}}
		}
		return openaitest.Reply{Status: http.StatusUnauthorized, Echo: true}
	})

	dir := t.TempDir()
	storePath := filepath.Join(dir, "offboard.db")
	cfg := fmt.Sprintf(`company: {name: Test Corp, time_zone: UTC}
store: {path: %q, lock_timeout: 300ms}
http: {listen: "127.0.0.1:0"}
log: {level: debug, format: json}
api:
  tokens:
    - {name: hris-sync, token: %q, role: hr}
roles:
  hr: [hana.hr@example.com]
  it: [ivan.it@example.com]
runner: {workers: 2, max_attempts: 2, backoff_base: 10ms, backoff_max: 50ms, shutdown_grace: 2s}
escalation: {check: "@every 1s"}
okta: {org_url: %q, %s, insecure_http_for_tests: true}
hris:
  bamboohr: {webhook_secret: %q, previous_webhook_secret: %q, api_key: %q, subdomain: %q}
  generic: {token: %q}
slack: {app_token: %q, bot_token: %q, api_url: %q, team_id: %q}
teams:
  app_id: %q
  app_password: %q
  tenant_id: %q
  openid_metadata_url: %q
  login_url: %q
  offboarding_channel_id: %q
  service_url: %q
assistant: {api_key: %q, base_url: %q, model: canary-model, max_tool_rounds: 3, timeout: 5s}
console: {enabled: true, token: %q}
`, storePath, secrets["api_token"], okta.URL(), oktaCreds,
		secrets["bamboo_webhook"], secrets["bamboo_previous"], secrets["bamboo_key"], bamboohrtest.Subdomain, secrets["generic_token"],
		secrets["slack_app"], secrets["slack_bot"], slack.APIURL(), slacktest.TeamID,
		teamstest.AppID, secrets["teams_password"], teamstest.TenantID, issuer.MetadataURL(), login.URL(), teamstest.ChannelID, conn.URL(),
		secrets["openai_key"], model.URL, secrets["console_token"])
	cfgPath := filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Okta: suspend fails twice with an echoing 500 (retried, then given
	// up), clearing sessions with an echoing 403 (not retried).
	// (reset_factors, also a POST under /users, runs concurrently.)
	okta.EchoNext("POST", "/users/"+janeOkta.ID+"/lifecycle/suspend", http.StatusInternalServerError)
	okta.EchoNext("POST", "/users/"+janeOkta.ID+"/lifecycle/suspend", http.StatusInternalServerError)
	okta.EchoNext("DELETE", "/users", http.StatusForbidden)

	logs := &syncBuffer{}
	live := startAppLogging(t, cfgPath, wireOptions{bamboohrBaseURL: bamboo.URL()}, logs)
	slack.WaitConnected(t, 1, 10*time.Second)

	// The fake Okta knows Jane but not her manager: confirmed, since the
	// directory check is not what this test is about.
	body := `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"involuntary","confirm_unknown":true}`
	if r := call(t, "POST", live.url+"/api/v1/cases", secrets["api_token"], body); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	eventually(t, "suspend and clear sessions given up", func() bool {
		v := call(t, "GET", live.url+"/api/v1/cases/OFF-0001", secrets["api_token"], "").view(t)
		s, c := taskByKey(v, "okta_suspend"), taskByKey(v, "okta_clear_sessions")
		return s != nil && c != nil && s.Status == offboard.TaskFailed && c.Status == offboard.TaskFailed
	})
	eventually(t, "Teams posts after the token endpoint recovered", func() bool { return len(conn.Activities("")) > 0 })
	slack.SendEvent(map[string]any{"type": "app_mention", "user": uIT, "channel": "CGENERAL",
		"text": "<@U0BOT> how is Jane doing?", "ts": "1.1"}, "app_mention")
	eventually(t, "the fallback answer to a mention", func() bool { return len(slack.Messages("CGENERAL")) > 0 })
	// Intake refusals with the real credentials in the request.
	for _, req := range []struct{ path, auth, body string }{
		{"/webhooks/hris", "Bearer " + secrets["generic_token"], `{"email": 1}`},
		{"/webhooks/bamboohr", "", `{"employees":[]}`},
		{"/api/v1/cases", "Bearer " + secrets["api_token"], `{"employee":{"email":"` + secrets["api_token"] + `"}}`},
	} {
		hreq, _ := http.NewRequest(http.MethodPost, live.url+req.path, strings.NewReader(req.body))
		hreq.Header.Set("Content-Type", "application/json")
		if req.auth != "" {
			hreq.Header.Set("Authorization", req.auth)
		}
		if resp, err := http.DefaultClient.Do(hreq); err == nil {
			resp.Body.Close()
		}
	}
	eventually(t, "the model asked twice", func() bool { return len(model.Requests()) >= 2 })
	time.Sleep(300 * time.Millisecond) // let retries and their logs settle
	live.stop()

	sources := map[string]string{"log": logs.String()}
	raw, err := os.ReadFile(storePath)
	if err != nil {
		t.Fatal(err)
	}
	sources["store file"] = string(raw)
	code, export, stderr := runCLI("audit", "export", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("audit export: %d %s", code, stderr)
	}
	sources["audit export"] = export
	var posts strings.Builder
	for _, m := range slack.Messages("") {
		fmt.Fprintf(&posts, "%s %s\n", m.Text, m.Blocks)
	}
	for _, a := range conn.Activities("") {
		b, _ := json.Marshal(a.Raw)
		posts.Write(b)
	}
	sources["chat posts"] = posts.String()
	var prompts strings.Builder
	for _, r := range model.Requests() {
		b, _ := json.Marshal(r.Messages)
		prompts.Write(b)
	}
	sources["model prompts"] = prompts.String()

	// What was provoked, so a silent path cannot pass by doing nothing.
	for what, seen := range map[string]bool{
		"teams token echo":   strings.Contains(sources["log"], "AADSTS7000215"),
		"okta echo 500":      strings.Contains(sources["audit export"], "Request rejected"),
		"bamboohr echo 500":  len(bamboo.Requests()) > 0,
		"slack echo":         len(slack.Calls("conversations.create")) > 0,
		"model echo 401":     len(model.Requests()) >= 2,
		"chat posts present": posts.Len() > 0,
	} {
		if !seen {
			t.Errorf("path not provoked: %s", what)
		}
	}

	hits := 0
	var report []string
	for source, text := range sources {
		for name, secret := range secrets {
			for form, needle := range canaryForms(secret) {
				if n := strings.Count(text, needle); n > 0 {
					hits += n
					report = append(report, fmt.Sprintf("%s: %s (%s) ×%d", source, name, form, n))
				}
			}
		}
	}
	sort.Strings(report)
	t.Logf("canary hits: %d (log %d bytes, store %d bytes, export %d bytes, chat %d bytes, prompts %d bytes)",
		hits, len(sources["log"]), len(raw), len(export), posts.Len(), prompts.Len())
	if hits > 0 {
		t.Errorf("%d canary hits, want 0:\n%s", hits, strings.Join(report, "\n"))
	}
}

// The error that stops serve is printed without secrets, and keeps its
// chain (the exit code still comes from it).
func TestServe_RedactError(t *testing.T) {
	const secret = "serve-secret-0123456789"
	r := offboard.NewRedactor(secret)
	cause := exitError{code: 3, msg: "okta said " + secret}
	err := redactError(fmt.Errorf("wire: %w", cause), r)
	var ec exitCoder
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), offboard.Redacted) || !errors.As(err, &ec) || ec.ExitCode() != 3 {
		t.Fatalf("err = %v (exit coder %v)", err, ec)
	}
	if plain := errors.New("no secret"); redactError(plain, r) != plain || redactError(nil, r) != nil {
		t.Error("an error without secrets was changed")
	}
}
