package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// The digest fires on its cron schedule and tells HR what is open.
func TestServe_DigestOnSchedule(t *testing.T) {
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	// In the workspace, so the directory read from Slack knows them.
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  hr_channel: CHRDESK
digest:
  cron: "@every 1s"
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL()))
	app := startApp(t, cfgPath, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	// Nothing open: the digest stays quiet.
	time.Sleep(1500 * time.Millisecond)
	if n := len(fake.Messages("CHRDESK")); n != 0 {
		t.Fatalf("an empty digest was posted %d times", n)
	}
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d", r.status)
	}
	eventually(t, "the digest in the HR channel", func() bool { return len(fake.Messages("CHRDESK")) > 0 })
	if text := fake.Messages("CHRDESK")[0].Text; !strings.Contains(text, "OFF-0001") || strings.Contains(text, "Jane") {
		t.Fatalf("digest = %q (want the case, and no name: it is confidential)", text)
	}
}
