package slack

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// The rendered output goes through the real client to the fake and back.
func TestRender_ThroughClient(t *testing.T) {
	s := slacktest.New(t)
	s.AddChannel("C1", "general", true)
	api := slack.New(slacktest.BotToken, slack.OptionAPIURL(s.APIURL()))

	text, blocks := RenderReply(offboard.Reply{Text: "Case opened", Cards: []offboard.Card{fullCard()}})
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("C1")
	if len(msgs) != 1 || msgs[0].Text != "Case opened" {
		t.Fatalf("messages = %+v", msgs)
	}
	var back slack.Blocks
	if err := json.Unmarshal(msgs[0].Blocks, &back); err != nil || len(back.BlockSet) != len(blocks) {
		t.Fatalf("stored blocks: %d, %v", len(back.BlockSet), err)
	}

	resp, err := api.OpenView(s.IssueTrigger(), RenderForm(testForm()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.CallbackID != "open_case" || resp.PrivateMetadata != "case=OFF-0042" || len(resp.Blocks.BlockSet) != len(testForm().Inputs) {
		t.Errorf("view = %+v", resp.View)
	}
}
