package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// self is the actor the platform uses for reads and room bookkeeping.
func self() offboard.Actor { return offboard.System("teams") }

// Notify implements offboard.Notifier through the room driver (bot.Rooms):
// a case gets a thread in the Offboarding channel, and its cards are
// posted and kept up to date there.
func (p *Platform) Notify(ctx context.Context, n offboard.Notice) error {
	return p.rooms.Notify(ctx, n)
}

// conversation is Teams as the room driver sees it. Every error goes
// through chatError, so a rate limit pauses the platform.
type conversation struct{ p *Platform }

var _ bot.Conversation = conversation{}

func (conversation) Platform() string { return PlatformName }

func (c conversation) Paused() error { return c.p.paused() }

func (c conversation) Header(v *offboard.CaseView, _ offboard.RoomRef, _ time.Time) offboard.Card {
	return c.p.header(v)
}

// CreateRoom starts the case's thread in the Offboarding channel with the
// header as its first message.
func (c conversation) CreateRoom(ctx context.Context, v *offboard.CaseView, header offboard.Card) (offboard.RoomRef, error) {
	p := c.p
	svc := p.serviceURLFor(ctx)
	switch {
	case p.channelID == "":
		return offboard.RoomRef{}, offboard.Errorf(offboard.EUNAVAILABLE, "teams: teams.offboarding_channel_id is not set; no thread for %s", v.Case.ID)
	case svc == "":
		return offboard.RoomRef{}, offboard.Errorf(offboard.EUNAVAILABLE, "teams: no service URL yet (set teams.service_url, or wait for the first message to the bot)")
	}
	id, headerID, err := p.createThread(ctx, svc, p.channelID, newMessage("", RenderCard(header)))
	if err != nil {
		return offboard.RoomRef{}, p.chatError(err)
	}
	return offboard.RoomRef{Platform: PlatformName, ID: id, HeaderRef: headerID, Name: string(v.Case.ID), ServiceURL: svc}, nil
}

// Invite does nothing: everyone in the team reads the Offboarding channel.
func (conversation) Invite(context.Context, *offboard.CaseView, offboard.RoomRef) (offboard.RoomRef, error) {
	return offboard.RoomRef{}, nil
}

// Post posts in the case's thread, mentioning people with their Teams
// entity; a confidential case's person is named "the employee".
func (c conversation) Post(ctx context.Context, room offboard.RoomRef, m bot.Post) (string, error) {
	p := c.p
	var card map[string]any
	if m.Card != nil {
		card = RenderCard(redact(m.Case, *m.Card))
	}
	msg := newMessage(redactText(m.Case, m.Text), card)
	people := make([]person, 0, len(m.Mentions))
	for _, e := range m.Mentions {
		people = append(people, p.lookup(ctx, room.ServiceURL, room.ID, e))
	}
	// mention puts each name before the text, so the last goes first.
	for i := len(people) - 1; i >= 0; i-- {
		msg.mention(people[i])
	}
	if len(people) > 0 && strings.HasPrefix(m.Text, ",") {
		msg.Text = strings.Replace(msg.Text, " ,", ",", 1)
	}
	id, err := p.post(ctx, room.ServiceURL, room.ID, msg)
	return id, p.chatError(err)
}

// Update redraws a posted card in place.
func (c conversation) Update(ctx context.Context, room offboard.RoomRef, id string, cs *offboard.Case, card offboard.Card) error {
	if id == "" {
		return nil
	}
	msg := newMessage("", RenderCard(redact(cs, card)))
	msg.ID = id
	msg.fit()
	return c.p.chatError(c.p.conn.do(ctx, http.MethodPut, endpoint(room.ServiceURL, "conversations", room.ID, "activities", id), msg, nil))
}

// Direct messages a person in their own chat with the bot.
func (c conversation) Direct(ctx context.Context, room offboard.RoomRef, cs *offboard.Case, email, text string) error {
	p := c.p
	who := p.lookup(ctx, room.ServiceURL, room.ID, email)
	if who.id == "" {
		return nil
	}
	dm := newMessage(fmt.Sprintf("%s (%s, in the Offboarding channel)", redactText(cs, text), cs.ID), nil)
	return p.chatError(p.private(ctx, room.ServiceURL, who.id, dm))
}

// Closed does nothing: a thread is not archived.
func (conversation) Closed(context.Context, *offboard.CaseView, offboard.RoomRef) error { return nil }

// serviceURLFor is the service URL to open a new thread with: the one
// configured or learned, else the one stored with the newest open case's
// thread, so a restart does not wait for someone to message the bot.
func (p *Platform) serviceURLFor(ctx context.Context) string {
	if svc := p.currentServiceURL(); svc != "" {
		return svc
	}
	views, err := p.engine.ListCases(ctx, self(), offboard.CaseOpen, 50)
	if err != nil {
		return ""
	}
	for _, v := range views {
		if room, ok := v.Case.Room(PlatformName); ok && room.ServiceURL != "" {
			p.learn(room.ServiceURL)
			return room.ServiceURL
		}
	}
	return ""
}

// header is the case header; a confidential case shows a neutral one,
// since everyone in the team can read the Offboarding channel.
func (p *Platform) header(v *offboard.CaseView) offboard.Card {
	h := bot.CaseHeader(v, p.clock.Now(), p.loc)
	if !v.Case.Confidential {
		return h
	}
	return offboard.Card{Title: fmt.Sprintf("%s · Confidential offboarding", v.Case.ID), Tone: h.Tone,
		Subtitle: "Details stay with the people working the case.",
		Fields:   []offboard.Field{{Label: "Status", Value: string(v.Case.Status)}}}
}

// Announce starts a thread in department d's channel once saying that a
// case needs it; a confidential case says nothing about who leaves. A
// channel that refuses is reported (announceFailed); only a rate limit
// comes back.
func (c conversation) Announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) (string, error) {
	p := c.p
	ch := p.deptCh[d]
	if ch == "" {
		return "", nil
	}
	text := fmt.Sprintf("A confidential offboarding case (%s) needs you; see its thread in the Offboarding channel.", v.Case.ID)
	if !v.Case.Confidential {
		text = fmt.Sprintf("New offboarding %s for %s (last day %s): %d %s tasks in the Offboarding channel.",
			v.Case.ID, v.Case.Employee.DisplayName(), offboard.FormatDay(v.Case.LastDay), v.TasksIn(d), v.Departments.Label(d))
	}
	_, id, err := p.createThread(ctx, room.ServiceURL, ch, newMessage(text, nil))
	if _, limited := errors.AsType[*offboard.RateLimitError](err); limited {
		return "", p.chatError(err)
	}
	if err != nil {
		// Best-effort: one bad channel never holds up a case.
		return p.announceFailed(ctx, v, room, d, ch, err), nil
	}
	return id, nil
}

// createThread starts a new thread in a channel: POST /v3/conversations
// with the channel in channelData; it returns the thread's conversation
// id and the id of its first message.
func (p *Platform) createThread(ctx context.Context, svc, channel string, first *message) (conv, activityID string, err error) {
	first.fit()
	params := map[string]any{"isGroup": true, "tenantId": p.tenantID, "activity": first,
		"channelData": map[string]any{"channel": map[string]any{"id": channel}, "tenant": map[string]any{"id": p.tenantID}}}
	var out struct {
		ID         string `json:"id"`
		ActivityID string `json:"activityId"`
	}
	if err := p.conn.do(ctx, http.MethodPost, endpoint(svc, "conversations"), params, &out); err != nil {
		return "", "", err
	}
	if out.ID == "" {
		return "", "", offboard.Errorf(offboard.EUNAVAILABLE, "teams: creating a thread returned no conversation id")
	}
	return out.ID, out.ActivityID, nil
}

// post sends a message to a conversation and returns its activity id.
func (p *Platform) post(ctx context.Context, svc, conv string, msg *message) (string, error) {
	if svc == "" {
		return "", offboard.Errorf(offboard.EUNAVAILABLE, "teams: no service URL for conversation")
	}
	msg.fit()
	var out struct {
		ID string `json:"id"`
	}
	if err := p.conn.do(ctx, http.MethodPost, endpoint(svc, "conversations", conv, "activities"), msg, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}
