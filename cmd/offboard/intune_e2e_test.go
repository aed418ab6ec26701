package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// Two more IT people and Legal in the fake Teams tenant: a wipe needs two
// IT approvers who are neither the requester (Ivan) nor the leaver.
var (
	tmIris = teamstest.Member{ID: "29:iris", AADObjectID: "aad-iris", Email: "iris.it@example.com", Name: "Iris IT"}
	tmOmar = teamstest.Member{ID: "29:omar", AADObjectID: "aad-omar", Email: "omar.it@example.com", Name: "Omar IT"}
	tmLena = teamstest.Member{ID: "29:lena", AADObjectID: "aad-lena", Email: "lena.legal@example.com", Name: "Lena Legal"}
)

// A Teams-only company (Teams + Entra ID + Intune; no Slack, no Okta)
// offboards Jane involuntarily through serve: her Entra account is
// disabled, sessions revoked and methods removed with no click; her
// laptop, off at first, is locked only once it checks in (until then the
// lock is unverified, never done); the IT card in Teams shows the device
// line; the wipe waits for two distinct IT approvers (one approving twice
// is refused) and reaches Intune with the approved options; the audit
// chain verifies.
func TestServe_TeamsEntraIntune(t *testing.T) {
	graph := graphtest.New(t)
	janeID := graph.AddUser(graphtest.User{UserPrincipalName: "jane.doe@example.com", Mail: "jane.doe@example.com",
		DisplayName: "Jane Doe", AccountEnabled: true,
		Methods: []graphtest.Method{{Type: "microsoftAuthenticatorAuthenticationMethod"}, {Type: "phoneAuthenticationMethod"}}})
	laptop := graph.AddDevice(graphtest.ManagedDevice{UserID: janeID, DeviceName: "JANE-MBP", Model: "MacBook Pro",
		Manufacturer: "Apple", Serial: "C02XK1", OS: "macOS", OSVersion: "14.5", LastSync: time.Now().Add(-2 * time.Hour),
		Compliance: "compliant", Encrypted: true})

	w := &teamsWorld{t: t, issuer: teamstest.NewIssuer(t), login: teamstest.NewLogin(t), conn: teamstest.NewConnector(t)}
	for _, m := range []teamstest.Member{tmHana, tmIvan, tmIris, tmOmar, tmLena, tmMona, tmJane} {
		w.conn.AddMember(m)
		// Everyone in the team is in the tenant: Entra is also the
		// directory, and once serve's first read of it has run, an email it
		// does not know (the manager's) is rightly refused.
		if m.Email != tmJane.Email {
			graph.AddUser(graphtest.User{UserPrincipalName: m.Email, Mail: m.Email, DisplayName: m.Name, AccountEnabled: true})
		}
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`company:
  name: Test Corp
  time_zone: UTC
store:
  path: %q
http:
  listen: "127.0.0.1:0"
api:
  tokens:
    - name: hris-sync
      token: %q
      role: hr
roles:
  hr: [hana.hr@example.com]
  it: [ivan.it@example.com, iris.it@example.com, omar.it@example.com]
  legal: [lena.legal@example.com]
`, filepath.Join(dir, "offboard.db"), hrToken) + fastRunnerYAML + w.teamsYAML() + entraSecretYAML(graph.URL) + "intune:\n  enabled: true\n"
	cfgPath := filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w.app = startApp(t, cfgPath, wireOptions{})
	// The first activity teaches the bot the service URL.
	w.send(tmHana, "a:hana", "personal", "", "help", nil)

	if r := call(t, "POST", w.app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "Entra revocations done, devices read, the lock unacknowledged", func() bool {
		v = *w.app.view(t, "OFF-0001")
		for _, k := range []string{"entra_suspend", "entra_clear_sessions", "entra_reset_mfa", "intune_devices"} {
			if task := taskByKey(v, k); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		lock := taskByKey(v, "intune_lock")
		return lock != nil && lock.Status == offboard.TaskUnverified
	})
	u, _ := graph.User(janeID)
	if u.AccountEnabled || u.SessionsValidFrom.IsZero() || len(u.Methods) != 0 {
		t.Fatalf("Entra user after revocation: %+v", u)
	}
	for _, task := range v.Tasks {
		if strings.HasPrefix(task.Key, "okta_") || strings.HasPrefix(task.Key, "slack_") {
			t.Errorf("a Teams-and-Microsoft company's case has the task %s", task.Key)
		}
	}
	if ev := taskByKey(v, "intune_lock").Evidence; !strings.Contains(ev["device."+laptop], "pending") {
		t.Fatalf("lock evidence %v", ev)
	}
	if v.Case.UserIDs["intune"] != janeID {
		t.Errorf("case user ids %v, want intune → the Entra object id", v.Case.UserIDs)
	}

	// The IT card in Teams shows the laptop's line.
	var thread string
	eventually(t, "the case thread", func() bool {
		for _, c := range w.conn.Conversations() {
			if c.ChannelID == teamstest.ChannelID {
				thread = c.ID
				return true
			}
		}
		return false
	})
	var itCard teamstest.Activity
	eventually(t, "the IT card with the device line", func() bool {
		for _, a := range w.conn.Activities(thread) {
			if text := a.CardText(); strings.Contains(text, "IT tasks") && strings.Contains(text, "serial C02XK1") && strings.Contains(text, "MacBook Pro") {
				itCard = a
				return true
			}
		}
		return false
	})

	// The laptop checks in: IT runs the lock again, and it is done (the
	// lock Intune already had is not queued a second time).
	graph.CheckIn(laptop)
	w.send(tmIvan, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": offboard.ActionRef{Verb: offboard.VerbRetry, CaseID: "OFF-0001", TaskKey: "intune_lock"}.Encode()})
	eventually(t, "the lock done", func() bool {
		return taskByKey(*w.app.view(t, "OFF-0001"), "intune_lock").Status == offboard.TaskDone
	})
	if d, _ := graph.Device(laptop); len(d.Actions) != 1 || d.Actions[0].Name != "remoteLock" || d.Actions[0].State != "done" {
		t.Fatalf("laptop actions %+v", d.Actions)
	}

	// Legal clears the hold; Ivan asks to wipe the laptop.
	w.send(tmLena, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: "OFF-0001", TaskKey: "legal_hold"}.Encode()})
	eventually(t, "legal hold reviewed", func() bool {
		return taskByKey(*w.app.view(t, "OFF-0001"), "legal_hold").Status == offboard.TaskDone
	})
	ask := offboard.ActionRef{Verb: offboard.VerbAskAgain, CaseID: "OFF-0001", TaskKey: "intune_wipe"}.Encode()
	w.send(tmIvan, "a:ivan", "personal", "", "", map[string]any{"ofb_form": "ask_again", "ofb_state": ask,
		"param_device_id": laptop, "param_keep_enrollment": "false", "param_keep_user_data": "false"})
	var approvalID string
	eventually(t, "the wipe's approval requested", func() bool {
		for _, a := range w.app.view(t, "OFF-0001").Approvals {
			if a.TaskKey == "intune_wipe" && a.Status == offboard.ApprovalPending {
				approvalID = a.ID
				return true
			}
		}
		return false
	})
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: approvalID}.Encode()
	// Ivan asked for it: his yes does not count (were it counted, with
	// Iris's the wipe would go).
	w.send(tmIvan, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": approve})
	w.send(tmIris, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": approve})
	w.send(tmIris, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": approve})
	refusal := w.conn.WaitFor(t, "Iris's second approval refused, privately", func(a teamstest.Activity) bool {
		return strings.HasPrefix(a.ConversationID, "a:personal") && strings.Contains(a.Text, "already decided")
	})
	if !strings.Contains(refusal.Text, "2 different people") {
		t.Errorf("refusal %q does not say two different people are needed", refusal.Text)
	}
	time.Sleep(300 * time.Millisecond) // the runner would have sent the wipe by now, were it allowed
	if d, _ := graph.Device(laptop); countActions(d, "wipe") != 0 {
		t.Fatalf("the wipe reached Intune with one approver: %+v", d.Actions)
	}
	if st := taskByKey(*w.app.view(t, "OFF-0001"), "intune_wipe").Status; st == offboard.TaskDone || st == offboard.TaskRunning {
		t.Fatalf("wipe %s with one approver", st)
	}
	w.send(tmOmar, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": approve})
	eventually(t, "the wipe sent and unacknowledged", func() bool {
		return taskByKey(*w.app.view(t, "OFF-0001"), "intune_wipe").Status == offboard.TaskUnverified
	})
	d, _ := graph.Device(laptop)
	if countActions(d, "wipe") != 1 || d.LastWipe["keepEnrollmentData"] != false || d.LastWipe["keepUserData"] != false {
		t.Fatalf("laptop after the approvals: actions %+v, wipe body %v", d.Actions, d.LastWipe)
	}
	// The laptop checks in once more and confirms the wipe.
	graph.CheckIn(laptop)
	w.send(tmIvan, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": offboard.ActionRef{Verb: offboard.VerbRetry, CaseID: "OFF-0001", TaskKey: "intune_wipe"}.Encode()})
	eventually(t, "the wipe done", func() bool {
		return taskByKey(*w.app.view(t, "OFF-0001"), "intune_wipe").Status == offboard.TaskDone
	})
	if d, _ := graph.Device(laptop); countActions(d, "wipe") != 1 {
		t.Fatalf("the retry wiped again: %+v", d.Actions)
	}

	graphCalls := 0
	for _, r := range graph.Requests() {
		if strings.HasPrefix(r.Path, "/v1.0/") {
			graphCalls++
		}
	}
	t.Logf("Graph requests for the whole exit (Entra ID and Intune, one device, lock and wipe each re-run once): %d", graphCalls)

	w.app.stop()
	code, out, _ := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	if code != 0 || !strings.Contains(out, `"account_enabled_after":"false"`) || !strings.Contains(out, "wipe done at") {
		t.Fatalf("audit export lacks the evidence:\n%s", out)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify = %d %s %s", code, out, errOut)
	}
}

func countActions(d graphtest.ManagedDevice, name string) int {
	n := 0
	for _, a := range d.Actions {
		if a.Name == name {
			n++
		}
	}
	return n
}

// doctor checks Intune read-only on the entra credentials, and says the
// privileged permission could not be tried; with intune off it is skipped.
func TestCmdDoctor_Intune(t *testing.T) {
	graph := graphtest.New(t)
	entra := entraSecretYAML(graph.URL)
	code, out, errOut := runDoctorCmd(t, "--config", writeConfig(t, t.TempDir(), entra+"intune:\n  enabled: true\n"))
	if code != 0 || !strings.Contains(out, "✓ Intune: read managed devices") || !strings.Contains(out, "! Intune: lock, retire and wipe") {
		t.Fatalf("exit %d %s\n%s", code, errOut, out)
	}
	if strings.Contains(out+errOut, graphtest.ClientSecret) {
		t.Fatal("the client secret is in the doctor's output")
	}
	_, out, _ = runDoctorCmd(t, "--config", writeConfig(t, t.TempDir(), entra))
	if !strings.Contains(out, "– Intune: not configured") {
		t.Fatalf("intune off:\n%s", out)
	}
	for _, req := range graph.Requests() {
		if req.Method != "GET" && !strings.HasSuffix(req.Path, "/token") {
			t.Fatalf("the doctor wrote: %s %s", req.Method, req.Path)
		}
	}
}
