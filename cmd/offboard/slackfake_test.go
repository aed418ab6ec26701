package main

import (
	"testing"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// newSlackFake is a fake Slack whose workspace already has the channels
// these tests configure or talk in, with the bot in each (the strict fake
// refuses posts anywhere else, as Slack does).
func newSlackFake(t testing.TB) *slacktest.Server {
	fake := slacktest.New(t)
	for id, name := range map[string]string{
		"CITDESK": "it-desk", "CHR": "hr", "CHRDESK": "hr-desk", "CCASE": "case", "CGENERAL": "general",
	} {
		fake.AddChannel(id, name, true)
	}
	return fake
}
