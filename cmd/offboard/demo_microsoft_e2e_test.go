package main

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
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
	// The actions after the first use the id it found without reading
	// the user again, so they name the user by the case's email.
	for _, k := range revocations[:4] {
		if ev := taskByKey(v, k).Evidence; ev["user_id"] == "" || (ev["user_principal_name"] != "jane.doe@example.com" && ev["email"] != "jane.doe@example.com") {
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
	// Entra is the demo's directory: its people come with their managers,
	// and a misspelt email is refused with the nearest one (README step 5).
	eventually(t, "the directory read from the fake Graph", func() bool { return app.app.directory.Len() >= len(demoPeople()) })
	if m := app.app.directory.ManagerOf("jane.doe@example.com"); m != "mona.manager@example.com" {
		t.Errorf("Jane's manager from Entra = %q", m)
	}
	typo := `{"employee":{"email":"jane.doe@exmaple.com"},"kind":"involuntary"}`
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, typo); r.status != 422 ||
		!strings.Contains(string(r.body), "Microsoft Entra ID") || !strings.Contains(string(r.body), "jane.doe@example.com") {
		t.Errorf("a misspelt email = %d %s, want 422 naming Entra and the nearest email", r.status, r.body)
	}
}

// The README's Microsoft walk-through in the console: Hana opens Jane's
// case, Lena reviews the legal hold, Ivan asks to wipe Jane's laptop and
// Iris and Owen (whom the demo adds to IT) approve; one approval is not
// enough, and the wipe reaches the fake Intune only after the second.
func TestConsole_MicrosoftDemoWipe(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "demo: true\ndemo_flavour: microsoft\nconsole:\n  enabled: true\n")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Legal reviews the hold before a wipe; the test config has no one.
	data = []byte(strings.Replace(string(data), "roles:\n", "roles:\n  legal: [lena.legal@example.com]\n", 1))
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfgPath, wireOptions{})
	hana := newConsoleUser(t, app.url, "hana.hr@example.com")
	if page := hana.ask("/offboard jane.doe@example.com involuntary"); !strings.Contains(page, "OFF-0001") {
		t.Fatalf("the case did not open:\n%.2000s", page)
	}
	var v offboard.CaseView
	eventually(t, "the lock done", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		lock := taskByKey(v, "intune_lock")
		return lock != nil && lock.Status == offboard.TaskDone
	})
	snaps := offboard.LatestDevices(v.Tasks)
	if len(snaps) == 0 || len(snaps[0].Devices) != 1 {
		t.Fatalf("Jane's devices %+v", snaps)
	}
	laptop := snaps[0].Devices[0].ID

	lena := newConsoleUser(t, app.url, "lena.legal@example.com")
	lena.post("/console/click", url.Values{"room": {"OFF-0001"},
		"value": {offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: "OFF-0001", TaskKey: "legal_hold"}.Encode()}})
	ivan := newConsoleUser(t, app.url, "ivan.it@example.com")
	page := ivan.post("/console/click", url.Values{"room": {"OFF-0001"},
		"value": {offboard.ActionRef{Verb: offboard.VerbAskAgain, CaseID: "OFF-0001", TaskKey: "intune_wipe"}.Encode()}})
	if !strings.Contains(page, `name="param_device_id"`) {
		t.Fatalf("Ask again did not open the wipe's form:\n%.3000s", page)
	}
	ivan.post("/console/submit", url.Values{"room": {"OFF-0001"}, "form_id": {bot.FormAskAgain},
		"param_device_id": {laptop}, "param_keep_enrollment": {"false"}, "param_keep_user_data": {"false"}})
	var approvalID string
	eventually(t, "the wipe's approval requested", func() bool {
		for _, a := range call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t).Approvals {
			if a.TaskKey == "intune_wipe" && a.Status == offboard.ApprovalPending {
				approvalID = a.ID
			}
		}
		return approvalID != ""
	})
	approve := url.Values{"room": {"OFF-0001"},
		"value": {offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: approvalID}.Encode()}}
	newConsoleUser(t, app.url, "iris.it@example.com").post("/console/click", approve)
	time.Sleep(300 * time.Millisecond) // the runner would have sent the wipe by now, were it allowed
	if st := taskByKey(call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t), "intune_wipe").Status; st == offboard.TaskDone || st == offboard.TaskRunning {
		t.Fatalf("the wipe is %s after one approval", st)
	}
	newConsoleUser(t, app.url, "owen.it@example.com").post("/console/click", approve)
	eventually(t, "the wipe done on the online laptop", func() bool {
		return taskByKey(call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t), "intune_wipe").Status == offboard.TaskDone
	})
}
