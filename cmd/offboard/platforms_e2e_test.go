package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// Each chat platform has its own notice jobs and its own rate-limit
// group: Slack answering 429 pauses Slack's notices only, while Teams
// and the console are told at once.
func TestServe_SlackRateLimitPausesOnlySlack(t *testing.T) {
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	issuer, login, conn := teamstest.NewIssuer(t), teamstest.NewLogin(t), teamstest.NewConnector(t)
	conn.AddMember(tmHana)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  team_id: %q
teams:
  app_id: %q
  app_password: %q
  tenant_id: %q
  openid_metadata_url: %q
  login_url: %q
  service_url: %q
  offboarding_channel_id: %q
console:
  enabled: true
  token: "console-token-0123456789"
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), slacktest.TeamID,
		teamstest.AppID, teamstest.AppPassword, teamstest.TenantID, issuer.MetadataURL(), login.URL(), conn.URL(), teamstest.ChannelID))
	// Slack refuses every post for a minute from the first one on.
	fake.FailNext("chat.postMessage", http.StatusTooManyRequests, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "60"})
	app := startApp(t, cfg, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID

	// Teams gets its thread; Teams and the console drain their jobs (the
	// runner deletes a notice job only once it is delivered).
	eventually(t, "the case thread on Teams", func() bool {
		for _, c := range conn.Conversations() {
			if c.ChannelID == teamstest.ChannelID && len(conn.Activities(c.ID)) > 0 {
				return true
			}
		}
		return false
	})
	var slackJobs []*offboard.Job
	eventually(t, "Teams' and the console's notices delivered while Slack waits", func() bool {
		jobs := caseJobs(t, app, id)
		slackJobs = slackJobs[:0]
		for _, j := range jobs {
			if j.Kind != offboard.JobNotify {
				continue
			}
			switch j.Platform {
			case "slack":
				slackJobs = append(slackJobs, j)
			default:
				return false // Teams' or the console's still queued
			}
		}
		return len(slackJobs) > 0
	})
	now, deferred := time.Now(), 0
	for _, j := range slackJobs {
		if j.API() != "chat:slack" {
			t.Errorf("job %s is in rate-limit group %q, want chat:slack", j.ID, j.API())
		}
		if !strings.HasSuffix(j.ID, ":slack") {
			t.Errorf("Slack's notice job id %q does not name the platform", j.ID)
		}
		if j.LastError == "" {
			continue // never tried: the runner skips it while chat:slack is paused
		}
		deferred++
		if j.NotBefore.Before(now.Add(30 * time.Second)) {
			t.Errorf("Slack's notice %s runs again at %s, inside Slack's Retry-After", j.ID, j.NotBefore.Format(time.RFC3339))
		}
	}
	if deferred == 0 {
		t.Error("no Slack notice was deferred by the 429")
	}
	// The one refused post is all Slack heard: the pause holds.
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times during Slack's pause, want 1", n)
	}
}

// caseJobs reads a case's queued jobs from the store.
func caseJobs(t *testing.T, app *liveApp, id offboard.CaseID) []*offboard.Job {
	t.Helper()
	var jobs []*offboard.Job
	err := app.app.db.View(context.Background(), func(tx offboard.Tx) error {
		var err error
		jobs, err = tx.JobsForCase(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}
