package slack

import (
	"context"
	"net/mail"
	"strings"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// pickerMinQuery is how many characters Slack waits for before it asks
// for a person picker's options: one letter matches half the company.
const pickerMinQuery = 2

// optionsResponse is the ack of a block_suggestion. Unlike
// slack.OptionsResponse it keeps an empty list: "no options" is an
// answer, not a malformed one.
type optionsResponse struct {
	Options []*slack.OptionBlockObject `json:"options"`
}

// suggest answers a person picker's typeahead (a block_suggestion) with
// the directory's people matching what was typed, through the router,
// which lets only those who may open cases search and slows a flood.
// Slack's options response carries no message: a refused or failed
// search answers no options, and the submission says why. When the
// directory knows nobody, a typed email is offered as it is, so the
// picker still works (the "…or their work email" input does too).
func (p *Platform) suggest(ctx context.Context, cb slack.InteractionCallback) *optionsResponse {
	lookup, cancel := context.WithTimeout(ctx, preAckBudget)
	defer cancel()
	who := p.actor(lookup, cb.User.ID)
	query := strings.TrimSpace(cb.Value)
	found, err := p.router.FindPeople(ctx, who, query, offboard.MaxSearchResults)
	switch offboard.ErrorCode(err) {
	case "":
	case offboard.EFORBIDDEN, offboard.EUNAVAILABLE:
		// The router audits and warns of the refusal once a minute per
		// person; no query text in the log (it may be a name).
		p.log.Debug("slack: a people search was refused", "actor", who.String(), "code", string(offboard.ErrorCode(err)))
		return &optionsResponse{Options: []*slack.OptionBlockObject{}}
	default:
		p.log.Error("slack: people search", "err", err)
		return &optionsResponse{Options: []*slack.OptionBlockObject{}}
	}
	opts := make([]*slack.OptionBlockObject, 0, min(len(found)+1, maxOptions))
	typed := false
	for _, f := range found {
		if len(opts) == maxOptions {
			break
		}
		label := f.Email
		if f.Name != "" {
			label = f.Name + " (" + f.Email + ")"
		}
		typed = typed || strings.EqualFold(f.Email, query)
		opts = append(opts, slack.NewOptionBlockObject(truncate(f.Email, maxOptionValue), plain(label, maxOptionText), nil))
	}
	if a, err := mail.ParseAddress(query); !typed && err == nil && a.Address == query && len(opts) < maxOptions && len(query) <= maxOptionValue {
		// Someone the directory does not list: the submission checks the
		// email as a typed one (and asks to confirm an unknown person).
		email := strings.ToLower(query)
		opts = append(opts, slack.NewOptionBlockObject(email, plain(email+" (as typed)", maxOptionText), nil))
	}
	return &optionsResponse{Options: opts}
}
