package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// A mention in Slack is answered by the model configured with
// assistant.base_url: the real wiring, the real go-openai client, the
// fake chat server, and the case data going to it only as a tool result.
func TestSlack_MentionAnsweredByTheModel(t *testing.T) {
	fake := newSlackFake(t)
	fake.AddUser(uIT, "Ivan IT", "ivan.it@example.com")
	// Jane and her manager are in the workspace, so the directory read
	// from Slack knows the emails the case names.
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	var toolResult string
	model := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane.doe@example.com"}`)}}
		}
		toolResult, _ = req.Result("c1")
		return openaitest.Reply{Content: "Model says: OFF-0001 Jane Doe is underway."}
	})
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  team_id: %q
assistant:
  api_key: sk-e2e
  base_url: %q
  model: e2e-model
  max_tool_rounds: 3
  timeout: 5s
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), slacktest.TeamID, model.URL))
	app := startApp(t, cfg, wireOptions{})
	fake.WaitConnected(t, 1, 10*time.Second)
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	fake.SendEvent(map[string]any{"type": "app_mention", "user": uIT, "channel": "CGENERAL",
		"text": "<@U0BOT> how is Jane doing?", "ts": "1.1"}, "app_mention")
	eventually(t, "the answer to a mention", func() bool { return len(fake.Messages("CGENERAL")) > 0 })
	m := fake.Messages("CGENERAL")[0]
	if m.User != uIT || !strings.Contains(m.Text, "Model says: OFF-0001 Jane Doe is underway.") {
		t.Fatalf("answer = %+v, want the model's answer, ephemeral to the asker", m)
	}
	if !strings.Contains(string(m.Blocks), "OFF-0001") {
		t.Errorf("the answer lacks the case card: %s", m.Blocks)
	}
	reqs := model.Requests()
	if len(reqs) != 2 || reqs[0].Model != "e2e-model" || reqs[0].Authorization != "Bearer sk-e2e" {
		t.Fatalf("model requests: %d, first %+v", len(reqs), reqs[0])
	}
	if q := reqs[0].Messages[1].Content; q != "how is Jane doing?" {
		t.Errorf("question sent = %q, want the text without the mention", q)
	}
	if !strings.Contains(toolResult, `"email":"jane.doe@example.com"`) || !strings.Contains(toolResult, `"id":"OFF-0001"`) {
		t.Errorf("tool result lacks Jane's case: %s", toolResult)
	}
}
