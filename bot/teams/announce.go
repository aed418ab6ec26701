package teams

import (
	"context"
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

// announceFailed handles a department channel that refused a case
// announcement (the app is not installed in its team, the channel is
// gone): it is logged, HR is told once per channel in the case's thread,
// and the returned mark is recorded so the case does not try it again.
func (p *Platform) announceFailed(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department, channel string, err error) string {
	msg := offboard.ErrorMessage(err)
	p.log.Warn("teams: a department channel refused the case announcement; skipped", "case_id", v.Case.ID,
		"department", string(d), "channel", channel, "err", err)
	if _, told := p.badChannels.LoadOrStore(channel, true); !told {
		text := fmt.Sprintf("⚠️ I cannot post case announcements in the %s channel (%s): %s. Add the offboard app to that channel's team, or fix departments.%s.teams_channel; until then %s hears about new cases only here.",
			v.Departments.Label(d), channel, msg, strings.ToLower(string(d)), v.Departments.Label(d))
		if _, perr := p.post(ctx, room.ServiceURL, room.ID, newMessage(text, nil)); perr != nil {
			p.log.Warn("teams: telling HR about a bad department channel failed", "channel", channel, "err", perr)
		}
	}
	return offboard.AnnounceFailed + "refused"
}
