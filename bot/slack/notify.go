package slack

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// maxNameTries bounds the suffixes tried when a channel name is taken.
const maxNameTries = 20

// Notify implements offboard.Notifier through the room driver (bot.Rooms):
// a case gets a private channel, its people are invited, and its cards
// are posted and kept up to date there.
func (p *Platform) Notify(ctx context.Context, n offboard.Notice) error {
	return p.rooms.Notify(ctx, n)
}

// conversation is Slack as the room driver sees it.
type conversation struct{ p *Platform }

var _ bot.Conversation = conversation{}

func (conversation) Platform() string { return PlatformName }

// Paused is never Slack as a whole: its limits are per channel and per
// method, and the pacer holds each (pace.go).
func (c conversation) Paused() error { return nil }

func (c conversation) Header(v *offboard.CaseView, room offboard.RoomRef, now time.Time) offboard.Card {
	return c.p.header(v, room, now)
}

// CreateRoom creates the case's private channel, or falls back to HR's
// channel when the workspace does not let the bot create private
// channels. The header is posted by the driver.
func (c conversation) CreateRoom(ctx context.Context, v *offboard.CaseView, _ offboard.Card) (offboard.RoomRef, error) {
	p := c.p
	ch, err := p.createChannel(ctx, v.Case)
	if isSlackError(err, "restricted_action") {
		return p.fallbackRoom(ctx, v)
	}
	if err != nil {
		return offboard.RoomRef{}, err
	}
	if err := p.paced(ctx, methodScope("conversations.setTopic"), "conversations.setTopic", func() error {
		_, err := p.api.SetTopicOfConversationContext(ctx, ch.ID, topic(v.Case))
		return err
	}); err != nil {
		p.log.Warn("slack: setting the topic failed", "case_id", v.Case.ID, "err", err)
	}
	return offboard.RoomRef{Platform: PlatformName, ID: ch.ID, Name: ch.Name}, nil
}

// Invite invites everyone not yet in the channel; HR's channel standing
// in for a case channel invites nobody.
func (c conversation) Invite(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) (offboard.RoomRef, error) {
	if room.Fallback != "" {
		return offboard.RoomRef{}, nil
	}
	return c.p.syncInvites(ctx, v, room)
}

// Post posts a line or a card; Thread puts it under the case header.
func (c conversation) Post(ctx context.Context, room offboard.RoomRef, m bot.Post) (string, error) {
	p := c.p
	text := bot.MentionLine(p.mentions(ctx, m.Mentions), Escape(m.Text))
	var opts []slack.MsgOption
	if m.Card == nil {
		opts = []slack.MsgOption{slack.MsgOptionText(text, false)}
	} else {
		fallback, blocks := RenderReply(offboard.Reply{Cards: []offboard.Card{*m.Card}})
		if text != "" {
			fallback = text
			// The line above the card counts towards Slack's 50 blocks.
			blocks = limitBlocks(append([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}, blocks...))
		}
		opts = []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	}
	if m.Thread && room.HeaderRef != "" {
		opts = append(opts, slack.MsgOptionTS(room.HeaderRef))
	}
	return p.postMessage(ctx, room.ID, opts...)
}

// Update redraws a posted card in place.
func (c conversation) Update(ctx context.Context, room offboard.RoomRef, ts string, _ *offboard.Case, card offboard.Card) error {
	if ts == "" {
		return nil
	}
	fallback, blocks := RenderReply(offboard.Reply{Cards: []offboard.Card{card}})
	err := c.p.paced(ctx, methodScope("chat.update"), "chat.update", func() error {
		_, _, _, err := c.p.api.UpdateMessageContext(ctx, room.ID, ts, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return c.p.chatError("chat.update", err)
	}
	return nil
}

// Direct posts to the person's user id, which opens the bot's direct
// message with them.
func (c conversation) Direct(ctx context.Context, room offboard.RoomRef, cs *offboard.Case, email, text string) error {
	id := c.p.userID(ctx, email)
	if id == "" {
		return nil
	}
	dm := fmt.Sprintf("%s (%s, <#%s>)", Escape(text), cs.ID, room.ID)
	_, err := c.p.postMessage(ctx, id, slack.MsgOptionText(dm, false))
	return err
}

func (c conversation) Announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) (string, error) {
	return c.p.announce(ctx, v, room, d)
}

// Closed archives a closed case's channel when so configured. A cancelled
// case with access still to give back keeps its room: IT's Restore task
// is on the card there. HR's channel standing in is never archived.
func (c conversation) Closed(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	p := c.p
	if !p.archive || bot.AwaitsRestore(v) || room.Fallback != "" {
		return nil
	}
	err := p.paced(ctx, methodScope("conversations.archive"), "conversations.archive", func() error {
		return p.api.ArchiveConversationContext(ctx, room.ID)
	})
	if err != nil && !isSlackError(err, "already_archived") {
		return p.chatError("conversations.archive", err)
	}
	return nil
}

// mentions renders emails as Slack mentions, or as text for people
// without a Slack account.
func (p *Platform) mentions(ctx context.Context, emails []string) []string {
	out := make([]string, 0, len(emails))
	for _, e := range emails {
		if id := p.userID(ctx, e); id != "" {
			out = append(out, "<@"+id+">")
		} else {
			out = append(out, Escape(e))
		}
	}
	return out
}

// createChannel creates the private case channel, adding a suffix when
// the name is taken.
func (p *Platform) createChannel(ctx context.Context, c *offboard.Case) (*slack.Channel, error) {
	base := ChannelName(p.tpl, c)
	name := base
	for try := 1; try <= maxNameTries; try++ {
		var ch *slack.Channel
		// The first try is the case's own: a slot not free now is held
		// for the case and the notice comes back for it, so no chat
		// worker sleeps on Tier 2. A renamed retry waits as any call.
		key := ""
		if try == 1 {
			key = string(c.ID)
		}
		err := p.pacedFor(ctx, methodScope("conversations.create"), key, "conversations.create", func() error {
			var err error
			ch, err = p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: true})
			return err
		})
		if err == nil {
			return ch, nil
		}
		if !isSlackError(err, "name_taken") {
			if isSlackError(err, "restricted_action") {
				return nil, err
			}
			return nil, p.chatError("conversations.create", err)
		}
		name = WithSuffix(base, try+1)
	}
	return nil, offboard.Errorf(offboard.ECONFLICT, "slack: every channel name from %s to %s is taken", base, name)
}

func topic(c *offboard.Case) string {
	if c.Confidential {
		return fmt.Sprintf("%s · confidential offboarding · do not share", c.ID)
	}
	return fmt.Sprintf("%s · %s · %s · last day %s", c.ID, c.Employee.DisplayName(), c.Kind.Label(), offboard.FormatDay(c.LastDay))
}
