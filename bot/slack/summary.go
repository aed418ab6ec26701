package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

var _ bot.BatchAnnouncer = conversation{}

// summaryText is a department's summary of a batch: counts only, so a
// confidential case is never named in a channel many can read.
func summaryText(s bot.BatchSummary) string {
	text := fmt.Sprintf("Batch of offboardings since %s UTC: %d offboarding cases need %s.", s.Since.UTC().Format("15:04"), s.Cases, s.Label)
	if s.Cases == 1 {
		text = fmt.Sprintf("Batch of offboardings since %s UTC: 1 offboarding case needs %s.", s.Since.UTC().Format("15:04"), s.Label)
	}
	switch {
	case s.Confidential == 0:
	case s.Cases == 1:
		text += " It is confidential, so nobody is named here."
	case s.Confidential == 1:
		text += " 1 of them is confidential, so nobody is named here."
	default:
		text += fmt.Sprintf(" %d of them are confidential, so nobody is named here.", s.Confidential)
	}
	return text + " Each case's tasks are in its own private channel, opened at Slack's pace."
}

// PostSummary posts the batch's summary in d's channel. A channel that
// refuses is reported as an announcement is, and skipped.
func (c conversation) PostSummary(ctx context.Context, d offboard.Department, s bot.BatchSummary) (string, error) {
	p := c.p
	ch := p.deptCh[d]
	if ch == "" {
		return "", nil
	}
	id, err := p.postMessage(ctx, ch, slack.MsgOptionText(summaryText(s), false))
	if err == nil {
		return id, nil
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return "", rl
	}
	code := slackErrorText(err)
	p.log.Warn("slack: a department channel refused the batch summary; skipped", "department", string(d), "channel", ch, "err", code)
	p.reportBadChannel(ctx, d, s.Label, ch, code, offboard.RoomRef{ID: p.hrCh})
	return "", nil
}

// UpdateSummary redraws the summary in place.
func (c conversation) UpdateSummary(ctx context.Context, d offboard.Department, ts string, s bot.BatchSummary) error {
	p := c.p
	ch := p.deptCh[d]
	if ch == "" || ts == "" {
		return nil
	}
	err := p.paced(ctx, methodScope("chat.update"), "chat.update", func() error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText(summaryText(s), false))
		return err
	})
	if err != nil {
		return p.chatError("chat.update", err)
	}
	return nil
}
