package main

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// With demo: true and no real Okta, serve starts a fake Okta with sample
// people, and an involuntary case revokes one of them through the real
// SDK; the dashboard says DEMO.
func TestServe_DemoRevokesThroughFakeOkta(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "demo: true\nconsole:\n  enabled: true\n"), wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "the demo revocation verified", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		return v.Case.RevokedAt != nil && taskByKey(v, "reclaim_licenses").Status == offboard.TaskDone
	})
	sus := taskByKey(v, "okta_suspend")
	if sus.Status != offboard.TaskDone || sus.Evidence["status_after"] != "SUSPENDED" || sus.Evidence["okta_request_id"] == "" {
		t.Fatalf("demo suspend = %s %v", sus.Status, sus.Evidence)
	}
	if ev := taskByKey(v, "reclaim_licenses").Evidence; !strings.Contains(ev["apps"], "GitHub") || ev["monthly_seat_cost"] == "" {
		t.Fatalf("demo app report %v", ev)
	}
	if code, body := getPage(t, app.url+"/", ""); code != 200 || !strings.Contains(body, "DEMO") {
		t.Fatalf("dashboard without the DEMO banner: %d", code)
	}
}

// Without demo, nothing fake starts: Okta tasks fail with the reason.
func TestServe_NoDemoNoFake(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \"console-token-0123456789\"\n"), wireOptions{})
	if code, body := getPage(t, app.url+"/", "console-token-0123456789"); code != 200 || strings.Contains(body, "DEMO") {
		t.Fatalf("a DEMO banner without demo mode (%d)", code)
	}
}
