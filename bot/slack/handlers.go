package slack

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// handle answers one envelope. Every envelope but a form submission was
// acked before (ackFirst); a submission is acked here once checked.
// Everything slow (channels, cards) goes through the outbox.
func (p *Platform) handle(ctx context.Context, evt socketmode.Event, received time.Time) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		// Acked already (ackFirst): who is asking (users.info) and the
		// modal (views.open) take Web API calls. The answer goes through
		// the command's response_url; the trigger id stays valid for 3 s
		// from the command, ack or not.
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || p.foreign(cmd.TeamID, cmd.APIAppID) {
			return
		}
		p.slash(ctx, cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || p.foreign(cb.Team.ID, cb.APIAppID) {
			if ok && (cb.Type == slack.InteractionTypeViewSubmission || cb.Type == slack.InteractionTypeBlockSuggestion) {
				p.ack(evt.Request.EnvelopeID, nil, received)
			}
			return
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			p.click(ctx, cb) // acked already; answers go through response_url
		case slack.InteractionTypeBlockSuggestion:
			p.ack(evt.Request.EnvelopeID, p.suggest(ctx, cb), received)
		case slack.InteractionTypeViewSubmission:
			ack, followUp := p.submit(ctx, cb)
			p.ack(evt.Request.EnvelopeID, ack, received)
			if followUp != nil {
				followUp()
			}
		}
	case socketmode.EventTypeEventsAPI:
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok && !p.foreign(ev.TeamID, ev.APIAppID) {
			p.event(ctx, ev)
		}
	}
}

// slash handles /offboard after its ack: a form opens as a modal, any
// other answer goes to the command's response_url.
func (p *Platform) slash(ctx context.Context, cmd slack.SlashCommand) {
	// The trigger id expires 3 s after the command: bound the lookups so
	// there is time left to open the modal.
	lookup, cancel := context.WithTimeout(ctx, triggerBudget)
	who := p.actor(lookup, cmd.UserID)
	cancel()
	reply := p.router.Command(ctx, who, cmd.Text)
	if reply.Form != nil {
		view := RenderForm(reply.Form)
		view.PrivateMetadata = packState(cmd.ChannelID, reply.Form.State)
		if _, err := p.api.OpenViewContext(ctx, cmd.TriggerID, view); err != nil {
			p.log.Warn("slack: views.open failed", "err", err)
			reply = ephemeralReply("Sorry, I could not open the form (" + slackErrorText(err) + "). Try `/offboard jane@example.com voluntary 2026-12-31` instead.")
		} else {
			return
		}
	}
	p.respond(ctx, cmd.ResponseURL, reply)
}

// triggerBudget bounds the work between an interaction and views.open,
// inside the trigger id's 3 s.
const triggerBudget = 1500 * time.Millisecond

// preAckBudget bounds the Web API lookups a form submission needs before
// its ack (who submitted, who was picked), well inside Slack's 3 s.
const preAckBudget = 1500 * time.Millisecond

// click handles a button, answering as bot.AnswerClick says.
func (p *Platform) click(ctx context.Context, cb slack.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	a := cb.ActionCallback.BlockActions[0]
	if !strings.HasPrefix(a.ActionID, ActionIDPrefix) {
		return
	}
	who := p.actor(ctx, cb.User.ID)
	reply := p.router.Click(ctx, who, a.Value)
	switch bot.AnswerClick(reply) {
	case bot.ClickShowForm:
		view := RenderForm(reply.Form)
		view.PrivateMetadata = packState(cb.Channel.ID, reply.Form.State)
		if _, err := p.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
			p.log.Warn("slack: views.open failed", "err", err)
			p.respond(ctx, cb.ResponseURL, ephemeralReply("Sorry, I could not open the form ("+slackErrorText(err)+")."))
		}
	case bot.ClickPrivate, bot.ClickSay:
		p.respond(ctx, cb.ResponseURL, reply) // ephemeral or in the channel, as the reply says
	case bot.ClickUpdateInPlace:
		// The outbox's redraw of this card is the update in place.
	}
}

// submit handles a modal. Before the ack: who submitted and who was
// picked (Web API lookups, bounded by preAckBudget, usually cached from
// the command that opened the modal), then the router, which validates
// and applies. Field errors go back in the ack so Slack shows them beside
// the fields; otherwise the modal closes and followUp, run after the
// ack, tells the person in the channel they started from.
func (p *Platform) submit(ctx context.Context, cb slack.InteractionCallback) (ack any, followUp func()) {
	lookup, cancel := context.WithTimeout(ctx, preAckBudget)
	defer cancel()
	channel, state := unpackState(cb.View.PrivateMetadata)
	values := FormValues(cb.View.State)
	var who offboard.Actor
	picked := map[string]offboard.Actor{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() { who = p.actor(lookup, cb.User.ID) })
	for _, k := range []string{"employee", "manager"} {
		if id := values[k]; id != "" && !strings.Contains(id, "@") {
			wg.Go(func() {
				a := p.actor(lookup, id)
				mu.Lock()
				picked[k] = a
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	slow := offboard.FieldErrors{}
	for k, a := range picked {
		if a.Email == "" {
			if lookup.Err() != nil {
				slow[k] = "Slack did not say who this is in time; submit again."
				continue
			}
		}
		if k == "employee" && a.Name != "" {
			values["employee_name"] = a.Name
		}
		if a.Email != "" {
			values[k] = a.Email
		}
	}
	if len(slow) > 0 {
		return FieldErrorsResponse(slow), nil
	}
	reply, err := p.router.Submit(ctx, who, cb.View.CallbackID, state, values)
	var fe offboard.FieldErrors
	if errors.As(err, &fe) {
		return FieldErrorsResponse(fe), nil
	}
	if channel == "" || (reply.Text == "" && len(reply.Cards) == 0) {
		return nil, nil
	}
	return nil, func() { p.answerForm(ctx, channel, cb.User.ID, reply) }
}

// answerForm posts a form's answer to its submitter alone, in the
// channel the form came from; where the bot may not post (a channel it
// is not in), in the bot's direct message with them instead.
func (p *Platform) answerForm(ctx context.Context, channel, user string, reply offboard.Reply) {
	text, blocks := RenderReply(reply)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	_, err := p.api.PostEphemeralContext(ctx, channel, user, opts...)
	if isSlackError(err, "not_in_channel") || isSlackError(err, "channel_not_found") {
		_, _, err = p.api.PostMessageContext(ctx, user, opts...)
	}
	if err != nil {
		p.log.Warn("slack: answer to a form failed", "err", slackErrorText(err))
	}
}

// event answers mentions and direct messages, only to the asker.
func (p *Platform) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	var user, channel, text string
	var dm bool
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" {
			return
		}
		user, channel, text = e.User, e.Channel, e.Text
	case *slackevents.MessageEvent:
		if e.BotID != "" || e.SubType != "" || e.ChannelType != "im" {
			return
		}
		user, channel, text, dm = e.User, e.Channel, e.Text, true
	default:
		return
	}
	who := p.actor(ctx, user)
	reply := p.router.Ask(ctx, who, stripMentions(text))
	rtext, blocks := RenderReply(reply)
	opts := []slack.MsgOption{slack.MsgOptionText(rtext, false), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl()}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	var err error
	if dm {
		_, _, err = p.api.PostMessageContext(ctx, channel, opts...)
	} else {
		_, err = p.api.PostEphemeralContext(ctx, channel, user, opts...)
	}
	if err != nil {
		p.log.Warn("slack: answer to a question failed", "err", err)
	}
}

// respond answers through an interaction's response_url, which works in
// any channel, even one the bot is not in.
func (p *Platform) respond(ctx context.Context, url string, r offboard.Reply) {
	if url == "" {
		return
	}
	text, blocks := RenderReply(r)
	msg := &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral}
	if !r.Ephemeral {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	if len(blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, url, p.http, msg); err != nil {
		p.log.Warn("slack: response_url failed", "err", err)
	}
}

func ephemeralReply(text string) offboard.Reply { return offboard.Reply{Text: text, Ephemeral: true} }

// packState keeps the channel a form came from beside the form's own
// state (ids only) in the modal's private metadata.
func packState(channel, state string) string { return channel + "\n" + state }

func unpackState(s string) (channel, state string) {
	channel, state, _ = strings.Cut(s, "\n")
	return channel, state
}

// stripMentions removes "<@U123>" so "@offboard status of jane" reads as
// "status of jane".
func stripMentions(s string) string {
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			return strings.TrimSpace(s)
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return strings.TrimSpace(s)
		}
		s = s[:i] + s[i+j+1:]
	}
}

func slackErrorText(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return "Slack did not answer"
}
