package teams

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// self is the actor the platform uses for reads and room bookkeeping.
func self() offboard.Actor { return offboard.System("teams") }

// keyServiceURL stores, among a room's message ids, the service URL the
// thread lives on: proactive posts after a restart need it.
const keyServiceURL = "service_url"

// Notify implements offboard.Notifier; the outbox calls it. Each step
// records what it posted before the next, so a retried notice resumes
// instead of posting twice; cards are drawn from the stored case.
func (p *Platform) Notify(ctx context.Context, n offboard.Notice) error {
	unlock := p.lockCase(n.CaseID)
	defer unlock()
	if err := p.paused(); err != nil {
		return err
	}
	v, err := p.engine.GetCase(ctx, self(), n.CaseID)
	if err != nil {
		return err
	}
	if v, err = p.openRoom(ctx, v); err != nil {
		return p.chatError(err)
	}
	room, _ := v.Case.Room(PlatformName)
	switch n.Kind {
	case offboard.NoticeCaseOpened:
		return nil // openRoom drew everything
	case offboard.NoticeTasksUpdated:
		if err := p.updateDepartment(ctx, v, room, n.Department); err != nil {
			return p.chatError(err)
		}
		return p.chatError(p.updateHeader(ctx, v, room))
	case offboard.NoticeApprovalRequested:
		if err := p.postApprovals(ctx, v, room); err != nil {
			return p.chatError(err)
		}
		return p.chatError(p.updateDepartment(ctx, v, room, n.Department))
	}
	// The rest post new lines: a retried notice must not post twice.
	if n.ID != "" && room.Messages["sent:"+n.ID] != "" {
		return nil
	}
	if err := p.notifyOnce(ctx, v, room, n); err != nil {
		return p.chatError(err)
	}
	if n.ID == "" {
		return nil
	}
	return p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{"sent:" + n.ID: "1"}})
}

func (p *Platform) notifyOnce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, n offboard.Notice) error {
	text := redactText(v.Case, n.Text)
	switch n.Kind {
	case offboard.NoticeApprovalApproved, offboard.NoticeApprovalDenied, offboard.NoticeApprovalReminder,
		offboard.NoticeApprovalEscalated, offboard.NoticeApprovalStuck:
		for _, a := range v.Approvals {
			if a.ID == n.ApprovalID {
				if err := p.update(ctx, room, room.Messages["approval:"+a.ID], redact(v.Case, bot.ApprovalCard(v, a))); err != nil {
					return err
				}
			}
		}
	case offboard.NoticeCaseCompleted, offboard.NoticeCaseCancelled:
		if err := p.updateHeader(ctx, v, room); err != nil {
			return err
		}
	}
	if err := p.updateDepartment(ctx, v, room, n.Department); err != nil {
		return err
	}
	switch n.Kind {
	case offboard.NoticeTaskFailed, offboard.NoticeTaskUnverified, offboard.NoticeRestoreNeeded:
		text = "🔴 " + text
	case offboard.NoticeApprovalReminder, offboard.NoticeApprovalEscalated, offboard.NoticeApprovalStuck, offboard.NoticeTaskOverdue:
		text = "⏰ " + text
	}
	svc := room.Messages[keyServiceURL]
	msg := newMessage(text, nil)
	var people []person
	for _, e := range n.To {
		who := p.lookup(ctx, svc, room.ID, e)
		people = append(people, who)
		msg.mention(who)
	}
	if _, err := p.post(ctx, svc, room.ID, msg); err != nil {
		return err
	}
	if n.Kind != offboard.NoticeApprovalReminder && n.Kind != offboard.NoticeApprovalEscalated {
		return nil
	}
	// Reminders and escalations also reach each person in their own chat
	// with the bot, as on Slack.
	for _, who := range people {
		if who.id == "" {
			continue
		}
		dm := newMessage(fmt.Sprintf("%s (%s, in the Offboarding channel)", text, v.Case.ID), nil)
		if err := p.private(ctx, svc, who.id, dm); err != nil {
			return err
		}
	}
	return nil
}

// openRoom makes sure the case has its thread in the Offboarding channel
// with every card posted, and returns the case as stored after that.
func (p *Platform) openRoom(ctx context.Context, v *offboard.CaseView) (*offboard.CaseView, error) {
	room, ok := v.Case.Room(PlatformName)
	now := p.clock.Now()
	if !ok {
		svc := p.serviceURLFor(ctx)
		switch {
		case p.channelID == "":
			return nil, offboard.Errorf(offboard.EUNAVAILABLE, "teams: teams.offboarding_channel_id is not set; no thread for %s", v.Case.ID)
		case svc == "":
			return nil, offboard.Errorf(offboard.EUNAVAILABLE, "teams: no service URL yet (set teams.service_url, or wait for the first message to the bot)")
		}
		id, header, err := p.createThread(ctx, svc, p.channelID, newMessage("", RenderCard(p.header(v))))
		if err != nil {
			return nil, err
		}
		room = offboard.RoomRef{Platform: PlatformName, ID: id, HeaderRef: header, Name: string(v.Case.ID),
			Messages: map[string]string{keyServiceURL: svc}}
		if err := p.record(ctx, v.Case.ID, room); err != nil {
			return nil, err
		}
	}
	if room.Messages == nil {
		room.Messages = map[string]string{}
	}
	svc := room.Messages[keyServiceURL]
	for _, d := range v.DepartmentsListed() {
		key := "dept:" + string(d)
		if room.Messages[key] != "" {
			continue
		}
		card, ok := bot.DepartmentCard(v, d, now, p.loc)
		if !ok {
			continue
		}
		id, err := p.post(ctx, svc, room.ID, newMessage("", RenderCard(redact(v.Case, card))))
		if err != nil {
			return nil, err
		}
		room.Messages[key] = id
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{key: id}}); err != nil {
			return nil, err
		}
	}
	if err := p.postApprovals(ctx, v, room); err != nil {
		return nil, err
	}
	if err := p.announce(ctx, v, room); err != nil {
		return nil, err
	}
	return p.engine.GetCase(ctx, self(), v.Case.ID)
}

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
		if room, ok := v.Case.Room(PlatformName); ok && room.Messages[keyServiceURL] != "" {
			p.learn(room.Messages[keyServiceURL])
			return room.Messages[keyServiceURL]
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

// redact keeps a confidential case's person out of a card posted in the
// channel thread.
func redact(c *offboard.Case, card offboard.Card) offboard.Card {
	if !c.Confidential {
		return card
	}
	r := func(s string) string { return redactText(c, s) }
	out := card
	out.Title, out.Subtitle, out.Footer = r(card.Title), r(card.Subtitle), r(card.Footer)
	out.Fields = redactFields(c, card.Fields)
	out.Sections = make([]offboard.Section, len(card.Sections))
	for i, s := range card.Sections {
		s.Heading, s.Text, s.Fields = r(s.Heading), r(s.Text), redactFields(c, s.Fields)
		s.Actions = redactButtons(c, s.Actions)
		out.Sections[i] = s
	}
	out.Actions = redactButtons(c, card.Actions)
	return out
}

func redactFields(c *offboard.Case, fs []offboard.Field) []offboard.Field {
	out := make([]offboard.Field, len(fs))
	for i, f := range fs {
		out[i] = offboard.Field{Label: f.Label, Value: redactText(c, f.Value)}
	}
	return out
}

func redactButtons(c *offboard.Case, bs []offboard.Button) []offboard.Button {
	out := make([]offboard.Button, len(bs))
	for i, b := range bs {
		b.Confirm = redactText(c, b.Confirm)
		out[i] = b
	}
	return out
}

func redactText(c *offboard.Case, s string) string {
	if !c.Confidential || s == "" {
		return s
	}
	for _, who := range []string{c.Employee.Name, c.Employee.Email} {
		if strings.TrimSpace(who) != "" {
			s = strings.ReplaceAll(s, who, "the employee")
		}
	}
	return s
}

// postApprovals posts each pending approval in the thread, mentioning the
// approver.
func (p *Platform) postApprovals(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	svc := room.Messages[keyServiceURL]
	for _, a := range v.Approvals {
		key := "approval:" + a.ID
		if a.Status != offboard.ApprovalPending || room.Messages[key] != "" {
			continue
		}
		msg := newMessage("", RenderCard(redact(v.Case, bot.ApprovalCard(v, a))))
		if a.Approver == "" {
			msg.Text = "A decision is needed; nobody is named to make it."
		} else {
			msg.mention(p.lookup(ctx, svc, room.ID, a.Approver))
			msg.Text += ", your decision is needed."
		}
		id, err := p.post(ctx, svc, room.ID, msg)
		if err != nil {
			return err
		}
		room.Messages[key] = id
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{key: id}}); err != nil {
			return err
		}
	}
	return nil
}

// announce tells each department's channel once that a case needs it; a
// confidential case says nothing about who leaves.
func (p *Platform) announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	for _, d := range v.DepartmentsListed() {
		ch := p.deptCh[d]
		key := "notice:" + string(d)
		if ch == "" || room.Messages[key] != "" {
			continue
		}
		n := v.TasksIn(d)
		if n == 0 {
			continue
		}
		text := fmt.Sprintf("A confidential offboarding case (%s) needs you; see its thread in the Offboarding channel.", v.Case.ID)
		if !v.Case.Confidential {
			text = fmt.Sprintf("New offboarding %s for %s (last day %s): %d %s tasks in the Offboarding channel.",
				v.Case.ID, v.Case.Employee.DisplayName(), v.Case.LastDay, n, v.Departments.Label(d))
		}
		_, id, err := p.createThread(ctx, room.Messages[keyServiceURL], ch, newMessage(text, nil))
		if _, limited := err.(*offboard.RateLimitError); limited {
			return err
		}
		if err != nil {
			// Best-effort: one bad channel never holds up a case.
			id = p.announceFailed(ctx, v, room, d, ch, err)
		}
		room.Messages[key] = id
		if err := p.record(ctx, v.Case.ID, offboard.RoomRef{Platform: PlatformName, Messages: map[string]string{key: id}}); err != nil {
			return err
		}
	}
	return nil
}

func (p *Platform) updateHeader(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error {
	return p.update(ctx, room, room.HeaderRef, p.header(v))
}

func (p *Platform) updateDepartment(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) error {
	if d == "" {
		return nil
	}
	card, ok := bot.DepartmentCard(v, d, p.clock.Now(), p.loc)
	if !ok {
		return nil
	}
	return p.update(ctx, room, room.Messages["dept:"+string(d)], redact(v.Case, card))
}

// update redraws a posted card in place.
func (p *Platform) update(ctx context.Context, room offboard.RoomRef, id string, card offboard.Card) error {
	if id == "" {
		return nil
	}
	msg := newMessage("", RenderCard(card))
	msg.ID = id
	msg.fit()
	return p.conn.do(ctx, http.MethodPut, endpoint(room.Messages[keyServiceURL], "conversations", room.ID, "activities", id), msg, nil)
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

func (p *Platform) record(ctx context.Context, id offboard.CaseID, room offboard.RoomRef) error {
	_, err := p.engine.Apply(ctx, offboard.RecordRoom{By: self(), CaseID: id, Room: room})
	return err
}

func (p *Platform) lockCase(id offboard.CaseID) func() {
	m, _ := p.caseLocks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
