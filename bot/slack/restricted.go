package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// restrictedAdvice is what a workspace admin changes so the bot can open
// case channels.
const restrictedAdvice = "Slack refused to create a private channel for an offboarding case (restricted_action): " +
	"this workspace lets only admins or owners create private channels, and the offboard app's bot user is neither. " +
	"A workspace owner can change it: Settings & administration → Workspace settings → Permissions → " +
	"Channel Management → \"People who can create private channels\" → Everyone, except guests " +
	"(newer menus: Manage permissions → Account types → Create private channels; Enterprise Grid: " +
	"Organization settings → Organization policies → Permissions → Channel Management Restrictions). " +
	"Until then each case's cards are posted here, in the HR channel, and nobody else is invited."

// fallbackRoom keeps a case going when the workspace does not let the
// bot create private channels: its cards go to HR's channel (HR works
// every case, confidential ones too), the admin is told what to change
// once, and the departments still hear of the case. Without an HR
// channel there is nowhere safe to post, and the notice is refused.
func (p *Platform) fallbackRoom(ctx context.Context, v *offboard.CaseView) (offboard.RoomRef, error) {
	p.log.Error("slack: "+restrictedAdvice, "case_id", v.Case.ID)
	if p.hrCh == "" {
		return offboard.RoomRef{}, offboard.Errorf(offboard.EINVALID,
			"slack: the workspace does not let the bot create private channels (restricted_action) and slack.hr_channel is not set; allow the bot to create private channels")
	}
	p.mu.Lock()
	told := p.restrictedTold
	p.restrictedTold = true
	p.mu.Unlock()
	if !told {
		if _, err := p.postMessage(ctx, p.hrCh, slack.MsgOptionText("⚠️ "+restrictedAdvice, false)); err != nil {
			return offboard.RoomRef{}, err
		}
	}
	return offboard.RoomRef{Platform: PlatformName, ID: p.hrCh, Name: "HR channel (private channels restricted)",
		Fallback: "restricted_action"}, nil
}

// header is the case header card with what only Slack knows: who could
// not be brought into the channel, and a stand-in room.
func (p *Platform) header(v *offboard.CaseView, room offboard.RoomRef, now time.Time) offboard.Card {
	card := bot.CaseHeader(v, now, p.loc)
	if missing := inviteProblems(room); len(missing) > 0 {
		card.Fields = append(card.Fields, offboard.Field{Label: "Not in this channel", Value: strings.Join(missing, "; ")})
	}
	if room.Fallback != "" {
		card.Fields = append(card.Fields, offboard.Field{Label: "Room", Value: fmt.Sprintf("posted in the HR channel: Slack did not let offboard create a private channel (%s)", room.Fallback)})
	}
	return card
}
