package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/core/activity"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// onMessage answers a message: a card button (Action.Submit with a click
// value), a form (Action.Submit with a form id), or typed text.
func (p *Platform) onMessage(ctx context.Context, act schema.Activity) {
	who := p.actor(ctx, act)
	if v, ok := act.Value[dataClick].(string); ok {
		p.click(ctx, act, who, v)
		return
	}
	if id, ok := act.Value[dataForm].(string); ok {
		p.submit(ctx, act, who, id)
		return
	}
	p.text(ctx, act, who)
}

var atRE = regexp.MustCompile(`(?s)<at>.*?</at>`)

// commandWords start a command without the "offboard" prefix, as the
// manifest's command list offers them.
var commandWords = map[string]bool{"status": true, "list": true, "help": true, "cancel": true}

// text handles "offboard jane@example.com involuntary", "status jane",
// "list", "help"; anything else is a question.
func (p *Platform) text(ctx context.Context, act schema.Activity, who offboard.Actor) {
	text := strings.TrimSpace(atRE.ReplaceAllString(act.Text, " "))
	text = strings.Join(strings.Fields(text), " ")
	first, rest, _ := strings.Cut(text, " ")
	var reply offboard.Reply
	switch lower := strings.ToLower(first); {
	case lower == "offboard" || lower == "/offboard":
		reply = p.router.Command(ctx, who, rest)
	case commandWords[lower]:
		reply = p.router.Command(ctx, who, text)
	case text == "":
		reply = bot.Help()
	default:
		reply = p.router.Ask(ctx, who, text)
	}
	p.answer(ctx, act, p.guard(ctx, act, reply))
}

// click runs a card button, answering as bot.AnswerClick says.
func (p *Platform) click(ctx context.Context, act schema.Activity, who offboard.Actor, value string) {
	reply := p.guard(ctx, act, p.router.Click(ctx, who, value))
	switch bot.AnswerClick(reply) {
	case bot.ClickShowForm:
		p.send(ctx, act, "", RenderForm(reply.Form, nil, nil))
	case bot.ClickPrivate, bot.ClickSay:
		p.answer(ctx, act, reply) // privately when ephemeral (see answer)
	case bot.ClickUpdateInPlace:
		p.replace(ctx, act, replyText(reply.Text), RenderCard(reply.Cards[0]))
	}
}

// submit handles a form card. Field errors redraw the same form with the
// errors beside the fields; success replaces the form with the answer.
func (p *Platform) submit(ctx context.Context, act schema.Activity, who offboard.Actor, formID string) {
	state, _ := act.Value[dataState].(string)
	values := map[string]string{}
	for k, v := range act.Value {
		if s, ok := v.(string); ok && k != dataForm && k != dataState && k != dataClick {
			values[k] = s
		}
	}
	reply, err := p.router.Submit(ctx, who, formID, state, values)
	reply = p.guard(ctx, act, reply)
	var fe offboard.FieldErrors
	if errors.As(err, &fe) {
		form := p.formFor(formID, state)
		if form == nil {
			p.answer(ctx, act, offboard.Reply{Text: "That form is out of date; start again."})
			return
		}
		p.replace(ctx, act, "", RenderForm(form, values, fe))
		return
	}
	if len(reply.Cards) > 0 && !reply.Ephemeral {
		p.replace(ctx, act, replyText(reply.Text), RenderCard(reply.Cards[0]))
		return
	}
	p.answer(ctx, act, reply)
}

// formFor rebuilds a form from its id and state, to show it again.
func (p *Platform) formFor(id, state string) *offboard.Form {
	switch id {
	case bot.FormOpenCase:
		return p.router.OpenCaseForm("")
	case bot.FormSkipTask:
		if ref, err := offboard.ParseActionRef(state); err == nil {
			return bot.SkipForm(ref.CaseID, ref.TaskKey, "")
		}
	case bot.FormDeny:
		return bot.DenyForm(state, "")
	case bot.FormRunOverride:
		if ref, err := offboard.ParseActionRef(state); err == nil {
			return bot.RunOverrideForm(ref, &offboard.Task{}, nil)
		}
	case bot.FormDeviceReturn:
		if ref, err := offboard.ParseActionRef(state); err == nil {
			return bot.DeviceReturnForm(ref, nil)
		}
	}
	return nil
}

// answer sends a reply in the conversation. Ephemeral replies asked in a
// channel or group chat go to the person's own chat with the bot instead: Teams has no
// message only one person in a channel sees.
func (p *Platform) answer(ctx context.Context, act schema.Activity, r offboard.Reply) {
	var card map[string]any
	switch {
	case r.Form != nil:
		card = RenderForm(r.Form, nil, nil)
	case len(r.Cards) > 0:
		card = RenderCard(r.Cards[0])
	}
	text := replyText(r.Text)
	if r.Ephemeral && shared(act) && r.Form == nil {
		err := p.private(ctx, act.ServiceURL, act.From.ID, newMessage(text, card))
		if err == nil {
			return
		}
		p.log.Warn("teams: a private answer failed; answering with a pointer", "err", err)
		who := act.From.Name
		if who == "" {
			who = "you"
		}
		p.send(ctx, act, fmt.Sprintf("%s: I could not message you privately. Open a chat with me and ask there.", who), nil)
		return
	}
	p.send(ctx, act, text, card)
}

// send replies in the conversation of act through the adapter.
func (p *Platform) send(ctx context.Context, act schema.Activity, text string, card map[string]any) {
	text, card = fitted(text, card)
	var opts []activity.MsgOption
	if text != "" {
		opts = append(opts, activity.MsgOptionText(text))
	}
	if card != nil {
		opts = append(opts, activity.MsgOptionAttachments([]schema.Attachment{attachment(card)}))
	}
	if len(opts) == 0 {
		return
	}
	err := p.adapter(ctx).ProcessActivity(ctx, act, activity.HandlerFuncs{
		OnMessageFunc: func(turn *activity.TurnContext) (schema.Activity, error) {
			return turn.SendActivity(opts...)
		},
	})
	if err != nil {
		p.log.Warn("teams: reply failed", "err", p.chatError(err))
	}
}

// replace redraws the card the person clicked (act.ReplyToID) in place.
func (p *Platform) replace(ctx context.Context, act schema.Activity, text string, card map[string]any) {
	if act.ReplyToID == "" {
		p.send(ctx, act, text, card)
		return
	}
	text, card = fitted(text, card)
	upd := activity.ApplyConversationReference(schema.Activity{Type: schema.Message, Text: text,
		Attachments: []schema.Attachment{attachment(card)}}, activity.GetCoversationReference(act), false)
	upd.ID, upd.ReplyToID = act.ReplyToID, ""
	if err := p.adapter(ctx).UpdateActivity(ctx, upd); err != nil {
		p.log.Warn("teams: updating the clicked card failed", "err", p.chatError(err))
		p.send(ctx, act, text, card)
	}
}

// private sends msg to a person's one-to-one chat with the bot (user is
// their Teams id), creating the chat when needed: POST /v3/conversations
// with the bot, the one member and the tenant, as Microsoft documents
// it; Teams refuses it without the bot.
func (p *Platform) private(ctx context.Context, serviceURL, user string, msg *message) error {
	var created struct {
		ID string `json:"id"`
	}
	params := map[string]any{"isGroup": false, "bot": map[string]any{"id": p.botID()},
		"members": []map[string]any{{"id": user}}, "tenantId": p.tenantID,
		"channelData": map[string]any{"tenant": map[string]any{"id": p.tenantID}}}
	if err := p.conn.do(ctx, http.MethodPost, endpoint(serviceURL, "conversations"), params, &created); err != nil {
		return p.chatError(err)
	}
	_, err := p.post(ctx, serviceURL, created.ID, msg)
	return err
}

// botID is the bot's Teams id: "28:" and the app id, as activities name
// it in recipient.
func (p *Platform) botID() string { return "28:" + p.setting.AppID }

// fitted is a reply's text and card cut to fit one Teams message.
func fitted(text string, card map[string]any) (string, map[string]any) {
	m := newMessage(text, card)
	m.fit()
	if card != nil {
		card = m.Attachments[0].Content
	}
	return m.Text, card
}
