package slack

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// In Slack, "Show lock PIN" answers IT with an ephemeral message through
// the click's response_url; HR's click gets an ephemeral refusal, and
// nothing is posted to the channel.
func TestSlack_RevealSecretIsEphemeral(t *testing.T) {
	s := slacktest.New(t)
	s.AddUser("UHANA", "Hana HR", "hana@example.com")
	s.AddUser("UIVAN", "Ivan IT", "ivan@example.com")
	s.AddChannel("CHR", "hr", true)
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	roles := func(e string) []offboard.Role {
		switch e {
		case "hana@example.com":
			return []offboard.Role{offboard.RoleHR}
		case "ivan@example.com":
			return []offboard.Role{offboard.RoleIT}
		}
		return nil
	}
	eng := flowstest.New(t, flowstest.Options{Store: db, Location: time.UTC, Roles: roles, Connectors: offboard.Connectors{flowstest.FakeMDM}})
	router, err := bot.New(bot.Options{Engine: eng, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{AppToken: slacktest.AppToken, BotToken: slacktest.BotToken, APIURL: s.APIURL(),
		Router: router, Engine: eng, HRChannel: "CHR"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := eng.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary, Source: "test",
		Employee: offboard.Employee{Email: "jane@example.com", Name: "Jane Doe"}})
	if err != nil {
		t.Fatal(err)
	}
	const pin = "251876"
	var job *offboard.Job
	if err := db.View(ctx, func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(time.Now().Add(time.Hour), 0, nil)
		for _, j := range jobs {
			if j.Kind == offboard.JobAction && j.TaskKey == "fakemdm_lock" {
				job = j
			}
		}
		return err
	}); err != nil || job == nil {
		t.Fatalf("no lock job (%v)", err)
	}
	if _, err := eng.Apply(ctx, offboard.ActionSucceeded{By: offboard.System("runner"), JobID: job.ID, Verified: true,
		Secrets: offboard.Secrets{"device_pin:mac1": pin}}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	s.WaitConnected(t, 1, 10*time.Second)

	click := func(user string) string {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}, TriggerID: s.IssueTrigger(),
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: ActionIDPrefix + "reveal",
				Value: offboard.ActionRef{Verb: offboard.VerbRevealSecret, CaseID: res.Case.ID, TaskKey: "fakemdm_lock"}.Encode()}}}}
		cb.Channel.ID = "CHR"
		cb.Team.ID = slacktest.TeamID
		return string(s.WaitAnswer(t, s.SendInteraction(cb), 5*time.Second))
	}
	it := click("UIVAN")
	if !strings.Contains(it, `"response_type":"ephemeral"`) || !strings.Contains(it, "lock PIN "+pin) {
		t.Errorf("IT's answer is not an ephemeral message with the PIN: %s", it)
	}
	hr := click("UHANA")
	if !strings.Contains(hr, `"response_type":"ephemeral"`) || strings.Contains(hr, pin) || !strings.Contains(hr, "may not run") {
		t.Errorf("HR's answer is not an ephemeral refusal: %s", hr)
	}
	for _, m := range s.Messages("CHR") {
		if strings.Contains(m.Text, pin) {
			t.Errorf("the channel got the PIN: %q", m.Text)
		}
	}
}
