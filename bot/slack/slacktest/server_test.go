package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

const wait = 5 * time.Second

func newAPI(s *slacktest.Server) *slack.Client {
	return slack.New(slacktest.BotToken,
		slack.OptionAppLevelToken(slacktest.AppToken),
		slack.OptionAPIURL(s.APIURL()))
}

// startSocket runs a real socketmode client against s until the test ends.
func startSocket(t *testing.T, s *slacktest.Server) *socketmode.Client {
	t.Helper()
	client := socketmode.New(newAPI(s), socketmode.OptionLog(log.New(io.Discard, "", 0)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("socketmode client did not stop")
		}
	})
	return client
}

// next returns the next event of type typ, skipping the others.
func next(t *testing.T, c *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case evt := <-c.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event within %v", typ, wait)
		}
	}
}

func TestServer_SocketModeSlashCommand(t *testing.T) {
	s := slacktest.New(t)
	client := startSocket(t, s)

	id := s.SendSlashCommand(slack.SlashCommand{Command: "/offboard", Text: "jane@example.com", UserID: "U1", ChannelID: "C1", TriggerID: "trig-1"})
	evt := next(t, client, socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("data is %T", evt.Data)
	}
	if cmd.Command != "/offboard" || cmd.Text != "jane@example.com" || cmd.UserID != "U1" || cmd.TriggerID != "trig-1" {
		t.Errorf("command = %+v", cmd)
	}
	if evt.Request == nil || evt.Request.EnvelopeID != id {
		t.Fatalf("request = %+v, want envelope %s", evt.Request, id)
	}
	client.Ack(*evt.Request, map[string]any{"text": "on it", "response_type": "ephemeral"})

	payload := s.WaitAck(t, id, wait)
	var got map[string]string
	if err := json.Unmarshal(payload, &got); err != nil || got["text"] != "on it" {
		t.Errorf("ack payload = %s (%v)", payload, err)
	}
	if c := s.Calls("apps.connections.open"); len(c) != 1 || c[0].Token != slacktest.AppToken {
		t.Errorf("apps.connections.open calls = %+v", c)
	}
}

func TestServer_SocketModeNoPayloadAckAndInteraction(t *testing.T) {
	s := slacktest.New(t)
	client := startSocket(t, s)

	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, TriggerID: "trig-2", User: slack.User{ID: "U2"}}
	cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: "ofb:complete", Value: "complete|c1|t1|"}}
	id := s.SendInteraction(&cb)
	evt := next(t, client, socketmode.EventTypeInteractive)
	got := evt.Data.(slack.InteractionCallback)
	if got.Type != slack.InteractionTypeBlockActions || len(got.ActionCallback.BlockActions) != 1 ||
		got.ActionCallback.BlockActions[0].Value != "complete|c1|t1|" || got.User.ID != "U2" {
		t.Errorf("callback = %+v", got)
	}
	client.Ack(*evt.Request)
	if p := s.WaitAck(t, id, wait); p != nil {
		t.Errorf("payload = %s, want none", p)
	}
}

func TestServer_SocketModeViewSubmission(t *testing.T) {
	s := slacktest.New(t)
	client := startSocket(t, s)

	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U5"}}
	cb.View.CallbackID = "open_case"
	cb.View.PrivateMetadata = "state"
	cb.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"last_day": {"last_day": {Type: "datepicker", SelectedDate: "2026-12-01"}},
	}}
	id := s.SendInteraction(cb) // a value, not a pointer
	evt := next(t, client, socketmode.EventTypeInteractive)
	got := evt.Data.(slack.InteractionCallback)
	if got.Type != slack.InteractionTypeViewSubmission || got.View.CallbackID != "open_case" || got.View.PrivateMetadata != "state" ||
		got.View.State == nil || got.View.State.Values["last_day"]["last_day"].SelectedDate != "2026-12-01" {
		t.Errorf("callback = %+v", got)
	}
	client.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"last_day": "too late"}))
	if p := s.WaitAck(t, id, wait); !strings.Contains(string(p), `"response_action":"errors"`) {
		t.Errorf("ack payload = %s", p)
	}
}

func TestServer_SocketModeEvent(t *testing.T) {
	s := slacktest.New(t)
	client := startSocket(t, s)

	id := s.SendEvent(slackevents.AppMentionEvent{User: "U3", Text: "<@U0BOT> status jane", Channel: "C3", TimeStamp: "1.2"}, "app_mention")
	evt := next(t, client, socketmode.EventTypeEventsAPI)
	ev := evt.Data.(slackevents.EventsAPIEvent)
	m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || m.User != "U3" || m.Text != "<@U0BOT> status jane" {
		t.Fatalf("inner = %#v", ev.InnerEvent.Data)
	}
	client.Ack(*evt.Request)
	s.WaitAck(t, id, wait)
}

func TestServer_Disconnect(t *testing.T) {
	s := slacktest.New(t)
	client := startSocket(t, s)
	s.WaitConnected(t, 1, wait)

	s.Disconnect()
	s.WaitConnected(t, 2, wait)
	id := s.SendSlashCommand(map[string]string{"command": "/offboard", "text": "help"})
	evt := next(t, client, socketmode.EventTypeSlashCommand)
	if evt.Data.(slack.SlashCommand).Text != "help" {
		t.Errorf("data = %+v", evt.Data)
	}
	client.Ack(*evt.Request)
	s.WaitAck(t, id, wait)
	if n := s.Connections(); n != 2 {
		t.Errorf("Connections() = %d, want 2", n)
	}
}

func TestServer_PingsKeepConnection(t *testing.T) {
	s := slacktest.New(t)
	client := socketmode.New(newAPI(s), socketmode.OptionPingInterval(300*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = client.RunContext(ctx) }()
	go func() { // drain
		for {
			select {
			case <-client.Events:
			case <-done:
				return
			}
		}
	}()
	time.Sleep(1200 * time.Millisecond)
	cancel()
	<-done
	if n := s.Connections(); n != 1 {
		t.Errorf("Connections() = %d, want 1 (dead-man timer fired?)", n)
	}
}

func TestServer_PostAndUpdateMessage(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddChannel("C1", "general", true)
	s.AddUser("U9", "nine", "nine@example.com")

	ch, ts, err := api.PostMessage("C1", slack.MsgOptionText("hello", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hi*", false, false), nil, nil)))
	if err != nil || ch != "C1" || ts == "" {
		t.Fatalf("PostMessage = %q, %q, %v", ch, ts, err)
	}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("bye", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral("C1", "U9", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("C1")
	if len(msgs) != 3 {
		t.Fatalf("messages = %+v", msgs)
	}
	if msgs[0].Text != "bye" || msgs[0].Updated != 1 || msgs[0].TS != ts {
		t.Errorf("updated message = %+v", msgs[0])
	}
	if msgs[1].Thread != ts || msgs[1].Text != "reply" {
		t.Errorf("thread reply = %+v", msgs[1])
	}
	if msgs[2].User != "U9" {
		t.Errorf("ephemeral = %+v", msgs[2])
	}
	calls := s.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Token != slacktest.BotToken || !strings.Contains(calls[0].Form.Get("blocks"), "*hi*") {
		t.Errorf("calls = %+v", calls)
	}
	if _, _, _, err := api.UpdateMessage("C1", "9.9", slack.MsgOptionText("x", false)); !isSlackErr(err, "message_not_found") {
		t.Errorf("update missing = %v", err)
	}
}

func isSlackErr(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

func TestServer_Conversations(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)

	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "ofb-7f3a", IsPrivate: true})
	if err != nil || ch.ID == "" || ch.Name != "ofb-7f3a" {
		t.Fatalf("CreateConversation = %+v, %v", ch, err)
	}
	_, err = api.CreateConversation(slack.CreateConversationParams{ChannelName: "ofb-7f3a", IsPrivate: true})
	if !isSlackErr(err, "name_taken") {
		t.Errorf("second create err = %#v, want SlackErrorResponse name_taken", err)
	}
	if _, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "Bad Name."}); !isSlackErr(err, "invalid_name_specials") {
		t.Errorf("bad name err = %v", err)
	}
	s.AddUser("U1", "one", "one@example.com")
	s.AddUser("U2", "two", "two@example.com")
	if _, err := api.InviteUsersToConversation(ch.ID, "U1", "U2"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.InviteUsersToConversation(ch.ID, "U1"); !isSlackErr(err, "already_in_channel") {
		t.Errorf("reinvite err = %v", err)
	}
	if _, err := api.InviteUsersToConversation(ch.ID, slacktest.BotUser); !isSlackErr(err, "cant_invite_self") {
		t.Errorf("invite self err = %v", err)
	}
	if _, err := api.SetTopicOfConversation(ch.ID, "Offboarding Jane"); err != nil {
		t.Fatal(err)
	}
	if err := api.ArchiveConversation(ch.ID); err != nil {
		t.Fatal(err)
	}
	got := s.Channels()
	if len(got) != 1 || !got[0].Private || got[0].Topic != "Offboarding Jane" || !got[0].Archived || len(got[0].Members) != 3 {
		t.Errorf("channels = %+v", got)
	}
	if _, _, err := api.PostMessage(ch.ID, slack.MsgOptionText("late", false)); !isSlackErr(err, "is_archived") {
		t.Errorf("post to archived err = %v", err)
	}
}

func TestServer_Users(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	s.AddUser("U1", "jane", "jane@example.com")

	u, err := api.GetUserByEmail("jane@example.com")
	if err != nil || u.ID != "U1" || u.Profile.Email != "jane@example.com" {
		t.Fatalf("GetUserByEmail = %+v, %v", u, err)
	}
	if _, err := api.GetUserByEmail("nobody@example.com"); !isSlackErr(err, "users_not_found") {
		t.Errorf("unknown email err = %v", err)
	}
	u, err = api.GetUserInfo("U1")
	if err != nil || u.Name != "jane" {
		t.Errorf("GetUserInfo = %+v, %v", u, err)
	}
	if _, err := api.AuthTest(); err != nil {
		t.Error(err)
	}
}

func TestServer_Views(t *testing.T) {
	s := slacktest.New(t)
	api := newAPI(s)
	view := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "open_case",
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Open case", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("email", slack.NewTextBlockObject(slack.PlainTextType, "Email", false, false), nil, slack.NewPlainTextInputBlockElement(nil, "email"))}},
	}
	trig := s.IssueTrigger()
	resp, err := api.OpenView(trig, view)
	if err != nil || resp.ID != "V1" || resp.CallbackID != "open_case" {
		t.Fatalf("OpenView = %+v, %v", resp, err)
	}
	if _, err := api.OpenView(trig, view); !isSlackErr(err, "exchanged_trigger_id") {
		t.Errorf("reused trigger err = %v", err)
	}
	view.CallbackID = "open_case2"
	if _, err := api.UpdateView(view, "", resp.Hash, resp.ID); err != nil {
		t.Fatal(err)
	}
	v := s.Views()
	if len(v) != 1 || v[0].Updated != 1 || !strings.Contains(string(v[0].View), "open_case2") {
		t.Errorf("views = %+v", v)
	}
	if c := s.Calls("views.open"); len(c) != 2 || c[0].Token != slacktest.BotToken || len(c[0].JSON) == 0 {
		t.Errorf("views.open calls = %+v", c)
	}
}

func TestServer_Errors(t *testing.T) {
	s := slacktest.New(t)
	s.AddChannel("C1", "general", true)

	s.FailNext("chat.postMessage", http.StatusTooManyRequests, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "1"})
	_, _, err := newAPI(s).PostMessage("C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("err = %#v, want *RateLimitedError 1s", err)
	}
	if _, _, err := newAPI(s).PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("second post err = %v", err)
	}

	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL()))
	if _, _, err := bad.PostMessage("C1", slack.MsgOptionText("x", false)); !isSlackErr(err, "invalid_auth") {
		t.Errorf("wrong token err = %v", err)
	}
	if _, err := newAPI(s).GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"}); !isSlackErr(err, "unknown_method") {
		t.Errorf("unknown method err = %v", err)
	}
	if len(s.Calls("conversations.history")) != 1 {
		t.Error("unknown method not recorded")
	}
	// Socket mode with a bad app token stops with invalid_auth.
	sm := socketmode.New(slack.New(slacktest.BotToken, slack.OptionAppLevelToken("xapp-wrong"), slack.OptionAPIURL(s.APIURL())))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-sm.Events:
			case <-stop:
				return
			}
		}
	}()
	if err := sm.RunContext(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("RunContext with bad token = %v", err)
	}
}
