package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawWords are what a person must never read on the dashboard: status
// and kind keys, department keys, task keys and evidence keys as stored.
// Each is matched as a whole cell or word between tags, so "Pending" in
// a sentence does not count but ">pending<" does.
var rawWords = []*regexp.Regexp{
	regexp.MustCompile(`waiting_approval`),
	regexp.MustCompile(`>\s*(pending|scheduled|running|done|skipped|failed|unverified|open|completed|cancelled)\s*<`),
	regexp.MustCompile(`>\s*(voluntary|involuntary|contract_end|retirement)\s*<`),
	regexp.MustCompile(`>\s*(it|hr|finance|security|legal)\s*<`),
	regexp.MustCompile(`\b(okta_suspend|okta_clear_sessions|okta_reset_mfa|okta_revoke_grants|final_expenses|transfer_drive|mail_forwarding|legal_hold)\b`),
	regexp.MustCompile(`\b(status_after|status_before|okta_request_id|okta_user_id|read_back)\b`),
}

var codeSpan = regexp.MustCompile(`<code>[^<]*</code>`)

// Every dashboard page of a demo with cases in several states speaks in
// words: no raw status, kind, department, task or evidence key.
func TestServe_DashboardLabels(t *testing.T) {
	dir := t.TempDir()
	const token = "dashboard-token-0123456789"
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \""+token+"\"\ndemo: true\n"), wireOptions{})
	lastDay := time.Now().UTC().AddDate(0, 0, 12).Format(time.DateOnly)
	for _, body := range []string{involuntaryJane,
		`{"employee":{"email":"alex.kim@example.com","name":"Alex Kim","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"` + lastDay + `"}`} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}
	// The involuntary case's revocation runs at once: wait for its evidence.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := getPage(t, app.url+"/cases/OFF-0001", token)
		if strings.Contains(body, "Okta request id") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OFF-0001's Okta evidence never showed on its page:\n%.3000s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pages := []string{"/", "/?q=jane", "/?status=completed", "/cases/OFF-0001", "/cases/OFF-0002", "/analytics", "/evidence"}
	for _, p := range pages {
		code, body := getPage(t, app.url+p, token)
		if code != 200 {
			t.Fatalf("%s = %d\n%.400s", p, code, body)
		}
		// Ids shown as code (a job, a vendor's request id) are ids.
		body = codeSpan.ReplaceAllString(body, "<code></code>")
		for _, re := range rawWords {
			if m := re.FindString(body); m != "" {
				i := strings.Index(body, m)
				t.Errorf("%s shows the raw %q: …%s…", p, m, body[max(0, i-200):min(len(body), i+100)])
			}
		}
	}
	// The words that replace them are there.
	_, body := getPage(t, app.url+"/cases/OFF-0001", token)
	for _, want := range []string{"Suspend the Okta account", "Involuntary", "Status afterwards", "Okta request id"} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	_, body = getPage(t, app.url+"/", token)
	for _, want := range []string{"open", "overdue", "approvals waiting", "revoked today", "within SLA", "Closed cases"} {
		if !strings.Contains(body, want) {
			t.Errorf("the index lacks %q", want)
		}
	}
}
