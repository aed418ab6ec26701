package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
)

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each must appear in the error, one problem each
	}{
		{"bad time zone", `
company:
  time_zone: Mars/Olympus
`, []string{`config.yaml:2: company.time_zone: unknown time zone "Mars/Olympus"`}},
		{"bad revocation time", `
company:
  revocation_time: "25:00"
`, []string{`config.yaml:2: company.revocation_time: want HH:MM`}},
		{"revocation time without zero", `
company:
  revocation_time: "9:00"
`, []string{`config.yaml:2: company.revocation_time: want HH:MM`}},
		{"date window out of range", `
cases:
  max_future: 3651d
  max_past: 0s
`, []string{`config.yaml:2: cases.max_future: must be from 1d to 3650d, got 3651d`,
			`config.yaml:3: cases.max_past: must be from 1d to 36500d, got 0s`}},
		{"evidence sla with an unknown kind and a bad rule", `
evidence:
  sla:
    fired: 1h
    voluntary: tomorrow
`, []string{`evidence.sla.fired: unknown departure kind`, `evidence.sla.voluntary: "tomorrow" is neither end_of_last_day nor a positive duration`}},
		{"slack app token without bot token", `
slack:
  app_token: xapp-1-abc
`, []string{`config.yaml: slack.bot_token: required when slack.app_token is set`}},
		{"slack bot token without app token", `
slack:
  bot_token: xoxb-1-abc
`, []string{`config.yaml: slack.app_token: required when slack.bot_token is set`}},
		{"wrong token prefixes", `
slack:
  app_token: xoxb-wrong-kind
  bot_token: xoxp-user-token
`, []string{
			`config.yaml:2: slack.app_token: must start with xapp-`,
			`config.yaml:3: slack.bot_token: must start with xoxb-`,
		}},
		{"slack api url without slash", `
slack:
  app_token: xapp-1
  bot_token: xoxb-1
  api_url: "http://127.0.0.1:9999/api"
`, []string{`config.yaml:4: slack.api_url: must end with /`}},
		{"write-off after hours, not days", `
devices:
  write_off_after: 30m
`, []string{`config.yaml:2: devices.write_off_after: must be 0 (never ask) or at least 1d, got 30m0s`}},
		{"escalate_after not after remind_after", `
escalation:
  remind_after: 2d
  escalate_after: 48h
`, []string{`config.yaml:3: escalation.escalate_after: must be longer than escalation.remind_after (2d)`}},
		{"bad role and duplicate name in api tokens", `
api:
  tokens:
    - name: sync
      token: "0123456789abcdef"
      role: hr
    - name: sync
      token: "fedcba9876543210"
      role: boss
`, []string{
			`config.yaml:6: api.tokens[1].name: duplicate name "sync" (also api.tokens[0])`,
			`config.yaml:8: api.tokens[1].role: unknown role "boss"`,
		}},
		{"short api token and missing role", `
api:
  tokens:
    - name: sync
      token: short
`, []string{
			`config.yaml:4: api.tokens[0].token: too short`,
			`config.yaml: api.tokens[0].role: required`,
		}},
		{"secret and secret file both set", `
okta:
  org_url: https://example.okta.com
  api_token: abc
  api_token_file: /nonexistent
`, []string{`config.yaml:3: okta.api_token: set either okta.api_token or okta.api_token_file, not both`}},
		{"okta needs https and a token", `
okta:
  org_url: http://example.okta.com
`, []string{
			`config.yaml:2: okta.org_url: must be https (set okta.insecure_http_for_tests only for a local fake)`,
			`config.yaml: okta.client_id: required when okta.org_url is set: an OAuth service app (client_id + private_key), or okta.api_token`,
		}},
		{"teams needs password and tenant", `
teams:
  app_id: "123"
  login_url: "http://login.example.com"
`, []string{
			`config.yaml: teams.app_password: required when teams.app_id is set`,
			`teams.login_url: must use https (http is allowed only for localhost), got "http://login.example.com"`,
			`config.yaml: teams.tenant_id: required when teams.app_id is set`,
		}},
		{"roles and departments", `
roles:
  hr: [hana@example.com, "not an email", 0f8fad5b-d9cb-469f-a165-70867728950e]
  admn: [ada@example.com]
departments:
  it: {lead: ivan}
  Legal Team: {}
  facilities: {role: admin}
  system: {}
  people: {label: hr}
`, []string{
			`config.yaml:2: roles.hr[1]: want an email address (or a Teams user's AAD object id), got "not an email"`,
			`config.yaml:3: roles.admn: unknown role "admn"; want one of hr, it, finance, security, legal, admin, auditor, people — did you mean "admin"?`,
			`config.yaml:5: departments.it.lead: want an email address, got "ivan"`,
			`config.yaml:6: departments["Legal Team"]: department key "Legal Team": want lowercase letters, digits and _ (starting with a letter), as playbooks name it`,
			`config.yaml:7: departments.facilities.role: "admin" cannot work a department's tasks; name a role of its own (default "facilities")`,
			`config.yaml:9: departments.people.label: "hr" is also the label of departments.hr; people could not tell them apart`,
			`config.yaml:8: departments.system: "system" is a role, not a department; name the department otherwise`,
		}},
		{"ranges and enums", `
log:
  level: verbose
  format: xml
runner:
  workers: 0
  max_attempts: 51
escalation:
  max_level: 11
http:
  listen: "8080"
store:
  lock_timeout: 0s
`, []string{
			`config.yaml:2: log.level:`, `config.yaml:3: log.format:`, `config.yaml:5: runner.workers: must be from 1 to 64, got 0`,
			`config.yaml:6: runner.max_attempts:`, `config.yaml:8: escalation.max_level:`, `config.yaml:10: http.listen:`,
			`config.yaml:12: store.lock_timeout: must be longer than 0`,
		}},
		{"backups need a directory and a sane schedule", `
store:
  backup:
    every: 6h
    keep: 0
`, []string{
			`config.yaml: store.backup.dir: required when store.backup.every is set (6h`,
			`config.yaml:4: store.backup.keep: must be at least 1, got 0`,
		}},
		{"backups every few seconds", `
store:
  backup:
    dir: backups
    every: 10s
`, []string{`config.yaml:4: store.backup.every: must be at least 1m (each backup`}},
		{"playbook names", `
playbooks:
  - name: a
  - name: a
  - tasks: []
`, []string{
			`config.yaml:3: playbooks[1].name: duplicate playbook name "a"`,
			`config.yaml: playbooks[2].name: required`,
		}},
		{"business hours checked when enabled", `
business_hours:
  enabled: true
  start: "18:00"
  end: "09:00"
  days: [mon, mon, funday]
`, []string{
			`config.yaml:4: business_hours.end: must be later than business_hours.start`,
			`config.yaml:5: business_hours.days[1]: mon is listed twice`,
			`config.yaml:5: business_hours.days[2]: want one of mon`,
		}},
		{"console token off loopback", `
http:
  listen: "0.0.0.0:8080"
  allowed_hosts: ["offboard.example.com"]
console:
  enabled: true
`, []string{`config.yaml: console.token: required when console.enabled is true, http.listen ("0.0.0.0:8080") is not a loopback address and no one signs in (console.oidc.issuer, outside demo mode)`}},
		{"allowed hosts", `
http:
  listen: "0.0.0.0:8080"
  allowed_hosts: ["offboard.example.com:8443", "https://x.example.com", ""]
`, []string{`config.yaml:3: http.allowed_hosts[1]: want a host name or host:port such as offboard.example.com, got "https://x.example.com"`,
			`config.yaml:3: http.allowed_hosts[2]: want a host name or host:port such as offboard.example.com, got ""`}},
		{"listen off loopback without hosts", `
http:
  listen: "0.0.0.0:8080"
`, []string{`config.yaml: http.allowed_hosts: set it or http.public_url when http.listen ("0.0.0.0:8080") is not a loopback address: name the hosts clients reach offboard at`}},
		{"oidc incomplete", `
console:
  enabled: true
  oidc:
    issuer: "http://idp.example.com"
    scopes: [email]
    session_ttl: 1m
`, []string{
			`config.yaml:4: console.oidc.issuer: must use https`,
			`config.yaml: console.oidc.client_id: required when console.oidc.issuer is set`,
			`config.yaml: console.oidc.client_secret: required when console.oidc.issuer is set`,
			`config.yaml: console.oidc.redirect_url: required when http.public_url is not set`,
			`config.yaml:5: console.oidc.scopes: must include openid`,
			`config.yaml:6: console.oidc.session_ttl: want from 5m to 720h`,
		}},
		{"oidc without issuer", `
console:
  oidc:
    client_id: abc
`, []string{`config.yaml: console.oidc.issuer: required when other console.oidc keys are set`}},
		{"azure api version without tools", `
assistant:
  api_key: k
  base_url: https://acme.openai.azure.com
  api_version: "2023-05-15"
`, []string{`config.yaml:4: assistant.api_version: 2023-05-15 has no tool calling, which the assistant needs; use 2024-10-21 or later`}},
		{"azure api version not a date", `
assistant:
  api_key: k
  api_version: "latest"
`, []string{`config.yaml:3: assistant.api_version: want an Azure OpenAI api-version such as 2024-10-21 (YYYY-MM-DD, or YYYY-MM-DD-preview), got "latest"`}},
		{"channel template", `
slack:
  app_token: xapp-1
  bot_token: xoxb-1
  channel_name_template: "Offboard-{first}-{nick}"
`, []string{
			`config.yaml:4: slack.channel_name_template: must contain {case_id}`,
			`config.yaml:4: slack.channel_name_template: unknown placeholder`,
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
			if got := strings.Count(msg, "\n") + 1; got != len(ve.Problems) {
				t.Errorf("Error() has %d lines for %d problems", got, len(ve.Problems))
			}
		})
	}
}

func TestConfig_Validate_DisabledSectionsAreNotChecked(t *testing.T) {
	parse(t, `
slack:
  api_url: "not a url"
  channel_name_template: ""
teams:
  openid_metadata_url: "nope"
assistant:
  model: ""
business_hours:
  days: [funday]
digest:
  enabled: false
  cron: ""
`, noEnv)
}

func TestConfig_Validate_ProblemsAreOrderedByLine(t *testing.T) {
	ve := parseErr(t, `
slack:
  app_token: xapp-1
company:
  time_zone: Nowhere/Land
log:
  level: loud
`, noEnv)
	var lines []int
	for _, p := range ve.Problems {
		lines = append(lines, p.Line)
	}
	want := []int{4, 6, 0} // slack.bot_token is not in the file: last
	if len(lines) != len(want) {
		t.Fatalf("lines = %v, want %v\n%v", lines, want, ve)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("lines = %v, want %v\n%v", lines, want, ve)
		}
	}
	if p := ve.Problems[2]; p.Path != "slack.bot_token" {
		t.Errorf("last problem path = %q", p.Path)
	}
}

func TestConfig_Validate_InCode(t *testing.T) {
	c := config.Default()
	c.Company.TimeZone = "Bad/Zone"
	c.API.Tokens = []config.APIToken{{Name: "x", Token: "0123456789abcdef", Role: "root"}}
	err := c.Validate()
	ve, ok := errors.AsType[*config.ValidationError](err)
	if !ok {
		t.Fatalf("Validate() = %v, want *ValidationError", err)
	}
	want := "company.time_zone: unknown time zone \"Bad/Zone\"; want an IANA name such as \"Europe/Berlin\"\napi.tokens[0].role: unknown role \"root\"; want one of hr, it, finance, security, legal, admin, auditor"
	if ve.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", ve.Error(), want)
	}
}

func TestConfig_Helpers(t *testing.T) {
	c := parse(t, `
roles:
  hr: [Jane@Example.com]
  admin: [jane@example.com, bob@example.com]
okta:
  org_url: http://127.0.0.1:8089
  insecure_http_for_tests: true
  api_token: token
assistant:
  base_url: http://localhost:11434/v1
teams:
  app_id: app
  app_password: pw
  tenant_id: tenant
slack:
  bot_token: xoxb-1
  app_token: xapp-1
`, noEnv)
	got := c.RolesOf(" JANE@example.COM ")
	if len(got) != 2 || got[0] != offboard.RoleHR || got[1] != offboard.RoleAdmin {
		t.Errorf("RolesOf = %v", got)
	}
	if r := c.RolesOf("nobody@example.com"); r != nil {
		t.Errorf("RolesOf(nobody) = %v", r)
	}
	if r := c.RolesOf(""); r != nil {
		t.Errorf("RolesOf(\"\") = %v", r)
	}
	if !c.OktaEnabled() || !c.AssistantEnabled() || !c.TeamsEnabled() || !c.SlackEnabled() {
		t.Errorf("enabled: okta=%v assistant=%v teams=%v slack=%v",
			c.OktaEnabled(), c.AssistantEnabled(), c.TeamsEnabled(), c.SlackEnabled())
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secrets", "okta")
	if err := os.MkdirAll(filepath.Dir(secret), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("okta-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "offboard.yaml")
	src := "okta:\n  org_url: https://example.okta.com\n  api_token_file: secrets/okta\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Okta.APIToken.Reveal() != "okta-from-file" {
		t.Errorf("relative api_token_file not resolved against the config directory")
	}
	if c.Source() != path {
		t.Errorf("Source = %q", c.Source())
	}
	if _, err := config.Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestValidate_Delegates(t *testing.T) {
	_, err := config.Parse([]byte("delegates:\n  mona@example.com: [deputy@example.com, mona@example.com, not-an-email]\n  bad-key: [x@example.com]\n"), "c.yaml", nil)
	if err == nil {
		t.Fatal("bad delegates accepted")
	}
	for _, want := range []string{"own delegate", `"not-an-email"`, `"bad-key"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}
	cfg, err := config.Parse([]byte("delegates:\n  Mona@Example.com: [deputy@example.com]\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.DelegatesOf("mona@example.com"); len(got) != 1 || got[0] != "deputy@example.com" {
		t.Fatalf("DelegatesOf = %v", got)
	}
}

func TestValidate_OktaCredentials(t *testing.T) {
	cases := []struct{ src, want string }{
		{"okta:\n  org_url: https://x.okta.com\n  api_token: t\n  client_id: c\n  private_key: k\n", "not both"},
		{"okta:\n  org_url: https://x.okta.com\n  client_id: c\n", "okta.private_key: required with okta.client_id"},
		{"okta:\n  org_url: https://x.okta.com\n  private_key: k\n", "okta.client_id: required with okta.private_key"},
		{"okta:\n  org_url: https://x.okta.com\n  api_token: t\n  rate_share: 1.5\n", "okta.rate_share"},
		{"okta:\n  org_url: https://x.okta.com\n  api_token: t\n  max_concurrent: 0\n", "okta.max_concurrent"},
		{"okta:\n  org_url: https://x.okta.com\n  api_token: t\n  max_concurrent: 1001\n", "okta.max_concurrent"},
		{"okta:\n  org_url: https://x.okta.com\n  client_id: c\n  private_key: k\n  dpop: yes\n", "okta.dpop: want auto, on or off"},
		{"okta:\n  client_id: c\n", "okta.org_url: required"},
	}
	for _, tc := range cases {
		_, err := config.Parse([]byte(tc.src), "c.yaml", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.src, err, tc.want)
		}
	}
	cfg, err := config.Parse([]byte("okta:\n  org_url: https://x.okta.com\n  client_id: c\n  private_key: k\n  private_key_id: kid\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Okta.RateShare != 0.5 || len(cfg.Okta.Scopes) == 0 {
		t.Fatalf("defaults: share %v scopes %v", cfg.Okta.RateShare, cfg.Okta.Scopes)
	}
}

func TestValidate_retention(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{"retention:\n  personal_data: 2190d\n", ""},
		{"retention:\n  personal_data: 0\n", ""},
		{"retention:\n  personal_data: 7d\n", "retention.personal_data: must be at least 30d"},
		{"retention:\n  personal_data: -1h\n", "retention.personal_data: invalid duration"},
	} {
		c, err := config.Parse([]byte(tc.yaml), "config.yaml", func(string) (string, bool) { return "", false })
		if err == nil {
			err = c.Validate()
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
