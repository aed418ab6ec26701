package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// People in the fake Teams tenant. Sam is in roles.security by AAD
// object id, not by email. Jane is the one leaving: she is in the tenant
// too, so the directory knows her whether or not its first read of the
// roster (which needs the service URL the first activity teaches) has
// run when her case is opened.
var (
	tmJane = teamstest.Member{ID: "29:jane", AADObjectID: "aad-jane", Email: "jane.doe@example.com", Name: "Jane Doe"}
	tmHana = teamstest.Member{ID: "29:hana", AADObjectID: "aad-hana", Email: "hana.hr@example.com", Name: "Hana HR"}
	tmIvan = teamstest.Member{ID: "29:ivan", AADObjectID: "aad-ivan", Email: "ivan.it@example.com", Name: "Ivan IT"}
	tmMona = teamstest.Member{ID: "29:mona", AADObjectID: "aad-mona", Email: "mona.manager@example.com", Name: "Mona Manager"}
	tmSam  = teamstest.Member{ID: "29:sam", AADObjectID: "0f8fad5b-d9cb-469f-a165-70867728950e", Email: "sam.sec@example.com", Name: "Sam Security"}
)

type teamsWorld struct {
	t      *testing.T
	issuer *teamstest.Issuer
	login  *teamstest.Login
	conn   *teamstest.Connector
	app    *liveApp
	n      int
}

func newTeamsWorld(t *testing.T) *teamsWorld {
	w := &teamsWorld{t: t, issuer: teamstest.NewIssuer(t), login: teamstest.NewLogin(t), conn: teamstest.NewConnector(t)}
	for _, m := range []teamstest.Member{tmHana, tmIvan, tmMona, tmSam, tmJane} {
		w.conn.AddMember(m)
	}
	dir := t.TempDir()
	// No service_url: the bot learns it from the first activity.
	cfg := fmt.Sprintf(`company:
  name: Test Corp
  time_zone: UTC
store:
  path: %q
http:
  listen: "127.0.0.1:0"
roles:
  hr: [hana.hr@example.com]
  it: [ivan.it@example.com]
  security: [%s]
`, filepath.Join(dir, "offboard.db"), tmSam.AADObjectID) + fastRunnerYAML + w.teamsYAML()
	path := filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w.app = startApp(t, path, wireOptions{})
	return w
}

// send posts a signed activity from m to /api/messages.
func (w *teamsWorld) send(m teamstest.Member, conv, convType, replyTo, text string, value map[string]any) {
	w.t.Helper()
	w.n++
	act := map[string]any{"type": "message", "id": fmt.Sprintf("in-%d", w.n), "channelId": "msteams", "serviceUrl": w.conn.URL(),
		"from": map[string]any{"id": m.ID, "name": m.Name, "aadObjectId": m.AADObjectID}, "recipient": map[string]any{"id": "28:" + teamstest.AppID},
		"conversation": map[string]any{"id": conv, "conversationType": convType, "tenantId": teamstest.TenantID},
		"channelData":  map[string]any{"tenant": map[string]any{"id": teamstest.TenantID}}, "text": text}
	if replyTo != "" {
		act["replyToId"] = replyTo
	}
	if value != nil {
		act["value"] = value
	}
	body, _ := json.Marshal(act)
	req, _ := http.NewRequest(http.MethodPost, w.app.url+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.issuer.Sign(teamstest.KeyTeams, teamstest.Claims(teamstest.AppID, w.conn.URL())))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("/api/messages answered %d", resp.StatusCode)
	}
}

// The real serve wiring with Teams: HR opens a case from the card form,
// the outbox builds the case thread (on the service URL learned from the
// first activity), IT's click redraws its card, the manager's approval
// is accepted and someone else's refused, and a security person named by
// AAD object id in config sees the case.
func TestTeams_EndToEnd(t *testing.T) {
	w := newTeamsWorld(t)
	const hanaChat = "a:hana"

	// A forged request never reaches the bot.
	req, _ := http.NewRequest(http.MethodPost, w.app.url+"/api/messages", strings.NewReader(`{"type":"message"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned request answered %d", resp.StatusCode)
	}

	w.send(tmHana, hanaChat, "personal", "", "offboard", nil)
	form := w.conn.WaitFor(t, "the form", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.CardText(), `"ofb_form":"open_case"`)
	})
	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	w.send(tmHana, hanaChat, "personal", form.ID, "", map[string]any{"ofb_form": "open_case", "employee_email": "jane.doe@example.com",
		"manager": tmMona.Email, "kind": "voluntary", "last_day": lastDay})
	w.conn.WaitFor(t, "the case opened", func(a teamstest.Activity) bool {
		return a.ID == form.ID && a.Updates == 1 && strings.Contains(a.CardText(), "OFF-0001")
	})

	// The outbox: a thread in the Offboarding channel, cards, approvals.
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
	var itCard, approvalMsg teamstest.Activity
	eventually(t, "cards and the approval", func() bool {
		for _, a := range w.conn.Activities(thread) {
			switch {
			case strings.Contains(a.CardText(), "okta_suspend") && strings.Contains(a.CardText(), "IT tasks"):
				itCard = a
			case slices.Contains(a.Mentioned, tmMona.ID) && strings.Contains(a.CardText(), "transfer_drive"):
				approvalMsg = a
			}
		}
		return itCard.ID != "" && approvalMsg.ID != ""
	})

	start := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_suspend"}.Encode()
	w.send(tmIvan, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": start})
	eventually(t, "the IT card redrawn", func() bool {
		for _, a := range w.conn.Activities(thread) {
			if a.ID == itCard.ID && a.Updates > 0 {
				return true
			}
		}
		return false
	})

	var approvalID string
	for _, a := range w.app.view(t, "OFF-0001").Approvals {
		if a.TaskKey == "transfer_drive" {
			approvalID = a.ID
		}
	}
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: approvalID}.Encode()
	w.send(tmIvan, thread, "channel", approvalMsg.ID, "", map[string]any{"ofb_click": approve})
	w.conn.WaitFor(t, "Ivan's refusal, privately", func(a teamstest.Activity) bool {
		// The refusal names who decides: by name once the Teams roster
		// has been read into the directory, by email before.
		return strings.HasPrefix(a.ConversationID, "a:personal") &&
			(strings.Contains(a.Text, "only "+tmMona.Name) || strings.Contains(a.Text, "only "+tmMona.Email))
	})
	w.send(tmMona, thread, "channel", approvalMsg.ID, "", map[string]any{"ofb_click": approve})
	eventually(t, "the approval recorded", func() bool {
		for _, a := range w.app.view(t, "OFF-0001").Approvals {
			if a.ID == approvalID {
				return a.Status == offboard.ApprovalApproved
			}
		}
		return false
	})

	// Sam holds security by AAD object id: list shows the case.
	w.send(tmSam, "a:sam", "personal", "", "list", nil)
	w.conn.WaitFor(t, "Sam's list", func(a teamstest.Activity) bool {
		return a.ConversationID == "a:sam" && strings.Contains(a.Text, "OFF-0001")
	})
}

// view reads a case through the engine, as offboard itself.
func (l *liveApp) view(t testing.TB, id offboard.CaseID) *viewT {
	t.Helper()
	v, err := l.app.engine.GetCase(t.Context(), offboard.System("test"), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type viewT = offboard.CaseView

// serve refuses a Teams app id without its password, naming the key.
func TestServe_TeamsNeedsPassword(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "teams:\n  app_id: \"00000000-0000-0000-0000-00000000b075\"\n  tenant_id: \"t\"\n")
	code, _, errOut := runCLI("serve", "--config", path)
	if code != 1 || !strings.Contains(errOut, "teams.app_password") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// fastRunnerYAML makes a served app retry and escalate within a test's
// patience.
const fastRunnerYAML = `runner:
  workers: 2
  max_attempts: 3
  backoff_base: 10ms
  backoff_max: 50ms
  shutdown_grace: 2s
escalation:
  check: "@every 1s"
`

// teamsYAML is the teams: section pointing serve at w's fake Bot
// Framework (no service_url: the bot learns it from the first activity).
func (w *teamsWorld) teamsYAML() string {
	return fmt.Sprintf(`teams:
  app_id: %q
  app_password: %q
  tenant_id: %q
  openid_metadata_url: %q
  login_url: %q
  offboarding_channel_id: %q
`, teamstest.AppID, teamstest.AppPassword, teamstest.TenantID, w.issuer.MetadataURL(), w.login.URL(), teamstest.ChannelID)
}

// entraSecretYAML is the entra: section pointing serve at a fake Graph,
// signing in with the client secret.
func entraSecretYAML(graphURL string) string {
	return fmt.Sprintf(`entra:
  tenant_id: %q
  client_id: %q
  client_secret: %q
  graph_url: %q
  login_url: %q
`, graphtest.TenantID, graphtest.ClientID, graphtest.ClientSecret, graphURL, graphURL)
}
