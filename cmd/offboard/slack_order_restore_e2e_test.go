package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// newSlackOktaWorld is newSlackWorld with a fake Okta, so revocations
// really happen.
func newSlackOktaWorld(t *testing.T, okta *oktatest.Server) *slackWorld {
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uIT, "Ivan IT", "ivan.it@example.com")
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  team_id: %q
okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), slacktest.TeamID, okta.URL(), oktatest.Token))
	w := &slackWorld{t: t, fake: fake, cfg: cfg, hooks: newResponseHooks(t)}
	w.app = startApp(t, cfg, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	return w
}

// In Slack: IT's Run on "Deactivate the Okta account" while the data
// transfers wait opens a modal that lists them and the risk, and runs
// only once submitted with a reason.
func TestSlack_RunBeforeDependenciesAsksFirst(t *testing.T) {
	okta := oktatest.New(t)
	jane := okta.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com",
		Apps: []oktatest.App{{ID: "0oa1", Label: "Google Workspace", AppName: "google"}}})
	w := newSlackOktaWorld(t, okta)
	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	if ack := string(w.slash(uHR, "jane.doe@example.com voluntary "+lastDay)); !strings.Contains(ack, "OFF-0001") {
		t.Fatalf("open ack = %s", ack)
	}
	run := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_deactivate"}.Encode()
	w.click(uIT, run, "deactivate")
	var view slacktest.View
	eventually(t, "the confirmation modal", func() bool {
		vs := w.fake.Views()
		if len(vs) == 0 {
			return false
		}
		view = vs[len(vs)-1]
		return true
	})
	var v struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(view.View, &v); err != nil {
		t.Fatal(err)
	}
	body := string(view.View)
	for _, want := range []string{"Transfer Drive ownership (waiting for approval)", "unassigns every app", "Run anyway"} {
		if !strings.Contains(body, want) {
			t.Errorf("modal does not say %q: %s", want, body)
		}
	}
	if v.CallbackID != "run_override" {
		t.Fatalf("modal callback %q", v.CallbackID)
	}
	if st := w.view("OFF-0001"); taskByKey(st, "okta_deactivate").Status == offboard.TaskRunning {
		t.Fatal("the click ran deactivation before the confirmation")
	}
	if ack := string(w.submit(uIT, v.CallbackID, v.PrivateMetadata, map[string]slack.BlockAction{
		"reason": {Type: "plain_text_input", Value: "  "}})); !strings.Contains(ack, `"response_action":"errors"`) {
		t.Fatalf("empty reason ack = %s", ack)
	}
	w.submit(uIT, v.CallbackID, v.PrivateMetadata, map[string]slack.BlockAction{
		"reason": {Type: "plain_text_input", Value: "Drive already exported by legal"}})
	eventually(t, "deactivation ran with the override", func() bool {
		got, _ := okta.User(jane.ID)
		return got.Status == "DEPROVISIONED"
	})
}

// In Slack: a case cancelled after the revocations ran keeps its channel
// (not archived), and IT's card there has the Restore button.
func TestSlack_CancelAfterRevocationKeepsRoomForRestore(t *testing.T) {
	okta := oktatest.New(t)
	jane := okta.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com",
		Factors: []oktatest.Factor{{FactorType: "push"}}})
	w := newSlackOktaWorld(t, okta)
	if ack := string(w.slash(uHR, "jane.doe@example.com involuntary")); !strings.Contains(ack, "OFF-0001") {
		t.Fatalf("open ack = %s", ack)
	}
	eventually(t, "suspended in Okta", func() bool {
		return taskByKey(w.view("OFF-0001"), "okta_suspend").Status == offboard.TaskDone
	})
	var ch slacktest.Channel
	eventually(t, "the case channel", func() bool {
		for _, c := range w.fake.Channels() {
			if c.Name == "ofb-0001" {
				ch = c
				return true
			}
		}
		return false
	})
	if ack := string(w.slash(uHR, "cancel OFF-0001 termination rescinded")); !strings.Contains(ack, "cancelled") {
		t.Fatalf("cancel ack = %s", ack)
	}
	eventually(t, "the Restore button on IT's card in the channel", func() bool {
		for _, m := range w.fake.Messages(ch.ID) {
			if strings.Contains(string(m.Blocks), "Restore in Okta") && strings.Contains(string(m.Blocks), "restore_okta") {
				return true
			}
		}
		return false
	})
	eventually(t, "the cancellation said in the channel", func() bool {
		for _, m := range w.fake.Messages(ch.ID) {
			if strings.Contains(m.Text, "was cancelled by") {
				return true
			}
		}
		return false
	})
	w.click(uIT, offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "restore_okta"}.Encode(), "restore")
	eventually(t, "Jane active again", func() bool {
		got, _ := okta.User(jane.ID)
		return got.Status == "ACTIVE"
	})
	eventually(t, "the restore shown done on IT's card", func() bool {
		return taskByKey(w.view("OFF-0001"), "restore_okta").Status == offboard.TaskDone
	})
	if n := len(w.fake.Calls("conversations.archive")); n != 0 {
		t.Fatalf("the channel was archived (%d calls) with a restore still to do", n)
	}
}
