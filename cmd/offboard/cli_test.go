package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun_Usage(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		out, err string
	}{
		{nil, exitUsage, "", "Commands:"},
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "offboard dev", ""},
		{[]string{"serve", "--help"}, 0, "", "Usage: offboard serve"},
		{[]string{"audit"}, exitUsage, "Usage: offboard audit", "needs a subcommand"},
		{[]string{"audit", "shred"}, exitUsage, "", `unknown command "audit shred"`},
		{[]string{"audit", "export", "--format", "xml", "--config", "x.yaml"}, exitUsage, "", `--format "xml"`},
		{[]string{"audit", "export", "--since", "yesterday", "--config", "x.yaml"}, exitUsage, "", `--since "yesterday"`},
		{[]string{"cases", "show"}, exitUsage, "", "say which case"},
		{[]string{"cases", "show", "jane"}, exitUsage, "", "not a case id"},
		{[]string{"cases", "list", "--status", "lost"}, exitUsage, "", "unknown case status"},
		{[]string{"serve", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"serve", "--config", "/nonexistent/offboard.yaml"}, 1, "", "/nonexistent/offboard.yaml"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	t.Run("the example config is valid", func(t *testing.T) {
		code, out, errOut := runCLI("config", "check", "--config", "../../config.example.yaml")
		if code != 0 || !strings.Contains(out, "OK") || !strings.Contains(out, "default (17 tasks)") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("a typo names the key and line", func(t *testing.T) {
		dir := t.TempDir()
		path := writeConfig(t, dir, "slak:\n  app_token: x\n")
		code, _, errOut := runCLI("config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, `unknown key "slak"`) || !strings.Contains(errOut, `did you mean "slack"`) || !strings.Contains(errOut, "offboard.yaml:31") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("a bad playbook names the task", func(t *testing.T) {
		dir := t.TempDir()
		path := writeConfig(t, dir, `playbooks:
  - name: default
    tasks:
      - key: wipe_laptop
        department: it
        title: Wipe the laptop
        action: jamf.wipe
`)
		code, _, errOut := runCLI("config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, `task "wipe_laptop"`) || !strings.Contains(errOut, `unknown action "jamf.wipe"`) {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		// serve refuses to start with it too.
		code, _, errOut = runCLI("serve", "--config", path)
		if code != 1 || !strings.Contains(errOut, "wipe_laptop") {
			t.Fatalf("serve: exit %d: %s", code, errOut)
		}
	})
	t.Run("a task of an unknown department names the key, a configured one passes", func(t *testing.T) {
		dir := t.TempDir()
		task := `playbooks:
  - name: default
    tasks:
      - key: return_badge
        department: facilities
        title: Collect the badge
        action: manual
`
		path := writeConfig(t, dir, task)
		code, _, errOut := runCLI("config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, `task "return_badge"`) || !strings.Contains(errOut, `department "facilities" is not one of it, finance, security, hr, legal`) {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		path = writeConfig(t, t.TempDir(), task+"departments:\n  facilities: {label: Workplace}\n")
		if code, out, errOut := runCLI("config", "check", "--config", path); code != 0 || !strings.Contains(out, "default (18 tasks)") {
			t.Fatalf("with facilities configured: exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("an unset variable names it", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte("okta:\n  org_url: https://example.okta.com\n  api_token: ${OFFBOARD_TEST_UNSET_TOKEN}\n"), 0o600)
		code, _, errOut := runCLI("config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, "OFFBOARD_TEST_UNSET_TOKEN") || !strings.Contains(errOut, "c.yaml:3") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("a playbook may name capabilities", func(t *testing.T) {
		dir := t.TempDir()
		path := writeConfig(t, dir, `playbooks:
  - name: contractors
    kinds: [contract_end]
    tasks:
      - capability: identity.suspend
        department: it
        when: at_last_day
      - key: "{system}_close"
        capability: identity.deactivate
        department: it
        after: [identity.suspend]
`)
		code, out, errOut := runCLI("config", "check", "--config", path)
		if code != 0 || !strings.Contains(out, "contractors (2 tasks)") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("an unknown capability names it", func(t *testing.T) {
		dir := t.TempDir()
		path := writeConfig(t, dir, `playbooks:
  - name: contractors
    tasks:
      - capability: identity.teleport
        department: it
`)
		code, _, errOut := runCLI("config", "check", "--config", path)
		if code != 1 || !strings.Contains(errOut, `unknown capability "identity.teleport"`) || !strings.Contains(errOut, "identity.suspend") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}
