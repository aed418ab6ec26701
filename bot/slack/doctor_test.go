package slack

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

func doctorOf(t *testing.T, s *slacktest.Server, channels map[offboard.Department]string) map[string]offboard.CheckResult {
	t.Helper()
	res := Doctor(context.Background(), DoctorOptions{AppToken: slacktest.AppToken, BotToken: slacktest.BotToken,
		APIURL: s.APIURL(), Channels: channels})
	out := map[string]offboard.CheckResult{}
	for _, r := range res {
		out[r.Name] = r
		if strings.Contains(r.Detail+r.Fix, "xoxb-test") || strings.Contains(r.Detail+r.Fix, "xapp-1-test") {
			t.Errorf("a token in the result: %+v", r)
		}
	}
	return out
}

func TestDoctor_AllGreen(t *testing.T) {
	s := slacktest.New(t)
	s.AddChannel("C0IT", "it", true)
	s.AddPrivateChannel("C0SEC", "security", true)
	got := doctorOf(t, s, map[offboard.Department]string{"it": "C0IT", "security": "C0SEC"})
	for _, r := range got {
		if r.Status != offboard.CheckOK {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
	if len(got) != 5 {
		t.Errorf("got %d checks, want 5 (auth, scopes, socket, 2 channels): %v", len(got), got)
	}
	if d := got["Slack: auth.test"].Detail; !strings.Contains(d, "@offboard") || !strings.Contains(d, slacktest.TeamID) {
		t.Errorf("auth.test detail = %q", d)
	}
}

func TestDoctor_InvalidAuth(t *testing.T) {
	s := slacktest.New(t)
	s.SetTokens(slacktest.AppToken, "xoxb-other")
	got := doctorOf(t, s, nil)
	r := got["Slack: auth.test"]
	if r.Status != offboard.CheckFail || r.Detail != "invalid_auth" || !strings.Contains(r.Fix, "slack.bot_token") {
		t.Errorf("auth.test = %+v", r)
	}
	if got["Slack: socket mode"].Status != offboard.CheckOK {
		t.Errorf("socket mode with a good app token = %+v", got["Slack: socket mode"])
	}
}

func TestDoctor_BadAppToken(t *testing.T) {
	s := slacktest.New(t)
	s.SetTokens("xapp-other", slacktest.BotToken)
	r := doctorOf(t, s, nil)["Slack: socket mode"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "invalid_auth") || !strings.Contains(r.Fix, "slack.app_token") {
		t.Errorf("socket mode = %+v", r)
	}
}

func TestDoctor_MissingScope(t *testing.T) {
	s := slacktest.New(t)
	s.SetScopes(slices.DeleteFunc(slices.Clone(slacktest.DefaultScopes), func(sc string) bool { return sc == "groups:write" })...)
	r := doctorOf(t, s, nil)["Slack: scopes"]
	if r.Status != offboard.CheckFail || r.Detail != "missing groups:write" || !strings.Contains(r.Fix, "reinstall the app") {
		t.Errorf("scopes = %+v", r)
	}
}

func TestDoctor_BotNotInChannel(t *testing.T) {
	s := slacktest.New(t)
	s.AddPrivateChannel("C0SEC", "security", false)
	s.AddChannel("C0IT", "it", false)
	got := doctorOf(t, s, map[offboard.Department]string{"it": "C0IT", "security": "C0SEC"})
	if r := got["Slack: channel of security (C0SEC)"]; r.Status != offboard.CheckFail || !strings.Contains(r.Fix, "/invite @offboard in #security") {
		t.Errorf("private channel without the bot = %+v", r)
	}
	// A public one still takes posts through chat:write.public.
	if r := got["Slack: channel of it (C0IT)"]; r.Status != offboard.CheckWarn {
		t.Errorf("public channel without the bot = %+v", r)
	}
}

func TestDoctor_ChannelNotFound(t *testing.T) {
	s := slacktest.New(t)
	r := doctorOf(t, s, map[offboard.Department]string{"it": "C0GONE"})["Slack: channel of it (C0GONE)"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "not found") || !strings.Contains(r.Fix, "departments.it.slack_channel") {
		t.Errorf("unknown channel = %+v", r)
	}
}

// TestRequiredBotScopes_Manifest keeps the scopes doctor wants equal to
// those the app manifest asks for.
func TestRequiredBotScopes_Manifest(t *testing.T) {
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var inBot bool
	var manifest []string
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "bot:":
			inBot = true
		case inBot && strings.HasPrefix(trimmed, "- "):
			manifest = append(manifest, strings.Fields(strings.TrimPrefix(trimmed, "- "))[0])
		case inBot && trimmed != "":
			inBot = false
		}
	}
	want := slices.Sorted(slices.Values(manifest))
	got := slices.Sorted(slices.Values(RequiredBotScopes))
	if !slices.Equal(got, want) {
		t.Errorf("RequiredBotScopes = %v, manifest bot scopes = %v", got, want)
	}
	if fake := slices.Sorted(slices.Values(slacktest.DefaultScopes)); !slices.Equal(fake, want) {
		t.Errorf("slacktest.DefaultScopes = %v, manifest = %v", fake, want)
	}
}

// Slack answers conversations.info with missing_scope for a private
// channel when the token lacks groups:read; doctor names both scopes.
func TestDoctor_ChannelReadScopeMissing(t *testing.T) {
	s := slacktest.New(t)
	s.AddPrivateChannel("C0SEC", "security", true)
	s.SetScopes(slices.DeleteFunc(slices.Clone(slacktest.DefaultScopes), func(sc string) bool { return sc == "groups:read" })...)
	got := doctorOf(t, s, map[offboard.Department]string{"security": "C0SEC"})
	if r := got["Slack: channel of security (C0SEC)"]; r.Status != offboard.CheckFail || !strings.Contains(r.Fix, "groups:read") {
		t.Errorf("channel without groups:read = %+v", r)
	}
	if r := got["Slack: scopes"]; r.Status != offboard.CheckFail || r.Detail != "missing groups:read" {
		t.Errorf("scopes = %+v", r)
	}
}
