package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// self is the actor the platform uses for reads and room bookkeeping.
func self() offboard.Actor { return offboard.System("slack") }

// maxNameTries bounds the suffixes tried when a channel name is taken.
const maxNameTries = 20

// Notify implements offboard.Notifier; the outbox calls it. Every step
// records what it posted before the next, so a retried notice resumes
// instead of posting twice, and cards are always drawn from the stored
// state, so a late or repeated notice shows the truth.
func (p *Platform) Notify(ctx context.Context, n offboard.Notice) error {
	// Notices of one case run one at a time: workers deliver them in
	// parallel, and two of them must not both create the case's channel.
	unlock := p.lockCase(n.CaseID)
	defer unlock()
	if err := p.paused(); err != nil {
		return err
	}
	v, err := p.engine.GetCase(ctx, self(), n.CaseID)
	if err != nil {
		return err
	}
	v, pending, err := p.openRoom(ctx, v)
	if err != nil {
		return err
	}
	// Invites still missing make the outbox deliver the notice again
	// once its own work is done; everything here is safe to repeat.
	err = p.deliver(ctx, v, n)
	if err != nil {
		return err
	}
	return pending
}

// deliver does what a notice asks once the room is there.
func (p *Platform) deliver(ctx context.Context, v *offboard.CaseView, n offboard.Notice) error {
	room, _ := v.Case.Room(PlatformName)
	switch n.Kind {
	case offboard.NoticeCaseOpened, offboard.NoticeTasksUpdated, offboard.NoticeApprovalRequested:
		// These redraw or post under their own keys: safe to repeat.
	default:
		// These post new messages: a retried notice must not post twice.
		if n.ID != "" && room.Messages["sent:"+n.ID] != "" {
			return nil
		}
		if err := p.notifyOnce(ctx, v, room, n); err != nil {
			return err
		}
		if n.ID == "" {
			return nil
		}
		return p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{"sent:" + n.ID: "1"}})
	}
	switch n.Kind {
	case offboard.NoticeCaseOpened:
		return nil // openRoom drew everything
	case offboard.NoticeTasksUpdated:
		if err := p.updateDepartment(ctx, v, room, n.Department); err != nil {
			return err
		}
		return p.updateHeader(ctx, v, room)
	case offboard.NoticeApprovalRequested:
		if err := p.postApprovals(ctx, v, room); err != nil {
			return err
		}
		return p.updateDepartment(ctx, v, room, n.Department)
	}
	return nil
}

// notifyOnce delivers a notice that posts new messages.
func (p *Platform) notifyOnce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, n offboard.Notice) error {
	switch n.Kind {
	case offboard.NoticeApprovalApproved, offboard.NoticeApprovalDenied:
		for _, a := range v.Approvals {
			if a.ID == n.ApprovalID {
				if err := p.update(ctx, room.ID, room.Messages["approval:"+a.ID], bot.ApprovalCard(v, a)); err != nil {
					return err
				}
			}
		}
		if err := p.updateDepartment(ctx, v, room, n.Department); err != nil {
			return err
		}
		return p.thread(ctx, room, n.Text)
	case offboard.NoticeTaskFailed, offboard.NoticeTaskUnverified, offboard.NoticeRestoreNeeded:
		if err := p.updateDepartment(ctx, v, room, n.Department); err != nil {
			return err
		}
		return p.thread(ctx, room, "🔴 "+n.Text)
	case offboard.NoticeApprovalReminder, offboard.NoticeApprovalEscalated, offboard.NoticeApprovalStuck, offboard.NoticeTaskOverdue:
		return p.nudge(ctx, v, room, n)
	case offboard.NoticeCaseCompleted, offboard.NoticeCaseCancelled:
		if err := p.updateHeader(ctx, v, room); err != nil {
			return err
		}
		if _, _, err := p.api.PostMessageContext(ctx, room.ID, slack.MsgOptionText(Escape(n.Text), false)); err != nil {
			return p.chatError("chat.postMessage", err)
		}
		// A cancelled case with access still to give back keeps its room:
		// IT's Restore task is on the card there.
		if p.archive && !bot.AwaitsRestore(v) && room.Messages[fallbackKey] == "" {
			if err := p.api.ArchiveConversationContext(ctx, room.ID); err != nil && !isSlackError(err, "already_archived") {
				return p.chatError("conversations.archive", err)
			}
		}
		return nil
	}
	return p.thread(ctx, room, n.Text)
}

// openRoom makes sure the case has its private channel with everyone in
// it and every card posted, and returns the case as stored after that.
// pending is the reason some people are not invited yet (the outbox
// should deliver again); err means the room itself is not there.
func (p *Platform) openRoom(ctx context.Context, v *offboard.CaseView) (_ *offboard.CaseView, pending, err error) {
	room, ok := v.Case.Room(PlatformName)
	if !ok {
		if room, err = p.newRoom(ctx, v); err != nil {
			return nil, nil, err
		}
	}
	if room.Messages == nil {
		room.Messages = map[string]string{}
	}
	if room.Messages[fallbackKey] == "" {
		pending = p.syncInvites(ctx, v, &room)
		if pending != nil && !isPending(pending) {
			return nil, nil, pending
		}
	}
	now := p.clock.Now()
	if room.HeaderRef == "" {
		ts, err := p.post(ctx, room.ID, "", p.header(v, room, now))
		if err != nil {
			return nil, nil, err
		}
		room.HeaderRef = ts
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, HeaderRef: ts}); err != nil {
			return nil, nil, err
		}
	} else if room.Messages[inviteTriesKey] != "" && room.Messages[inviteTriesKey] != room.Messages[headerTriesKey] {
		// The invites changed since the header was drawn: redraw it.
		if err := p.update(ctx, room.ID, room.HeaderRef, p.header(v, room, now)); err != nil {
			return nil, nil, err
		}
	}
	if t := room.Messages[inviteTriesKey]; t != "" && t != room.Messages[headerTriesKey] {
		room.Messages[headerTriesKey] = t
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{headerTriesKey: t}}); err != nil {
			return nil, nil, err
		}
	}
	for _, d := range v.DepartmentsListed() {
		key := "dept:" + string(d)
		if room.Messages[key] != "" {
			continue
		}
		card, ok := bot.DepartmentCard(v, d, now, p.loc)
		if !ok {
			continue
		}
		ts, err := p.post(ctx, room.ID, "", card)
		if err != nil {
			return nil, nil, err
		}
		room.Messages[key] = ts
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{key: ts}}); err != nil {
			return nil, nil, err
		}
	}
	v.Case.Rooms = upsertRoom(v.Case.Rooms, room)
	if err := p.postApprovals(ctx, v, room); err != nil {
		return nil, nil, err
	}
	if err := p.announce(ctx, v, room); err != nil {
		return nil, nil, err
	}
	v, err = p.engine.GetCase(ctx, self(), v.Case.ID)
	return v, pending, err
}

// headerTriesKey remembers which round of invites the header card shows.
const headerTriesKey = "header_invites"

// isPending reports whether an invite error means "try again later"
// rather than a broken room.
func isPending(err error) bool {
	if _, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return true
	}
	return offboard.ErrorCode(err) == offboard.EUNAVAILABLE
}

// newRoom creates the case channel, or falls back to HR's channel when
// the workspace does not let the bot create private channels.
func (p *Platform) newRoom(ctx context.Context, v *offboard.CaseView) (offboard.RoomRef, error) {
	ch, err := p.createChannel(ctx, v.Case)
	if isSlackError(err, "restricted_action") {
		return p.fallbackRoom(ctx, v)
	}
	if err != nil {
		return offboard.RoomRef{}, err
	}
	room := offboard.RoomRef{Platform: PlatformName, ID: ch.ID, Name: ch.Name}
	if err := p.record(ctx, v.Case.ID, room); err != nil {
		return offboard.RoomRef{}, err
	}
	if _, err := p.api.SetTopicOfConversationContext(ctx, ch.ID, topic(v.Case)); err != nil {
		p.log.Warn("slack: setting the topic failed", "case_id", v.Case.ID, "err", err)
	}
	return room, nil
}

func upsertRoom(rooms []offboard.RoomRef, r offboard.RoomRef) []offboard.RoomRef {
	for i := range rooms {
		if rooms[i].Platform == r.Platform {
			rooms[i] = r
			return rooms
		}
	}
	return append(rooms, r)
}

// createChannel creates the private case channel, adding a suffix when
// the name is taken.
func (p *Platform) createChannel(ctx context.Context, c *offboard.Case) (*slack.Channel, error) {
	base := ChannelName(p.tpl, c)
	name := base
	for try := 1; try <= maxNameTries; try++ {
		ch, err := p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: true})
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

// postApprovals posts each pending approval as a thread reply under the
// header, mentioning the approver.
func (p *Platform) postApprovals(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	for _, a := range v.Approvals {
		key := "approval:" + a.ID
		if a.Status != offboard.ApprovalPending || room.Messages[key] != "" {
			continue
		}
		mention := Escape(a.Approver)
		if id := p.userID(ctx, a.Approver); id != "" {
			mention = "<@" + id + ">"
		}
		ts, err := p.postIn(ctx, room.ID, room.HeaderRef, mention+", your decision is needed.", bot.ApprovalCard(v, a))
		if err != nil {
			return err
		}
		room.Messages[key] = ts
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{key: ts}}); err != nil {
			return err
		}
	}
	return nil
}

func (p *Platform) updateHeader(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	return p.update(ctx, room.ID, room.HeaderRef, p.header(v, room, p.clock.Now()))
}

func (p *Platform) updateDepartment(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) error {
	if d == "" {
		return nil
	}
	card, ok := bot.DepartmentCard(v, d, p.clock.Now(), p.loc)
	if !ok {
		return nil
	}
	return p.update(ctx, room.ID, room.Messages["dept:"+string(d)], card)
}

func (p *Platform) post(ctx context.Context, channel, text string, card offboard.Card) (string, error) {
	return p.postIn(ctx, channel, "", text, card)
}

// postIn posts a card, in a thread when threadTS is set.
func (p *Platform) postIn(ctx context.Context, channel, threadTS, text string, card offboard.Card) (string, error) {
	fallback, blocks := RenderReply(offboard.Reply{Cards: []offboard.Card{card}})
	if text != "" {
		fallback = text
		// The line above the card counts towards Slack's 50 blocks.
		blocks = limitBlocks(append([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}, blocks...))
	}
	opts := []slack.MsgOption{slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := p.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", p.chatError("chat.postMessage", err)
	}
	return ts, nil
}

// update redraws a posted card in place.
func (p *Platform) update(ctx context.Context, channel, ts string, card offboard.Card) error {
	if ts == "" {
		return nil
	}
	fallback, blocks := RenderReply(offboard.Reply{Cards: []offboard.Card{card}})
	_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return p.chatError("chat.update", err)
	}
	return nil
}

// thread posts a short line under the case header.
func (p *Platform) thread(ctx context.Context, room offboard.RoomRef, text string) error {
	if text == "" {
		return nil
	}
	opts := []slack.MsgOption{slack.MsgOptionText(Escape(text), false)}
	if room.HeaderRef != "" {
		opts = append(opts, slack.MsgOptionTS(room.HeaderRef))
	}
	if _, _, err := p.api.PostMessageContext(ctx, room.ID, opts...); err != nil {
		return p.chatError("chat.postMessage", err)
	}
	return nil
}

func (p *Platform) record(ctx context.Context, id offboard.CaseID, room offboard.RoomRef) error {
	_, err := p.engine.Apply(ctx, offboard.RecordRoom{By: self(), CaseID: id, Room: room})
	return err
}

func topic(c *offboard.Case) string {
	if c.Confidential {
		return fmt.Sprintf("%s · confidential offboarding · do not share", c.ID)
	}
	return fmt.Sprintf("%s · %s · %s · last day %s", c.ID, c.Employee.DisplayName(), c.Kind, c.LastDay)
}

func (p *Platform) lockCase(id offboard.CaseID) func() {
	m, _ := p.caseLocks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// nudge delivers a reminder, escalation, stuck or overdue notice: a thread
// reply under the case header mentioning the people it is for, a direct
// message to each of them for reminders and escalations, and a redrawn
// approval card. A retried notice may post its lines again.
func (p *Platform) nudge(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, n offboard.Notice) error {
	var mentions []string
	ids := map[string]string{}
	for _, e := range n.To {
		if id := p.userID(ctx, e); id != "" {
			ids[e] = id
			mentions = append(mentions, "<@"+id+">")
		} else {
			mentions = append(mentions, Escape(e))
		}
	}
	text := "⏰ " + Escape(n.Text)
	if len(mentions) > 0 {
		text = strings.Join(mentions, " ") + " " + text
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if room.HeaderRef != "" {
		opts = append(opts, slack.MsgOptionTS(room.HeaderRef))
	}
	if _, _, err := p.api.PostMessageContext(ctx, room.ID, opts...); err != nil {
		return p.chatError("chat.postMessage", err)
	}
	if n.Kind == offboard.NoticeApprovalReminder || n.Kind == offboard.NoticeApprovalEscalated {
		dm := fmt.Sprintf("%s (%s, <#%s>)", Escape(n.Text), v.Case.ID, room.ID)
		for _, e := range n.To {
			id := ids[e]
			if id == "" {
				continue
			}
			// Posting to a user id opens the bot's direct message with them.
			if _, _, err := p.api.PostMessageContext(ctx, id, slack.MsgOptionText(dm, false)); err != nil {
				return p.chatError("chat.postMessage", err)
			}
		}
	}
	if n.ApprovalID != "" {
		for _, a := range v.Approvals {
			if a.ID == n.ApprovalID {
				if err := p.update(ctx, room.ID, room.Messages["approval:"+a.ID], bot.ApprovalCard(v, a)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
