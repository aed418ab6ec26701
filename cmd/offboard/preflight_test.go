package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// preflightConfig is a valid config with body appended; escalation and
// digest are left to body so that a case can set them.
func preflightConfig(t *testing.T, body string) (path, store string) {
	t.Helper()
	dir := t.TempDir()
	store = filepath.Join(dir, "offboard.db")
	text := fmt.Sprintf("company:\n  name: Test Corp\n  time_zone: UTC\nstore:\n  path: %q\nhttp:\n  listen: \"127.0.0.1:0\"\n%s", store, body)
	path = filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, store
}

// Every config serve refuses, config check refuses with the same words,
// and serve refuses it before it opens the store or listens.
func TestServePreflight_ServeAndConfigCheckAgree(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string // each a line "offboard.yaml:LINE: PATH: …" must contain
	}{
		{"a bad digest.cron", "digest:\n  cron: \"0 25 * * *\"\n",
			[]string{`offboard.yaml:9: digest.cron: not a cron spec`}},
		{"a bad escalation.check", "escalation:\n  check: \"every minute\"\n",
			[]string{`offboard.yaml:9: escalation.check: not a cron spec`}},
		{"a playbook with an unknown action", "playbooks:\n  - name: default\n    tasks:\n      - key: wipe_laptop\n        department: it\n        title: Wipe\n        action: jamf.wipe\n",
			[]string{`offboard.yaml:9: playbooks[0]: `, `unknown action "jamf.wipe"`}},
		{"a connector's settings", "okta:\n  org_url: \"http://example.okta.com\"\n  api_token: abc123abc123abc123\n",
			[]string{`offboard.yaml:9: okta.org_url: must be https`}},
		{"a misspelt key and a bad cron at once", "slak:\n  app_token: x\ndigest:\n  cron: \"0 9 * * 8\"\n",
			[]string{`offboard.yaml:8: slak: unknown key "slak" in (root) — did you mean "slack"?`, `offboard.yaml:11: digest.cron: not a cron spec`}},
		{"several problems at once", "digest:\n  cron: \"61 * * * *\"\nescalation:\n  check: \"@every soon\"\nplaybooks:\n" +
			"  - name: contractors\n    tasks:\n      - key: a\n        department: it\n        title: A\n        action: nope.a\n" +
			"  - name: interns\n    tasks:\n      - key: b\n        department: facilities\n        title: B\n        action: manual\n",
			[]string{`offboard.yaml:9: digest.cron: `, `offboard.yaml:11: escalation.check: `,
				`offboard.yaml:13: playbooks[0]: `, `unknown action "nope.a"`,
				`offboard.yaml:19: playbooks[1]: `, `department "facilities"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, store := preflightConfig(t, tc.body)
			checkCode, checkOut, checkErr := runCLI("config", "check", "--config", path)
			serveCode, _, serveErr := runCLI("serve", "--config", path)
			if checkCode != 1 || serveCode != 1 {
				t.Fatalf("config check exit %d, serve exit %d\ncheck: %s%s\nserve: %s", checkCode, serveCode, checkOut, checkErr, serveErr)
			}
			if checkErr != serveErr {
				t.Fatalf("serve and config check disagree:\nconfig check: %s\nserve: %s", checkErr, serveErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(checkErr, w) {
					t.Errorf("missing %q in:\n%s", w, checkErr)
				}
			}
			if _, err := os.Stat(store); !os.IsNotExist(err) {
				t.Errorf("serve created the store before refusing its config (stat: %v)", err)
			}
		})
	}
}

// Validation's own problems and serve's extra checks come in one report.
func TestServePreflight_OneRound(t *testing.T) {
	path, _ := preflightConfig(t, "digest:\n  cron: \"0 9 * * 8\"\nrunner:\n  workers: -1\n")
	code, _, errOut := runCLI("config", "check", "--config", path)
	if code != 1 || !strings.Contains(errOut, "digest.cron: not a cron spec") || !strings.Contains(errOut, "runner.workers") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestServePreflight_ValidPasses(t *testing.T) {
	path, _ := preflightConfig(t, "digest:\n  cron: \"30 8 * * 1-5\"\nescalation:\n  check: \"@every 5m\"\n")
	if code, out, errOut := runCLI("config", "check", "--config", path); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// A client's refusal is reported with the section's path, once, and with
// no secret of the config in it.
func TestServePreflight_ConnectorRefusalRedacted(t *testing.T) {
	path, _ := preflightConfig(t, "okta:\n  org_url: https://example.okta.com\n  api_token: notaurl-secret-123456\n")
	cfg, err := loadForServe(path)
	if err != nil {
		t.Fatal(err)
	}
	// What validation would refuse, set behind its back: the client's
	// own check must still stop serve.
	cfg.Okta.OrgURL = "notaurl-secret-123456"
	problems := servePreflight(cfg)
	if len(problems) != 1 || problems[0].Path != "okta" || strings.Contains(problems[0].Message, "notaurl-secret") ||
		!strings.HasPrefix(problems[0].Message, `org_url "[REDACTED]" is not a URL`) {
		t.Fatalf("problems = %+v", problems)
	}
}
