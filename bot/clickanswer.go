package bot

import "github.com/offboard-dev/offboard"

// ClickAnswer is what a platform answers inline to a button click, one
// rule for Slack and Teams (AnswerClick); each platform only says how.
type ClickAnswer int

const (
	// ClickShowForm shows the reply's form to the clicker (Slack: a
	// modal; Teams: a form card below the clicked one).
	ClickShowForm ClickAnswer = iota + 1
	// ClickPrivate tells only the clicker: a refusal, a broken button, a
	// new case opened from a refusal (Slack: an ephemeral message; Teams,
	// which has none in a channel: the person's own chat with the bot).
	ClickPrivate
	// ClickUpdateInPlace redraws the clicked card with the reply's card.
	// Teams updates the clicked activity at once. Slack says nothing
	// inline: the card clicked is one the room driver posted, and the
	// notice the change causes redraws that same message in place (a
	// response_url replace as well would race it).
	ClickUpdateInPlace
	// ClickSay says the reply's text where the click happened: a change
	// made, with no card to redraw.
	ClickSay
)

// AnswerClick is the one rule for what a click's reply is answered with.
func AnswerClick(r offboard.Reply) ClickAnswer {
	switch {
	case r.Form != nil:
		return ClickShowForm
	case r.Ephemeral:
		return ClickPrivate
	case len(r.Cards) > 0:
		return ClickUpdateInPlace
	}
	return ClickSay
}
