package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// announce tells department d's channel once that a case needs it; a
// confidential case says nothing about who leaves. Announcements are
// best-effort: a channel Slack refuses (the bot is not in it, it does not
// exist) is skipped and HR is told once per channel, so one bad channel
// never holds up a case. Only a rate limit is returned, for the outbox to
// wait out. It returns "" when d has no channel.
func (p *Platform) announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) (string, error) {
	ch := p.deptCh[d]
	if ch == "" {
		return "", nil
	}
	where := fmt.Sprintf("<#%s>", room.ID)
	if room.ID == p.hrCh {
		where = "HR's channel" // the fallback room: not every department can open it
	}
	text := fmt.Sprintf("A confidential offboarding case needs you: %s", where)
	if !v.Case.Confidential {
		text = fmt.Sprintf("New offboarding %s for %s (last day %s): %d %s tasks in %s",
			v.Case.ID, Escape(v.Case.Employee.DisplayName()), offboard.FormatDay(v.Case.LastDay), v.TasksIn(d), v.Departments.Label(d), where)
	}
	posted, err := p.postMessage(ctx, ch, slack.MsgOptionText(text, false))
	if err == nil {
		return posted, nil
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return "", rl
	}
	code := slackErrorText(err)
	p.log.Warn("slack: a department channel refused the case announcement; skipped", "case_id", v.Case.ID,
		"department", string(d), "channel", ch, "err", code)
	p.reportBadChannel(ctx, d, v.Departments.Label(d), ch, code, room)
	return offboard.AnnounceFailed + code, nil
}

// reportBadChannel tells HR once per channel (per run) that a department
// channel does not take the bot's posts, and what to do about it: in the
// HR channel when there is one, else in the case room.
func (p *Platform) reportBadChannel(ctx context.Context, d offboard.Department, label, ch, code string, room offboard.RoomRef) {
	p.mu.Lock()
	told := p.badChannels[ch]
	p.badChannels[ch] = true
	p.mu.Unlock()
	if told {
		return
	}
	fix := "invite the offboard app there (`/invite @offboard` in the channel)"
	if code == "channel_not_found" || code == "is_archived" {
		fix = "check the channel id in the configuration"
	}
	text := fmt.Sprintf("⚠️ I cannot post case announcements in %s (the %s channel): Slack says %s. Until you %s, %s hears about new cases only in their case rooms. (departments.%s.slack_channel)",
		channelRef(ch), label, code, fix, label, strings.ToLower(string(d)))
	target := p.hrCh
	if target == "" || target == ch {
		target = room.ID
	}
	if _, err := p.postMessage(ctx, target, slack.MsgOptionText(text, false)); err != nil {
		p.log.Warn("slack: telling HR about a bad department channel failed", "channel", ch, "err", slackErrorText(err))
	}
}

// channelRef links a channel id, and shows a name as it is.
func channelRef(ch string) string {
	if strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G") {
		return fmt.Sprintf("<#%s> (%s)", ch, ch)
	}
	return Escape(ch)
}
