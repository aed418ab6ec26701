package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// A stalled approval moves on by itself, with the real cron schedule:
// the manager is reminded by direct message, then the approval escalates
// to escalation.escalate_to, who can decide it; the state survives a
// restart without sending anything twice.
func TestServe_StalledApprovalEscalates(t *testing.T) {
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	const uAda = "UADA"
	fake.AddUser(uAda, "Ada Admin", "ada.lead@example.com")
	// Jane is in the workspace, so the directory read from Slack knows her.
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL()))
	// Fast escalation for the test: the keys accept Go durations.
	raw := strings.Replace(readFile(t, cfgPath), "escalation:\n  check: \"@every 1s\"\n",
		"escalation:\n  check: \"@every 1s\"\n  remind_after: 1s\n  escalate_after: 3s\n  escalate_to: [ada.lead@example.com]\n  max_level: 1\n", 1)
	writeFile(t, cfgPath, raw)
	app := startApp(t, cfgPath, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)

	lastDay := time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, `{"employee":{"email":"jane.doe@example.com","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	v := r.view(t)

	// After remind_after the manager gets a direct message…
	eventually(t, "the reminder DM to the manager", func() bool { return len(fake.Messages(uManager)) > 0 })
	if dm := fake.Messages(uManager)[0].Text; !strings.Contains(dm, "Reminder") || !strings.Contains(dm, "OFF-0001") {
		t.Fatalf("reminder DM = %q", dm)
	}
	// …and after escalate_after it escalates to escalate_to.
	eventually(t, "the escalation DM to Ada", func() bool { return len(fake.Messages(uAda)) > 0 })
	if dm := fake.Messages(uAda)[0].Text; !strings.Contains(dm, "Escalated") || !strings.Contains(dm, "OFF-0001") {
		t.Fatalf("DM to the escalation target = %q", dm)
	}
	a := v.Approvals[0]
	// Ada may now decide; her click goes through the engine.
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: a.ID}.Encode()
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: uAda},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "ofb:approve", Value: approve}}}}
	fake.WaitAck(t, fake.SendInteraction(cb), 5*time.Second)
	eventually(t, "the approval decided by the escalation target", func() bool {
		for _, x := range call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t).Approvals {
			if x.ID == a.ID {
				return x.Status == offboard.ApprovalApproved
			}
		}
		return false
	})

	// Restart: nothing already sent is sent again.
	before, beforeMona := len(fake.Messages(uAda)), len(fake.Messages(uManager))
	app.stop()
	app = startApp(t, cfgPath, wireOptions{})
	time.Sleep(1500 * time.Millisecond) // a tick or two
	for _, m := range fake.Messages(uAda)[before:] {
		if strings.Contains(m.Text, "Drive") {
			t.Fatalf("the decided approval was nudged again after a restart: %q", m.Text)
		}
	}
	// The other approval (mail) is still pending: Mona was reminded once
	// before the restart and is not reminded again.
	for _, m := range fake.Messages(uManager)[beforeMona:] {
		if strings.Contains(m.Text, "Reminder") {
			t.Fatalf("reminded again after a restart: %q", m.Text)
		}
	}
}

// An escalation goes to the approver's own manager when the directory
// (here Okta's managerId) knows one, and escalation.escalate_to only
// gets what the directory cannot place.
func TestServe_EscalatesToApproversManagerFromOkta(t *testing.T) {
	okta := oktatest.New(t)
	okta.AddUser(oktatest.User{Email: "omar.lead@example.com", TimeZone: "America/Los_Angeles"})
	okta.AddUser(oktatest.User{Email: "mona.manager@example.com", ManagerID: "omar.lead@example.com"})
	okta.AddUser(oktatest.User{Email: "jane.doe@example.com", ManagerID: "mona.manager@example.com"})
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	const uOmar, uAda = "UOMAR", "UADA"
	fake.AddUser(uOmar, "Omar Lead", "omar.lead@example.com")
	fake.AddUser(uAda, "Ada Admin", "ada.lead@example.com")
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), okta.URL(), oktatest.Token))
	raw := strings.Replace(readFile(t, cfgPath), "escalation:\n  check: \"@every 1s\"\n",
		"escalation:\n  check: \"@every 1s\"\n  remind_after: 1s\n  escalate_after: 2s\n  escalate_to: [ada.lead@example.com]\n  max_level: 1\n", 1)
	writeFile(t, cfgPath, raw)
	app := startApp(t, cfgPath, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	eventually(t, "the directory read from Okta at start", func() bool { return app.app.directory.ManagerOf("mona.manager@example.com") != "" })

	lastDay := time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, `{"employee":{"email":"jane.doe@example.com","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	eventually(t, "the escalation DM to Mona's manager", func() bool { return len(fake.Messages(uOmar)) > 0 })
	if dm := fake.Messages(uOmar)[0].Text; !strings.Contains(dm, "Escalated") || !strings.Contains(dm, "OFF-0001") {
		t.Fatalf("DM to the approver's manager = %q", dm)
	}
	v := call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
	for _, a := range v.Approvals {
		if a.EscalationLevel > 0 && (len(a.EscalatedTo) != 1 || a.EscalatedTo[0] != "omar.lead@example.com") {
			t.Errorf("approval %s escalated to %v, want the approver's manager only", a.ID, a.EscalatedTo)
		}
	}
	if n := len(fake.Messages(uAda)); n != 0 {
		t.Errorf("escalate_to got %d messages although the directory knew the approver's manager", n)
	}
}
