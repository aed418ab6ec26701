package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/jamf/jamftest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// jamfYAML is the jamf: section pointing serve at a fake Jamf Pro.
func jamfYAML(s *jamftest.Server) string {
	return fmt.Sprintf("jamf:\n  url: %q\n  client_id: %q\n  client_secret: %q\n", s.URL, jamftest.ClientID, jamftest.ClientSecret)
}

// person is an actor of the test's company, resolved by the engine.
func personActor(email string) offboard.Actor {
	return offboard.Actor{Kind: offboard.ActorPerson, ID: email, Email: email, Platform: "console"}
}

// A company on Okta and Jamf Pro lets Jane go involuntarily through
// serve: Okta suspends her before Jamf is sent anything that changes a
// device; her Mac, off at first, gets one DEVICE_LOCK with a 6-digit PIN
// and the lock stays unverified until the Mac checks in; IT's retry after
// the check-in sends no second lock and is done. The PIN is in neither
// the API's case view nor the audit export. The wipe waits for Legal and
// two distinct IT approvers, then erases the approved Mac only.
func TestServe_OktaJamf(t *testing.T) {
	okta := oktatest.New(t)
	jane := okta.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		ManagerID: "mona.manager@example.com", Sessions: 2})
	jamf := jamftest.New(t)
	mac := jamf.AddComputer(jamftest.Computer{Name: "Jane's MacBook", Model: "MacBook Pro (14-inch, 2023)", Serial: "C02JANE1",
		Email: "jane.doe@example.com", Username: "jane.doe", OSVersion: "14.5", LastContact: time.Now().Add(-26 * time.Hour),
		FileVault: "ENCRYPTED", PurchasePrice: "1,899.00 USD"})
	other := jamf.AddComputer(jamftest.Computer{Model: "Mac mini", Serial: "BOB1", Email: "bob@example.com"})

	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n",
		okta.URL(), oktatest.Token)+jamfYAML(jamf))
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "  it: [ivan.it@example.com]\n",
		"  it: [ivan.it@example.com, iris.it@example.com, omar.it@example.com]\n  legal: [lena.legal@example.com]\n", 1))
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfgPath, wireOptions{})

	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "Okta suspended, devices read, the lock sent and unacknowledged", func() bool {
		v = readCase(t, app, "OFF-0001")
		for _, k := range []string{"okta_suspend", "jamf_devices"} {
			if task := taskByKey(v, k); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		lock := taskByKey(v, "jamf_lock")
		return lock != nil && lock.Status == offboard.TaskUnverified
	})
	if u, _ := okta.User(jane.ID); u.Status != "SUSPENDED" {
		t.Fatalf("Okta status %s", u.Status)
	}
	// Okta's suspension went out before Jamf was asked to change anything.
	var suspendAt, lockAt time.Time
	for _, r := range okta.Requests() {
		if strings.HasSuffix(r.Path, "/lifecycle/suspend") {
			suspendAt = r.At
		}
	}
	posts := 0
	for _, r := range jamf.Requests() {
		if r.Method == "POST" && r.Path == "/api/v2/mdm/commands" {
			posts++
			if lockAt.IsZero() {
				lockAt = r.At
			}
		}
	}
	if suspendAt.IsZero() || lockAt.IsZero() || !suspendAt.Before(lockAt) {
		t.Fatalf("Okta suspend at %s, Jamf lock at %s: want the suspension first", suspendAt, lockAt)
	}
	cmds := jamf.Commands(mac.ManagementID)
	if posts != 1 || len(cmds) != 1 || cmds[0].Type != "DEVICE_LOCK" || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(cmds[0].PIN) {
		t.Fatalf("%d posts; commands to the Mac %+v", posts, cmds)
	}
	pin := cmds[0].PIN
	if len(jamf.Commands(other.ManagementID)) != 0 {
		t.Fatal("someone else's Mac got a command")
	}
	lock := taskByKey(v, "jamf_lock")
	if !strings.Contains(lock.Evidence["device."+mac.ManagementID], "pending") || lock.Evidence["pin."+mac.ManagementID] != "set" {
		t.Fatalf("lock evidence %v", lock.Evidence)
	}
	snap, err := offboard.ParseDeviceSnapshot(taskByKey(v, "jamf_devices").Evidence[offboard.EvidenceDevices])
	if err != nil || len(snap.Devices) != 1 || snap.Devices[0].Serial != "C02JANE1" || snap.Devices[0].Value != "1,899.00 USD" {
		t.Fatalf("device snapshot %+v, %v", snap, err)
	}
	if line := snap.Devices[0].Line(time.Now()); !strings.Contains(line, "MacBook Pro") || !strings.Contains(line, "encrypted") {
		t.Errorf("device line %q", line)
	}
	view := call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "")
	if strings.Contains(string(view.body), pin) {
		t.Fatal("the lock PIN is in the API's case view")
	}

	res, err := app.app.engine.Apply(t.Context(), offboard.RevealSecrets{By: personActor("ivan.it@example.com"), CaseID: "OFF-0001", TaskKey: "jamf_lock"})
	if err != nil || res.Secrets[offboard.SecretDevicePIN+mac.ManagementID] != pin {
		t.Fatalf("IT's reveal: %v, %v", res, err)
	}
	if _, err := app.app.engine.Apply(t.Context(), offboard.RevealSecrets{By: personActor("hana.hr@example.com"), CaseID: "OFF-0001", TaskKey: "jamf_lock"}); err == nil {
		t.Fatal("HR saw the PIN")
	}
	// The Mac checks in; IT retries the lock, which finds it acknowledged.
	if n := jamf.CheckIn("C02JANE1"); n != 1 {
		t.Fatalf("check-in settled %d commands", n)
	}
	ivan := personActor("ivan.it@example.com")
	if _, err := app.app.engine.Apply(t.Context(), offboard.StartTask{By: ivan, CaseID: "OFF-0001", TaskKey: "jamf_lock"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lock done", func() bool {
		return taskByKey(readCase(t, app, "OFF-0001"), "jamf_lock").Status == offboard.TaskDone
	})
	if res, err := app.app.engine.Apply(t.Context(), offboard.RevealSecrets{By: ivan, CaseID: "OFF-0001", TaskKey: "jamf_lock"}); err != nil || res.Secrets[offboard.SecretDevicePIN+mac.ManagementID] != pin {
		t.Fatalf("the PIN after the retry: %v, %v", res, err)
	}
	if n := len(jamf.Commands(mac.ManagementID)); n != 1 {
		t.Fatalf("%d commands to the Mac after the retry, want the one lock", n)
	}

	// The wipe: Legal clears the hold, Ivan asks for the Mac, and it goes
	// only with two IT yeses from people other than Ivan.
	if _, err := app.app.engine.Apply(t.Context(), offboard.CompleteTask{By: personActor("lena.legal@example.com"), CaseID: "OFF-0001", TaskKey: "legal_hold"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.app.engine.Apply(t.Context(), offboard.RequestApproval{By: ivan, CaseID: "OFF-0001", TaskKey: "jamf_wipe",
		Params: map[string]string{"device_id": "C02JANE1"}}); err != nil { // the serial the card shows
		t.Fatal(err)
	}
	var approvalID string
	for _, a := range readCase(t, app, "OFF-0001").Approvals {
		if a.TaskKey == "jamf_wipe" && a.Status == offboard.ApprovalPending {
			approvalID = a.ID
		}
	}
	if approvalID == "" {
		t.Fatal("no pending approval for the wipe")
	}
	for _, who := range []string{"ivan.it@example.com", "iris.it@example.com"} {
		_, _ = app.app.engine.Apply(t.Context(), offboard.DecideApproval{By: personActor(who), ApprovalID: approvalID, Approve: true})
	}
	time.Sleep(300 * time.Millisecond) // the runner would have sent the erase by now, were it allowed
	for _, c := range jamf.Commands(mac.ManagementID) {
		if c.Type == "ERASE_DEVICE" {
			t.Fatal("the erase reached Jamf with one valid approver")
		}
	}
	if _, err := app.app.engine.Apply(t.Context(), offboard.DecideApproval{By: personActor("omar.it@example.com"), ApprovalID: approvalID, Approve: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the erase sent and unacknowledged", func() bool {
		return taskByKey(readCase(t, app, "OFF-0001"), "jamf_wipe").Status == offboard.TaskUnverified
	})
	cmds = jamf.Commands(mac.ManagementID)
	if len(cmds) != 2 || cmds[1].Type != "ERASE_DEVICE" || cmds[1].PIN == "" || cmds[1].PIN == pin {
		t.Fatalf("commands to the Mac %+v", cmds)
	}
	erasePIN := cmds[1].PIN
	if len(jamf.Commands(other.ManagementID)) != 0 {
		t.Fatal("someone else's Mac got a command")
	}
	t.Logf("Jamf commands per device for the exit: %d (one lock, one erase; retries sent none)", len(cmds))

	app.stop()
	code, out, _ := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	if code != 0 || !strings.Contains(out, "lock done at") || !strings.Contains(out, `"pin.`+mac.ManagementID+`":"set"`) {
		t.Fatalf("audit export lacks the evidence:\n%s", out)
	}
	if strings.Contains(out, pin) || strings.Contains(out, erasePIN) {
		t.Fatal("a PIN is in the audit export")
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify = %d %s %s", code, out, errOut)
	}
}

// doctor checks Jamf Pro read-only and says the lock and wipe privileges
// could not be tried; a missing privilege fails naming it; with jamf off
// it is skipped.
func TestCmdDoctor_Jamf(t *testing.T) {
	jamf := jamftest.New(t)
	code, out, errOut := runDoctorCmd(t, "--config", writeConfig(t, t.TempDir(), jamfYAML(jamf)))
	if code != 0 || !strings.Contains(out, "✓ Jamf Pro: read computers") || !strings.Contains(out, "✓ Jamf Pro: read MDM commands") ||
		!strings.Contains(out, "! Jamf Pro: lock and wipe") {
		t.Fatalf("exit %d %s\n%s", code, errOut, out)
	}
	if strings.Contains(out+errOut, jamftest.ClientSecret) {
		t.Fatal("the client secret is in the doctor's output")
	}
	for _, req := range jamf.Requests() {
		if req.Method != "GET" && !strings.HasSuffix(req.Path, "/oauth/token") {
			t.Fatalf("the doctor wrote: %s %s", req.Method, req.Path)
		}
	}
	jamf.SetPrivileges("Read Computers")
	code, out, _ = runDoctorCmd(t, "--config", writeConfig(t, t.TempDir(), jamfYAML(jamf)))
	if code == 0 || !strings.Contains(out, "Read Mobile Devices") {
		t.Fatalf("a missing privilege: exit %d\n%s", code, out)
	}
	_, out, _ = runDoctorCmd(t, "--config", writeConfig(t, t.TempDir(), ""))
	if !strings.Contains(out, "– Jamf Pro: not configured") {
		t.Fatalf("jamf off:\n%s", out)
	}
}
