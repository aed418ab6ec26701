package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// slackWorld is offboard serving against a fake Slack.
type slackWorld struct {
	t     *testing.T
	fake  *slacktest.Server
	app   *liveApp
	cfg   string
	hooks *responseHooks
}

// responseHooks is where interactions' response_url points: it keeps
// what offboard answered to whom.
type responseHooks struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs map[string][]string // hook name → texts
}

func newResponseHooks(t *testing.T) *responseHooks {
	h := &responseHooks{msgs: map[string][]string{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m slack.WebhookMessage
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &m)
		h.mu.Lock()
		h.msgs[r.URL.Path] = append(h.msgs[r.URL.Path], m.ResponseType+": "+m.Text)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *responseHooks) url(name string) string { return h.srv.URL + "/" + name }

func (h *responseHooks) wait(t *testing.T, name string) string {
	t.Helper()
	var got []string
	eventually(t, "a response on "+name, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		got = h.msgs["/"+name]
		return len(got) > 0
	})
	return got[0]
}

const (
	uHR      = "UHANA"
	uIT      = "UIVAN"
	uFinance = "UFIONA"
	uManager = "UMONA"
	uJane    = "UJANE"
)

func newSlackWorld(t *testing.T) *slackWorld {
	fake := newSlackFake(t)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uIT, "Ivan IT", "ivan.it@example.com")
	fake.AddUser(uFinance, "Fiona Finance", "fiona.finance@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  team_id: %q
departments:
  it:
    slack_channel: CITDESK
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), slacktest.TeamID))
	// finance and the manager need roles/identities in config too.
	w := &slackWorld{t: t, fake: fake, cfg: cfg, hooks: newResponseHooks(t)}
	w.app = startApp(t, cfg, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	return w
}

func (w *slackWorld) slash(user, text string) json.RawMessage {
	w.t.Helper()
	env := w.fake.SendSlashCommand(slack.SlashCommand{Command: "/offboard", Text: text, UserID: user,
		ChannelID: "CHR", TeamID: slacktest.TeamID, TriggerID: "trig-" + user + "-" + text})
	// The ack is empty; the answer comes through the response_url or as
	// a modal.
	return w.fake.WaitAnswer(w.t, env, 5*time.Second)
}

func (w *slackWorld) click(user, value, hook string) {
	w.t.Helper()
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user},
		TriggerID: "trig-click-" + user, ResponseURL: w.hooks.url(hook),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "ofb:x", Value: value}}}}
	cb.Channel.ID = "CCASE"
	w.fake.WaitAck(w.t, w.fake.SendInteraction(cb), 5*time.Second)
}

func (w *slackWorld) view(id offboard.CaseID) offboard.CaseView {
	w.t.Helper()
	return call(w.t, "GET", w.app.url+"/api/v1/cases/"+string(id), hrToken, "").view(w.t)
}

func openCaseState(values map[string]slack.BlockAction) *slack.ViewState {
	st := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for k, v := range values {
		st.Values[k] = map[string]slack.BlockAction{k: v}
	}
	return st
}

func (w *slackWorld) submit(user, callback, metadata string, values map[string]slack.BlockAction) json.RawMessage {
	w.t.Helper()
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user},
		View: slack.View{CallbackID: callback, PrivateMetadata: metadata, State: openCaseState(values)}}
	return w.fake.WaitAck(w.t, w.fake.SendInteraction(cb), 5*time.Second)
}

// The whole Slack story: HR opens a case from the modal, a private
// channel appears without the person leaving, cards and approvals are
// posted; IT's click runs a task and the card follows; clicks by the wrong
// people are refused; the manager approves in the thread.
func TestSlack_EndToEnd(t *testing.T) {
	w := newSlackWorld(t)

	// A non-HR user is refused, and nothing opens.
	if ack := string(w.slash(uFinance, "")); !strings.Contains(ack, "Only HR and admins") || !strings.Contains(ack, "ephemeral") {
		t.Fatalf("finance /offboard ack = %s", ack)
	}
	if n := len(w.fake.Views()); n != 0 {
		t.Fatalf("%d modals opened for finance", n)
	}

	// Someone already has a channel with the name this case would get.
	squatter := slack.New(slacktest.BotToken, slack.OptionAPIURL(w.fake.APIURL()))
	if _, err := squatter.CreateConversation(slack.CreateConversationParams{ChannelName: "offboard-jane-doe-off-0001"}); err != nil {
		t.Fatal(err)
	}

	// HR: /offboard → modal.
	w.slash(uHR, "")
	views := w.fake.Views()
	if len(views) != 1 {
		t.Fatalf("views opened: %d", len(views))
	}
	meta := "CHR\n"
	// A last day in the past shows a field error, and no case exists.
	ack := string(w.submit(uHR, "open_case", meta, map[string]slack.BlockAction{
		"employee_email": {Type: "email_text_input", Value: "jane.doe@example.com"},
		"manager":        {Type: "users_select", SelectedUser: uManager},
		"kind":           {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "voluntary"}},
		"last_day":       {Type: "datepicker", SelectedDate: "2020-01-01"},
	}))
	if !strings.Contains(ack, `"response_action":"errors"`) || !strings.Contains(ack, "last_day") {
		t.Fatalf("past last day ack = %s", ack)
	}
	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	// The leaver's picker is answered from offboard's directory (here
	// the workspace's members) as HR types: a block_suggestion whose ack
	// carries the options.
	var picked string
	eventually(t, "the picker suggests Jane from the directory", func() bool {
		var opts struct {
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		}
		raw := w.fake.WaitAck(t, w.fake.SendBlockSuggestion(uHR, "employee", "employee", "Jane D", "open_case", meta), 5*time.Second)
		if json.Unmarshal(raw, &opts) != nil || len(opts.Options) == 0 {
			return false
		}
		picked = opts.Options[0].Value
		return true
	})
	if picked != "jane.doe@example.com" {
		t.Fatalf("the picker suggested %q, want Jane's email", picked)
	}
	// Picked from the person pickers: the leaver's option is her email;
	// a modal opened before the upgrade still sends a Slack user, which
	// offboard maps to an email.
	ack = string(w.submit(uHR, "open_case", meta, map[string]slack.BlockAction{
		"employee": {Type: "external_select", SelectedOption: slack.OptionBlockObject{Value: picked}},
		"manager":  {Type: "users_select", SelectedUser: uManager},
		"kind":     {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "voluntary"}},
		"last_day": {Type: "datepicker", SelectedDate: lastDay},
	}))
	if strings.Contains(ack, "errors") {
		t.Fatalf("good form refused: %s", ack)
	}

	// The private channel: named from the template (with a suffix, the
	// name being taken), without Jane.
	var ch slacktest.Channel
	eventually(t, "the case channel", func() bool {
		for _, c := range w.fake.Channels() {
			if c.Name == "offboard-jane-doe-off-0001-2" {
				ch = c
				return true
			}
		}
		return false
	})
	if !ch.Private {
		t.Fatal("the case channel is public")
	}
	eventually(t, "members invited", func() bool {
		for _, c := range w.fake.Channels() {
			if c.ID == ch.ID {
				ch = c
			}
		}
		return slices.Contains(ch.Members, uManager) && slices.Contains(ch.Members, uIT) && slices.Contains(ch.Members, uHR)
	})
	if slices.Contains(ch.Members, uJane) {
		t.Fatal("the person leaving was invited to their own offboarding channel")
	}
	// Header, department cards, and two approvals in the header's thread.
	var msgs []slacktest.Message
	eventually(t, "cards and approvals", func() bool {
		msgs = w.fake.Messages(ch.ID)
		threaded := 0
		for _, m := range msgs {
			if m.Thread != "" && strings.Contains(m.Text, "<@"+uManager+">") {
				threaded++
			}
		}
		return len(msgs) >= 7 && threaded == 2
	})
	if !strings.Contains(string(msgs[0].Blocks), "OFF-0001") {
		t.Fatalf("first message is not the case header: %s", msgs[0].Blocks)
	}
	eventually(t, "the IT desk told", func() bool { return len(w.fake.Messages("CITDESK")) > 0 })
	if it := w.fake.Messages("CITDESK"); len(it) != 1 || !strings.Contains(it[0].Text, ch.ID) || !strings.Contains(it[0].Text, "Jane Doe") {
		t.Fatalf("IT desk notice = %+v", it)
	}

	// Finance clicks an IT task: refused, privately, and nothing changes.
	start := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_suspend"}.Encode()
	w.click(uFinance, start, "fin")
	if got := w.hooks.wait(t, "fin"); !strings.HasPrefix(got, "ephemeral") || !strings.Contains(got, "IT team") {
		t.Fatalf("finance click answer = %q", got)
	}
	if st := taskByKey(w.view("OFF-0001"), "okta_suspend").Status; st != offboard.TaskScheduled {
		t.Fatalf("after a refused click: %s", st)
	}

	// IT clicks: the task runs (Okta is not configured here, so it fails
	// visibly) and the IT card is redrawn in place.
	itCard := ""
	for _, m := range msgs {
		if strings.Contains(string(m.Blocks), "okta_suspend") && m.Thread == "" {
			itCard = m.TS
		}
	}
	if itCard == "" {
		t.Fatal("no IT card with the suspend button")
	}
	w.click(uIT, start, "it")
	defer func() {
		if t.Failed() {
			for _, m := range w.fake.Messages(ch.ID) {
				if m.TS == itCard {
					t.Logf("IT card (updated %d): %s", m.Updated, m.Blocks)
				}
			}
			t.Logf("task: %+v", taskByKey(w.view("OFF-0001"), "okta_suspend"))
		}
	}()
	eventually(t, "the IT card redrawn with the failure", func() bool {
		for _, m := range w.fake.Messages(ch.ID) {
			if m.TS == itCard && m.Updated > 0 && strings.Contains(string(m.Blocks), "Okta is not configured") {
				return true
			}
		}
		return false
	})

	// Approvals: someone else is refused; the manager approves.
	v := w.view("OFF-0001")
	var approvalID string
	for _, a := range v.Approvals {
		if a.TaskKey == "transfer_drive" {
			approvalID = a.ID
		}
	}
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: approvalID}.Encode()
	w.click(uIT, approve, "it-approve")
	if got := w.hooks.wait(t, "it-approve"); !strings.Contains(got, "only Mona Manager or their delegates can decide this") {
		t.Fatalf("IT approving = %q", got)
	}
	w.click(uManager, approve, "mgr")
	eventually(t, "the approval recorded", func() bool {
		for _, a := range w.view("OFF-0001").Approvals {
			if a.ID == approvalID {
				return a.Status == offboard.ApprovalApproved
			}
		}
		return false
	})
	if st := taskByKey(w.view("OFF-0001"), "transfer_drive").Status; st != offboard.TaskPending {
		t.Fatalf("transfer_drive after approval: %s", st)
	}
}

// Inline creation, a rate limit on chat.postMessage, and a reconnect.
func TestSlack_InlineRateLimitReconnect(t *testing.T) {
	w := newSlackWorld(t)
	// A command from another workspace is acked and ignored.
	env := w.fake.SendSlashCommand(slack.SlashCommand{Command: "/offboard", Text: "jane.doe@example.com involuntary",
		UserID: uHR, ChannelID: "CHR", TeamID: "TFOREIGN", TriggerID: "trig-foreign"})
	if ack := w.fake.WaitAck(t, env, 5*time.Second); ack != nil {
		t.Fatalf("a foreign workspace got an answer: %s", ack)
	}
	// The next post is rate limited for a second: the outbox waits and
	// posts after Retry-After instead of losing the card.
	w.fake.FailNext("chat.postMessage", 429, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "1"})
	env = w.fake.SendSlashCommand(slack.SlashCommand{Command: "/offboard", Text: "jane.doe@example.com involuntary",
		UserID: uHR, ChannelID: "CHR", TeamID: slacktest.TeamID, TriggerID: "trig-inline"})
	ack := string(w.fake.WaitAnswer(t, env, 5*time.Second))
	if !strings.Contains(ack, "OFF-0001") || !strings.Contains(ack, "in_channel") {
		t.Fatalf("inline create ack = %s", ack)
	}
	// Slack delivers the same envelope again (it missed the ack): it is
	// acked, and acted on once.
	w.fake.Redeliver(env)
	var ch slacktest.Channel
	eventually(t, "the confidential channel", func() bool {
		for _, c := range w.fake.Channels() {
			if c.Name == "ofb-0001" {
				ch = c
				return true
			}
		}
		return false
	})
	eventually(t, "the header posted after the rate limit", func() bool { return len(w.fake.Messages(ch.ID)) > 0 })
	calls := w.fake.Calls("chat.postMessage")
	if len(calls) < 2 {
		t.Fatalf("chat.postMessage called %d times; the 429 was not retried", len(calls))
	}
	// The refused post and the retry are at least Retry-After apart: the
	// outbox paused chat instead of hammering Slack.
	if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
		t.Fatalf("retried %s after a 429 with Retry-After: 1", gap)
	}

	// A confidential case tells the IT desk only that it needs them.
	eventually(t, "the IT desk told", func() bool { return len(w.fake.Messages("CITDESK")) > 0 })
	if desk := w.fake.Messages("CITDESK")[0].Text; !strings.Contains(desk, "confidential") || strings.Contains(strings.ToLower(desk), "jane") {
		t.Fatalf("IT desk notice for a confidential case = %q", desk)
	}
	// A question in a channel is answered to the asker alone.
	w.fake.SendEvent(map[string]any{"type": "app_mention", "user": uIT, "channel": "CGENERAL",
		"text": "<@U0BOT> status of jane.doe@example.com", "ts": "1.1"}, "app_mention")
	eventually(t, "the answer to a mention", func() bool { return len(w.fake.Messages("CGENERAL")) > 0 })
	if m := w.fake.Messages("CGENERAL")[0]; m.User != uIT || !strings.Contains(m.Text, "OFF-0001") {
		t.Fatalf("answer to a mention = %+v, want an ephemeral to the asker naming the case", m)
	}

	// Slack asks the bot to reconnect; the next command still works.
	w.fake.Disconnect()
	w.fake.WaitConnected(t, 2, 10*time.Second)
	if ack := string(w.slash(uHR, "status OFF-0001")); !strings.Contains(ack, "OFF-0001") {
		t.Fatalf("status after reconnect = %s", ack)
	}
	// Cancelling closes the case channel after saying why.
	if ack := string(w.slash(uHR, "cancel OFF-0001 rehired the same day")); !strings.Contains(ack, "cancelled") {
		t.Fatalf("cancel ack = %s", ack)
	}
	eventually(t, "the channel archived", func() bool {
		for _, c := range w.fake.Channels() {
			if c.ID == ch.ID {
				return c.Archived
			}
		}
		return false
	})
	// The redelivered command opened nothing, and was not refused either.
	r := call(t, "GET", w.app.url+"/api/v1/cases?status=open", hrToken, "")
	if n := strings.Count(string(r.body), `"case":{"id":"OFF-`); n != 0 {
		t.Fatalf("%d open cases after a redelivered /offboard and a cancel, want 0: %s", n, r.body)
	}
	w.app.stop()
	_, out, _ := runCLI("audit", "export", "--config", w.cfg)
	if refusals := strings.Count(out, `"action":"command.refused"`); refusals != 0 {
		t.Fatalf("the redelivery was acted on again: %d refusals in the audit trail", refusals)
	}
}
