package config_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
)

// env returns a lookup function over a fixed map.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func noEnv(string) (string, bool) { return "", false }

// parse parses src (with its leading newline dropped, so that line 1 is the
// first line of the literal) and fails the test on an error.
func parse(t *testing.T, src string, lookup func(string) (string, bool)) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(strings.TrimPrefix(src, "\n")), "config.yaml", lookup)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// parseErr parses src and returns the *ValidationError it must fail with.
func parseErr(t *testing.T, src string, lookup func(string) (string, bool)) *config.ValidationError {
	t.Helper()
	_, err := config.Parse([]byte(strings.TrimPrefix(src, "\n")), "config.yaml", lookup)
	if err == nil {
		t.Fatalf("Parse succeeded; want an error")
	}
	ve, ok := errors.AsType[*config.ValidationError](err)
	if !ok {
		t.Fatalf("error is %T, want *config.ValidationError: %v", err, err)
	}
	return ve
}

func TestParse_ExampleFile(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(data, "../config.example.yaml", noEnv)
	if err != nil {
		t.Fatalf("example does not load with an empty environment:\n%v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !c.Demo || !c.Console.Enabled {
		t.Errorf("demo=%v console.enabled=%v, want both true", c.Demo, c.Console.Enabled)
	}
	if c.Store.Path != "offboard.db" || c.HTTP.Listen != "127.0.0.1:8080" {
		t.Errorf("store.path=%q http.listen=%q", c.Store.Path, c.HTTP.Listen)
	}
	if c.SlackEnabled() || c.TeamsEnabled() || c.OktaEnabled() || c.AssistantEnabled() {
		t.Errorf("an integration is enabled in the example")
	}
	if len(c.API.Tokens) != 0 {
		t.Errorf("example has %d api tokens, want none", len(c.API.Tokens))
	}
	for _, r := range offboard.ConfigurableRoles() {
		if len(c.Roles[r]) == 0 {
			t.Errorf("example has no demo identity for role %s", r)
		}
	}
	if got := c.RolesOf("Hana.HR@Example.com"); !slices.Equal(got, []offboard.Role{offboard.RoleHR}) {
		t.Errorf("RolesOf(hana) = %v", got)
	}
	if got := c.Okta.DeactivateAfter.D(); got != 7*24*time.Hour {
		t.Errorf("okta.deactivate_after = %v", got)
	}
}

func TestDefault_Validates(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate(): %v", err)
	}
	if c.Location() != time.UTC && c.Location().String() != "UTC" {
		t.Errorf("Location = %v", c.Location())
	}
	if h, m := c.RevocationClock(); h != 18 || m != 0 {
		t.Errorf("RevocationClock = %d:%d", h, m)
	}
}

func TestParse_EmptyFileGivesDefaults(t *testing.T) {
	c := parse(t, "", noEnv)
	d := config.Default()
	if c.Runner != d.Runner || c.Escalation.MaxLevel != 3 || c.Slack.APIURL != d.Slack.APIURL {
		t.Errorf("empty file did not give defaults: %+v", c.Runner)
	}
}

func TestParse_DecodesOnTopOfDefaults(t *testing.T) {
	c := parse(t, `
company:
  name: Acme
  time_zone: Europe/Berlin
  revocation_time: "17:30"
runner:
  workers: 8
slack:
`, noEnv)
	if c.Company.Name != "Acme" || c.Runner.Workers != 8 {
		t.Errorf("set values lost: %+v %+v", c.Company, c.Runner)
	}
	if c.Runner.MaxAttempts != 5 || c.Slack.APIURL != "https://slack.com/api/" || !c.Slack.ArchiveOnComplete {
		t.Errorf("defaults lost: %+v %+v", c.Runner, c.Slack)
	}
	if c.Location().String() != "Europe/Berlin" {
		t.Errorf("Location = %v", c.Location())
	}
	if h, m := c.RevocationClock(); h != 17 || m != 30 {
		t.Errorf("RevocationClock = %d:%d", h, m)
	}
}

func TestParse_Env(t *testing.T) {
	vars := env(map[string]string{"NAME": "Acme Inc", "EMPTY": "", "ZONE": "Asia/Tokyo"})
	tests := []struct {
		name, src, want string
	}{
		{"plain", `name: "${NAME}"`, "Acme Inc"},
		{"inside text", `name: "x ${NAME} y"`, "x Acme Inc y"},
		{"default unused", `name: "${NAME:-other}"`, "Acme Inc"},
		{"default used when unset", `name: "${MISSING:-fallback co}"`, "fallback co"},
		{"default used when empty", `name: "${EMPTY:-fallback}"`, "fallback"},
		{"empty default", `name: "a${MISSING:-}b"`, "ab"},
		{"dollar escape", `name: "cost $$5 ${NAME}"`, "cost $5 Acme Inc"},
		{"escaped reference", `name: "$${NAME}"`, "${NAME}"},
		{"lone dollar", `name: "a $ b $x"`, "a $ b $x"},
		{"comment ignored", `name: "${NAME}" # ${UNSET_IN_COMMENT}`, "Acme Inc"},
		{"apostrophe then comment", `name: Bob's ${NAME} # ${UNSET}`, "Bob's Acme Inc"},
		{"hash inside quotes is not a comment", `name: "a #${NAME}"`, "a #Acme Inc"},
		{"single quotes", `name: 'it''s #${NAME}' # ${UNSET}`, "it's #Acme Inc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := parse(t, "# ${UNSET_AT_LINE_START}\ncompany:\n  time_zone: ${ZONE}\n  "+tt.src+"\n", vars)
			if c.Company.Name != tt.want {
				t.Errorf("name = %q, want %q", c.Company.Name, tt.want)
			}
			if c.Company.TimeZone != "Asia/Tokyo" {
				t.Errorf("time_zone = %q", c.Company.TimeZone)
			}
		})
	}
}

func TestParse_EnvErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unset", "company:\n  name: x\nokta:\n  api_token: ${OKTA_TOKEN}\n",
			[]string{"config.yaml:4: environment variable OKTA_TOKEN is not set"}},
		{"two unset on two lines", "company:\n  name: ${A}\n  time_zone: ${B}\n",
			[]string{"config.yaml:2: environment variable A is not set", "config.yaml:3: environment variable B is not set"}},
		{"unterminated", "company:\n  name: ${A\n", []string{"config.yaml:2: unterminated ${"}},
		{"bad name", "company:\n  name: ${A-b}\n", []string{"config.yaml:2: invalid reference ${A-b}"}},
		{"line break in value", "company:\n  name: ${NL}\n", []string{"config.yaml:2: environment variable NL contains a line break"}},
	}
	vars := env(map[string]string{"NL": "a\nb"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ve := parseErr(t, tt.src, vars)
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

func TestParse_UnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"root with suggestion", `
company:
  name: x
slak:
  bot_token: y
`, []string{`config.yaml:3: slak: unknown key "slak" in (root) — did you mean "slack"?`}},
		{"nested", `
slack:
  api_url: "https://slack.com/api/"

  bot_tokn: y
`, []string{`config.yaml:4: slack.bot_tokn: unknown key "bot_tokn" in slack — did you mean "bot_token"?`}},
		{"in a list element", `
api:
  tokens:
    - name: a
      rol: hr
`, []string{`config.yaml:4: api.tokens[0].rol: unknown key "rol" in api.tokens[0] — did you mean "role"?`}},
		{"no suggestion when nothing is close", `
zzzzzzzz: 1
`, []string{`config.yaml:1: zzzzzzzz: unknown key "zzzzzzzz" in (root)`}},
		{"dash for underscore", `
company:
  time-zone: UTC
`, []string{`config.yaml:2: company.time-zone: unknown key "time-zone" in company — did you mean "time_zone"?`}},
		{"all of them at once", `
slak: 1
okta:
  org: x
`, []string{`config.yaml:1: slak:`, `config.yaml:3: okta.org:`}},
		{"duplicate key", `
demo: true
demo: false
`, []string{`config.yaml:2: demo: set twice (first at line 1)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseErr(t, tt.src, noEnv).Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if tt.name == "no suggestion when nothing is close" && strings.Contains(msg, "did you mean") {
				t.Errorf("unexpected suggestion: %s", msg)
			}
		})
	}
}

func TestParse_TypeErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"duration with bad unit", "okta:\n  deactivate_after: 7x\n", `config.yaml:2: okta.deactivate_after: invalid duration "7x"`},
		{"negative days", "escalation:\n  remind_after: -1d\n", `config.yaml:2: escalation.remind_after: invalid duration "-1d"`},
		{"int", "runner:\n  workers: many\n", `config.yaml:2: runner.workers: want a whole number, got "many"`},
		{"bool", "demo: maybe\n", `config.yaml:1: demo: want true or false, got "maybe"`},
		{"float", "licenses:\n  okta: cheap\n", `config.yaml:2: licenses.okta: want a number, got "cheap"`},
		{"list for string", "company:\n  name: [a, b]\n", `config.yaml:2: company.name: want a single value, got a list`},
		{"scalar for section", "slack: yes\n", `config.yaml:1: slack: want a mapping of keys, got "yes"`},
		{"scalar for list", "escalation:\n  escalate_to: a@b.c\n", `config.yaml:2: escalation.escalate_to: want a list, got "a@b.c"`},
		{"duration in a playbook", "playbooks:\n  - name: p\n    tasks:\n      - key: k\n        due: soon\n",
			`config.yaml:5: playbooks[0].tasks[0].due: invalid duration "soon"`},
		{"syntax error", "company:\n  name: [unclosed\n", `config.yaml:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := parseErr(t, tt.src, noEnv).Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error\n%s\ndoes not contain\n%s", msg, tt.want)
			}
		})
	}
}

func TestParse_Durations(t *testing.T) {
	tests := []struct {
		src  string
		want time.Duration
	}{
		{"7d", 7 * 24 * time.Hour},
		{"90s", 90 * time.Second},
		{"2h", 2 * time.Hour},
		{"1h30m", 90 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			c := parse(t, "okta:\n  deactivate_after: "+tt.src+"\n", noEnv)
			if got := c.Okta.DeactivateAfter.D(); got != tt.want {
				t.Errorf("deactivate_after = %v, want %v", got, tt.want)
			}
		})
	}
}

// A misspelt key or a value of the wrong type does not hide the other
// sections' problems: one run lists them all. The broken section itself
// reports only what is wrong in the text, not what follows from it.
func TestParse_OneRound(t *testing.T) {
	ve := parseErr(t, `
company:
  name: x
  time_zone: Mars/Base
runner:
  workers: many
  max_attempts: 0
okta:
  org_ulr: https://example.okta.com
  client_id: c
log:
  level: loud
`, noEnv)
	msg := ve.Error()
	for _, w := range []string{
		`config.yaml:3: company.time_zone: unknown time zone "Mars/Base"`,
		`config.yaml:5: runner.workers: want a whole number, got "many"`,
		`config.yaml:8: okta.org_ulr: unknown key "org_ulr" in okta — did you mean "org_url"?`,
		`config.yaml:11: log.level: want debug, info, warn or error, got "loud"`,
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "runner.max_attempts") || strings.Count(msg, "okta.") != 1 {
		t.Errorf("a section with a problem in its text reported more:\n%s", msg)
	}
	var check config.Check = func(*config.Config) []config.Problem {
		return []config.Problem{{Path: "log.level", Message: "from the check"}}
	}
	_, err := config.ParseChecked([]byte("runner:\n  workers: many\nlog:\n  level: info\n"), "config.yaml", noEnv, check)
	if err == nil || !strings.Contains(err.Error(), "config.yaml:4: log.level: from the check") || !strings.Contains(err.Error(), "runner.workers") {
		t.Errorf("a check's problem with the document's: %v", err)
	}
}
