package assistant_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/assistant"
)

var _ bot.Assistant = (*assistant.Answerer)(nil)

func TestRouterAsksTheAssistantFirst(t *testing.T) {
	w := newWorld(t)
	r, err := bot.New(bot.Options{Engine: w.engine, Clock: w.clock, Assistant: w.a})
	if err != nil {
		t.Fatal(err)
	}
	must(t, r.Ask(w.ctx, boss, "<@U0BOT> what about Alex?").Text, "2 open cases match 'alex'")
	// Not understood: the router's own help.
	if got := r.Ask(w.ctx, boss, "tell me a joke about the weather today").Text; !strings.Contains(got, "/offboard") {
		t.Errorf("no fallback help: %q", got)
	}
}
