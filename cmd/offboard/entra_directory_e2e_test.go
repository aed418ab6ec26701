package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// With Microsoft Entra ID as the only identity system, the directory
// reads Entra's users and managers: a stalled approval escalates to the
// approver's Entra manager, and escalation.escalate_to gets nothing.
func TestServe_EscalatesToApproversManagerFromEntra(t *testing.T) {
	graph := graphtest.New(t)
	omar := graph.AddUser(graphtest.User{UserPrincipalName: "omar.lead@example.com", Mail: "omar.lead@example.com",
		DisplayName: "Omar Lead", AccountEnabled: true})
	mona := graph.AddUser(graphtest.User{UserPrincipalName: "mona.manager@example.com", Mail: "mona.manager@example.com",
		DisplayName: "Mona Manager", AccountEnabled: true, ManagerID: omar})
	graph.AddUser(graphtest.User{UserPrincipalName: "jane.doe@example.com", Mail: "jane.doe@example.com",
		DisplayName: "Jane Doe", AccountEnabled: true, ManagerID: mona})
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	const uOmar, uAda = "UOMAR", "UADA"
	fake.AddUser(uOmar, "Omar Lead", "omar.lead@example.com")
	fake.AddUser(uAda, "Ada Admin", "ada.lead@example.com")
	cfgPath := writeConfig(t, t.TempDir(), fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
entra:
  tenant_id: %q
  client_id: %q
  client_secret: %q
  graph_url: %q
  login_url: %q
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), graphtest.TenantID, graphtest.ClientID, graphtest.ClientSecret, graph.URL, graph.URL))
	raw := strings.Replace(readFile(t, cfgPath), "escalation:\n  check: \"@every 1s\"\n",
		"escalation:\n  check: \"@every 1s\"\n  remind_after: 1s\n  escalate_after: 2s\n  escalate_to: [ada.lead@example.com]\n  max_level: 1\n", 1)
	writeFile(t, cfgPath, raw)
	app := startApp(t, cfgPath, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	eventually(t, "the directory read from Entra ID at start", func() bool {
		return app.app.directory.ManagerOf("mona.manager@example.com") == "omar.lead@example.com"
	})
	if got := app.app.directory.NameOf("jane.doe@example.com"); got != "Jane Doe" {
		t.Fatalf("Jane's name from Entra ID = %q", got)
	}

	lastDay := time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02")
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, `{"employee":{"email":"jane.doe@example.com","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"`+lastDay+`"}`)
	if r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	eventually(t, "the escalation DM to Mona's Entra manager", func() bool { return len(fake.Messages(uOmar)) > 0 })
	if dm := fake.Messages(uOmar)[0].Text; !strings.Contains(dm, "Escalated") || !strings.Contains(dm, "OFF-0001") {
		t.Fatalf("DM to the approver's manager = %q", dm)
	}
	if n := len(fake.Messages(uAda)); n != 0 {
		t.Errorf("escalate_to got %d messages although Entra ID knew the approver's manager", n)
	}
}
