package bot_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func TestAnswerClick(t *testing.T) {
	card := offboard.Card{Title: "IT"}
	form := bot.SkipForm("OFF-0001", "okta_suspend", "Suspend")
	for name, c := range map[string]struct {
		reply offboard.Reply
		want  bot.ClickAnswer
	}{
		"a form, even one marked private": {offboard.Reply{Ephemeral: true, Form: form}, bot.ClickShowForm},
		"a refusal":                       {offboard.Reply{Ephemeral: true, Text: "Only IT"}, bot.ClickPrivate},
		"a private answer with a card":    {offboard.Reply{Ephemeral: true, Text: "opened", Cards: []offboard.Card{card}}, bot.ClickPrivate},
		"a change with its card":          {offboard.Reply{Text: "Ivan started", Cards: []offboard.Card{card}}, bot.ClickUpdateInPlace},
		"a change without a card":         {offboard.Reply{Text: "done"}, bot.ClickSay},
	} {
		if got := bot.AnswerClick(c.reply); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}
