package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/offboard-dev/offboard/config"
)

const canary = "CANARY-s3cr3t-9f8e7d"

// secretConfig returns a config with every secret set to a value holding
// the canary.
func secretConfig(t *testing.T) *config.Config {
	t.Helper()
	return parse(t, `
api:
  tokens:
    - name: sync
      token: "api-${CANARY}"
      role: hr
okta:
  org_url: https://example.okta.com
  api_token: "okta-${CANARY}"
hris:
  bamboohr:
    webhook_secret: "bhr-${CANARY}"
    previous_webhook_secret: "bhr-old-${CANARY}"
    api_key: "bhr-key-${CANARY}"
    subdomain: acme
  generic:
    token: "gen-${CANARY}"
slack:
  app_token: "xapp-${CANARY}"
  bot_token: "xoxb-${CANARY}"
teams:
  app_id: app
  app_password: "teams-${CANARY}"
  tenant_id: t
assistant:
  api_key: "ai-${CANARY}"
console:
  enabled: true
  token: "console-${CANARY}"
`, env(map[string]string{"CANARY": canary}))
}

func TestSecret_Redaction(t *testing.T) {
	c := secretConfig(t)
	// The secrets really are there.
	for _, s := range []config.Secret{c.Okta.APIToken, c.Slack.BotToken, c.API.Tokens[0].Token, c.Console.Token} {
		if !strings.Contains(s.Reveal(), canary) {
			t.Fatalf("secret not decoded: Reveal() = %q", s.Reveal())
		}
	}

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%d"} {
		outputs["fmt "+verb] = fmt.Sprintf(verb, c)
		outputs["fmt ptr "+verb] = fmt.Sprintf(verb, *c)
		outputs["fmt secret "+verb] = fmt.Sprintf(verb, c.Okta.APIToken)
	}
	outputs["fmt slice"] = fmt.Sprint([]config.Secret{c.Slack.AppToken})
	outputs["fmt map"] = fmt.Sprint(map[string]config.Secret{"k": c.Slack.AppToken})

	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(j)
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(y)

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded",
		"config", c, "okta", c.Okta, "token", c.Okta.APIToken, slog.Any("bot", c.Slack.BotToken))
	slog.New(slog.NewJSONHandler(&js, nil)).Info("loaded",
		"config", c, "okta", c.Okta, "token", c.Okta.APIToken)
	outputs["slog text"] = text.String()
	outputs["slog json"] = js.String()

	for name, out := range outputs {
		if strings.Contains(out, canary) {
			t.Errorf("%s leaks the secret:\n%s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say [redacted]:\n%s", name, out)
		}
	}
	// The test must be able to fail: a plain string does leak.
	if s := fmt.Sprintf("%v", struct{ S string }{c.Okta.APIToken.Reveal()}); !strings.Contains(s, canary) {
		t.Fatal("canary check is broken")
	}
}

func TestSecret_Strings(t *testing.T) {
	tests := []struct {
		s                          config.Secret
		str, gostr, text, jsonText string
	}{
		{"", "", `""`, "", `""`},
		{"hunter2", "[redacted]", `"[redacted]"`, "[redacted]", `"[redacted]"`},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.str {
			t.Errorf("String() = %q, want %q", got, tt.str)
		}
		if got := tt.s.GoString(); got != tt.gostr {
			t.Errorf("GoString() = %q, want %q", got, tt.gostr)
		}
		if got, _ := tt.s.MarshalText(); string(got) != tt.text {
			t.Errorf("MarshalText() = %q, want %q", got, tt.text)
		}
		if got, _ := json.Marshal(tt.s); string(got) != tt.jsonText {
			t.Errorf("json = %s, want %s", got, tt.jsonText)
		}
		if got := tt.s.LogValue().String(); got != tt.str {
			t.Errorf("LogValue() = %q, want %q", got, tt.str)
		}
	}
	s := config.Secret("hunter2")
	if s.Reveal() != "hunter2" || !s.Equal("hunter2") || s.Equal("hunter3") || config.Secret("").Equal("") {
		t.Error("Reveal/Equal wrong")
	}
}

func writeSecret(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
	return p
}

func TestSecret_File(t *testing.T) {
	dir := t.TempDir()
	okta := writeSecret(t, dir, "okta", "okta-secret-value\n", 0o600)
	app := writeSecret(t, dir, "app", "xapp-from-file\r\n", 0o640) // group-readable is fine
	bot := writeSecret(t, dir, "bot", "xoxb-from-file", 0o400)
	c := parse(t, fmt.Sprintf(`
okta:
  org_url: https://example.okta.com
  api_token_file: %q
slack:
  app_token_file: %q
  bot_token_file: %q
`, okta, app, bot), noEnv)
	for _, tt := range []struct {
		got  config.Secret
		want string
	}{
		{c.Okta.APIToken, "okta-secret-value"},
		{c.Slack.AppToken, "xapp-from-file"},
		{c.Slack.BotToken, "xoxb-from-file"},
	} {
		if tt.got.Reveal() != tt.want {
			t.Errorf("secret = %q, want %q", tt.got.Reveal(), tt.want)
		}
	}
	if !c.SlackEnabled() {
		t.Error("slack set only through *_file is not enabled")
	}
}

func TestSecret_FileErrors(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dir := t.TempDir()
	world := writeSecret(t, dir, "world", "value", 0o644)
	empty := writeSecret(t, dir, "empty", "\n", 0o600)
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"world-readable", fmt.Sprintf("console:\n  token_file: %q\n", world), []string{
			"config.yaml:2: console.token_file: secret file " + world + " is readable by every user (mode 0644); run chmod 600 " + world,
		}},
		{"missing", fmt.Sprintf("hris:\n  generic:\n    token_file: %q\n", missing), []string{
			"config.yaml:3: hris.generic.token_file: secret file " + missing + " does not exist",
		}},
		{"empty", fmt.Sprintf("assistant:\n  api_key_file: %q\n", empty), []string{
			"config.yaml:2: assistant.api_key_file: secret file " + empty + " is empty",
		}},
		{"directory", fmt.Sprintf("assistant:\n  api_key_file: %q\n", dir), []string{
			"config.yaml:2: assistant.api_key_file: secret file " + dir + " is not a regular file",
		}},
		{"in an api token", fmt.Sprintf("api:\n  tokens:\n    - name: a\n      role: hr\n      token_file: %q\n", missing), []string{
			"config.yaml:5: api.tokens[0].token_file: secret file " + missing + " does not exist",
		}},
		{"both set", fmt.Sprintf("slack:\n  app_token: xapp-1\n  app_token_file: %q\n  bot_token: xoxb-1\n", missing), []string{
			"config.yaml:2: slack.app_token: set either slack.app_token or slack.app_token_file, not both",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ve := parseErr(t, tt.src, noEnv)
			msg := ve.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if len(ve.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(tt.want), msg)
			}
		})
	}
}

// A secret file may be read by its owner and, for Kubernetes' fsGroup,
// by its group; any bit for other users and a group write bit are
// refused, naming the key, the file and the fix.
func TestSecret_FileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	tests := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o400, true},
		{0o600, true},
		{0o440, true},
		{0o640, true},
		{0o700, true},
		{0o660, false}, // group-writable
		{0o620, false},
		{0o622, false}, // world-writable
		{0o602, false},
		{0o644, false}, // world-readable
		{0o604, false},
		{0o601, false},
		{0o666, false},
		{0o777, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			dir := t.TempDir()
			name := writeSecret(t, dir, "token", "console-token-0123456789", tt.mode)
			src := fmt.Sprintf("console:\n  token_file: %q\n", name)
			if tt.ok {
				c := parse(t, src, noEnv)
				if c.Console.Token.Reveal() != "console-token-0123456789" {
					t.Fatalf("token = %q", c.Console.Token.Reveal())
				}
				return
			}
			ve := parseErr(t, src, noEnv)
			msg := ve.Error()
			for _, want := range []string{"console.token_file", name, fmt.Sprintf("mode %04o", tt.mode), "chmod 600 " + name} {
				if !strings.Contains(msg, want) {
					t.Errorf("error\n%s\ndoes not contain %q", msg, want)
				}
			}
			if len(ve.Problems) != 1 {
				t.Errorf("%d problems, want 1:\n%s", len(ve.Problems), msg)
			}
		})
	}
}

// Every secret key of the config is handed to the redactor.
func TestConfig_Secrets(t *testing.T) {
	c := parse(t, `
api:
  tokens:
    - {name: a, role: hr, token: api-token-0123456789}
okta:
  org_url: https://example.okta.com
  api_token: okta-api-token-value
hris:
  bamboohr:
    webhook_secret: bamboo-webhook-secret
    previous_webhook_secret: bamboo-previous-secret
    api_key: bamboo-api-key-value
    subdomain: acme
  generic:
    token: generic-token-0123456789
slack:
  app_token: xapp-secret-value
  bot_token: xoxb-secret-value
teams:
  app_id: app
  app_password: teams-password-value
  tenant_id: tenant
assistant:
  api_key: sk-openai-key-value
  model: m
console:
  enabled: true
  token: console-token-0123456789
`, noEnv)
	got := c.Secrets()
	for _, want := range []string{"api-token-0123456789", "okta-api-token-value", "bamboo-webhook-secret",
		"bamboo-previous-secret", "bamboo-api-key-value", "generic-token-0123456789", "xapp-secret-value",
		"xoxb-secret-value", "teams-password-value", "sk-openai-key-value", "console-token-0123456789"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() lacks %q: %q", want, got)
		}
	}
	if len(got) != 11 {
		t.Errorf("Secrets() = %d values, want 11", len(got))
	}
}
