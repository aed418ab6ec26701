package main

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// With demo: true and demo_flavour: microsoft, serve starts a fake
// Microsoft Graph with the demo people and their laptops: Jane's
// involuntary case revokes her Entra ID account through the real Graph
// client with the fake's read-back as evidence, locks her laptop (online,
// so acknowledged), and has no Okta task; Sam's laptop is off, so his
// lock is unverified and says pending, never done.
func TestServe_MicrosoftDemoRevokesThroughFakeGraph(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "demo: true\ndemo_flavour: microsoft\nconsole:\n  enabled: true\n"), wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	sam := `{"employee":{"email":"sam.rivera@example.com","name":"Sam Rivera","manager_email":"mona.manager@example.com"},"kind":"involuntary"}`
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, sam); r.status != 201 {
		t.Fatalf("create Sam's = %d %s", r.status, r.body)
	}
	revocations := []string{"entra_suspend", "entra_clear_sessions", "entra_reset_mfa", "entra_revoke_grants", "intune_devices", "intune_lock"}
	var v offboard.CaseView
	eventually(t, "the demo's Entra revocations and the lock done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		for _, k := range revocations {
			if task := taskByKey(v, k); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		return v.Case.RevokedAt != nil
	})
	for _, k := range revocations[:4] {
		if ev := taskByKey(v, k).Evidence; ev["user_id"] == "" || ev["user_principal_name"] != "jane.doe@example.com" {
			t.Errorf("%s evidence %v", k, ev)
		}
	}
	if ev := taskByKey(v, "entra_suspend").Evidence; ev["account_enabled_before"] != "true" || ev["account_enabled_after"] != "false" {
		t.Errorf("suspend evidence %v", ev)
	}
	if ev := taskByKey(v, "entra_reset_mfa").Evidence; ev["methods_removed"] != "2" || ev["methods_after"] != "password only" {
		t.Errorf("MFA evidence %v", ev)
	}
	if ev := taskByKey(v, "entra_revoke_grants").Evidence; ev["grants_before"] != "1" || ev["grants_after"] != "0" {
		t.Errorf("grants evidence %v", ev)
	}
	if ev := taskByKey(v, "intune_devices").Evidence; !strings.Contains(ev[offboard.EvidenceDevices], "JANE-LAPTOP") {
		t.Errorf("devices evidence %v", ev)
	}
	locked := false
	for k, val := range taskByKey(v, "intune_lock").Evidence {
		locked = locked || strings.HasPrefix(k, "device.") && strings.Contains(val, "done")
	}
	if !locked {
		t.Errorf("lock evidence %v", taskByKey(v, "intune_lock").Evidence)
	}
	for _, task := range v.Tasks {
		if strings.HasPrefix(task.Key, "okta_") {
			t.Errorf("the Microsoft demo's case has the Okta task %s", task.Key)
		}
	}
	eventually(t, "Sam's lock unverified while his laptop is off", func() bool {
		lock := taskByKey(call(t, "GET", app.url+"/api/v1/cases/OFF-0002", hrToken, "").view(t), "intune_lock")
		return lock != nil && lock.Status == offboard.TaskUnverified
	})
	pending := false
	for k, val := range taskByKey(call(t, "GET", app.url+"/api/v1/cases/OFF-0002", hrToken, "").view(t), "intune_lock").Evidence {
		pending = pending || strings.HasPrefix(k, "device.") && strings.Contains(val, "pending")
	}
	if !pending {
		t.Error("Sam's unacknowledged lock does not say pending")
	}
	if code, body := getPage(t, app.url+"/", ""); code != 200 || !strings.Contains(body, "DEMO") {
		t.Fatalf("dashboard without the DEMO banner: %d", code)
	}
}
