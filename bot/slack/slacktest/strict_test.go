package slacktest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

func TestServer_PostNeedsMembership(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddChannel("CIN", "it-desk", true)
	s.AddPrivateChannel("COUT", "finance", false)
	s.AddChannel("CPUB", "random", false)
	s.AddUser("U1", "one", "one@example.com")
	if _, _, err := api.PostMessage("COUT", slack.MsgOptionText("x", false)); !isSlackErr(err, "not_in_channel") {
		t.Errorf("post where the bot is not = %v", err)
	}
	if _, _, err := api.PostMessage("CPUB", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("post to a public channel with chat:write.public = %v", err)
	}
	s.SetChatWritePublic(false)
	if _, _, err := api.PostMessage("CPUB", slack.MsgOptionText("x", false)); !isSlackErr(err, "not_in_channel") {
		t.Errorf("post to a public channel without chat:write.public = %v", err)
	}
	if _, _, err := api.PostMessage("CNOPE", slack.MsgOptionText("x", false)); !isSlackErr(err, "channel_not_found") {
		t.Errorf("post to unknown = %v", err)
	}
	if _, _, err := api.PostMessage("#it-desk", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("post by name = %v", err)
	}
	if _, _, err := api.PostMessage("U1", slack.MsgOptionText("dm", false)); err != nil {
		t.Errorf("post to a member (DM) = %v", err)
	}
	if n := len(s.Messages("CIN")); n != 1 {
		t.Errorf("%d messages stored under the channel id, want 1", n)
	}
}

func TestServer_InviteForce(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	for _, u := range []string{"U1", "U2", "U3"} {
		s.AddUser(u, u, strings.ToLower(u)+"@example.com")
	}
	s.RefuseInvite("U2", "user_is_restricted")
	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "case", IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	// Without force one refusal fails the call and nobody is added.
	if _, err := api.InviteUsersToConversation(ch.ID, "U1", "U2"); !isSlackErr(err, "user_is_restricted") {
		t.Fatalf("invite without force = %v", err)
	}
	if m := s.Channels()[0].Members; len(m) != 1 {
		t.Fatalf("members after a refused invite = %v", m)
	}
	// With force the valid ones are added; errors[] names the others.
	_, err = api.ForceInviteUsersToConversation(ch.ID, "U1", "U2", "U3", "UGHOST")
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || len(se.Errors) != 2 {
		t.Fatalf("forced invite = %#v", err)
	}
	got := map[string]string{}
	for _, e := range se.Errors {
		if ci := e.ConversationsInviteResponseError; ci != nil {
			got[ci.User] = ci.Error
		}
	}
	if got["U2"] != "user_is_restricted" || got["UGHOST"] != "user_not_found" {
		t.Errorf("errors[] = %v", got)
	}
	if m := s.Channels()[0].Members; len(m) != 3 {
		t.Errorf("members after a forced invite = %v, want the bot, U1 and U3", m)
	}
}

func TestServer_TriggerExpires(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Open", false, false)}
	if _, err := api.OpenView("made-up", view); !isSlackErr(err, "invalid_trigger_id") {
		t.Errorf("unknown trigger = %v", err)
	}
	trig := s.IssueTrigger()
	time.Sleep(slacktest.TriggerLifetime + 100*time.Millisecond)
	if _, err := api.OpenView(trig, view); !isSlackErr(err, "expired_trigger_id") {
		t.Errorf("old trigger = %v", err)
	}
}

func TestServer_ChatRateLimit(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddChannel("C1", "general", true)
	s.AddChannel("C2", "other", true)
	s.SetChatLimit(2, time.Second)
	for range 2 {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Fatalf("third post = %#v, want 429 with Retry-After", err)
	}
	if _, _, err := api.PostMessage("C2", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("another channel has its own limit: %v", err)
	}
}

// A post to a limited channel before the Retry-After passed is counted
// early; one after it is not, and another channel was never limited.
func TestServer_EarlySends(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddChannel("C1", "general", true)
	s.SetChatLimit(1, 500*time.Millisecond)
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	var rl *slack.RateLimitedError
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("second post = %v, want 429 with Retry-After 1 s", err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err == nil {
		t.Fatal("a post before the Retry-After was accepted")
	}
	if s.EarlySends() != 1 || s.Limited() != 2 {
		t.Fatalf("early = %d, limited = %d; want 1 and 2", s.EarlySends(), s.Limited())
	}
	time.Sleep(rl.RetryAfter + 50*time.Millisecond)
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("a post after the Retry-After: %v", err)
	}
	if s.EarlySends() != 1 {
		t.Errorf("early = %d after waiting, want 1", s.EarlySends())
	}
}

// conversations.create is Tier 2: about 20 a minute for the workspace,
// whatever the channel.
func TestServer_CreateTier2(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	for i := range slacktest.Tier2PerMinute {
		if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: fmt.Sprintf("ofb-%d", i), IsPrivate: true}); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "ofb-over", IsPrivate: true})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter < time.Second || rl.RetryAfter > 3*time.Second {
		t.Fatalf("create past the burst = %v, want 429 with Retry-After about 3 s", err)
	}
	s.SetMethodLimit("conversations.create", 0, 0)
	if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "ofb-lifted", IsPrivate: true}); err != nil {
		t.Errorf("create with the limit lifted: %v", err)
	}
}

func TestServer_BlockKitLimits(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddChannel("C1", "general", true)
	text := func(n int) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("a", n), false, false)
	}
	button := func(label, value string) slack.BlockElement {
		return slack.NewButtonBlockElement("ofb:x", value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = slack.NewDividerBlock()
	}
	var elements []slack.BlockElement
	for range 26 {
		elements = append(elements, button("b", "v"))
	}
	cases := map[string][]slack.Block{
		"51 blocks":          many,
		"section of 3001":    {slack.NewSectionBlock(text(3001), nil, nil)},
		"header of 151":      {slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false))},
		"button text of 76":  {slack.NewActionBlock("", button(strings.Repeat("b", 76), "v"))},
		"button value 2001":  {slack.NewActionBlock("", button("b", strings.Repeat("v", 2001)))},
		"26 action elements": {slack.NewActionBlock("", elements...)},
	}
	for name, blocks := range cases {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(blocks...)); !isSlackErr(err, "invalid_blocks") {
			t.Errorf("%s: err = %v, want invalid_blocks", name, err)
		}
	}
	ok := []slack.Block{slack.NewSectionBlock(text(3000), nil, nil), slack.NewActionBlock("", elements[:25]...)}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(ok...)); err != nil {
		t.Errorf("blocks at the limits refused: %v", err)
	}
	long := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)}
	if _, err := api.OpenView(s.IssueTrigger(), long); !isSlackErr(err, "invalid_arguments") {
		t.Errorf("a 25-character modal title = %v", err)
	}
}

func TestServer_RestrictedPrivateChannels(t *testing.T) {
	s := slacktest.New(t)
	s.RestrictPrivateChannels(true)
	if _, err := newAPI(s).CreateConversation(slack.CreateConversationParams{ChannelName: "ofb-1", IsPrivate: true}); !isSlackErr(err, "restricted_action") {
		t.Errorf("create = %v", err)
	}
}

func TestServer_Latency(t *testing.T) {
	s := slacktest.New(t)
	s.SetLatency(200 * time.Millisecond)
	start := time.Now()
	if _, err := newAPI(s).AuthTest(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("auth.test answered in %v, want at least the latency", d)
	}
}
