package bot

import (
	"context"
	"time"

	"github.com/offboard-dev/offboard"
)

// Conversation is what a chat platform does for the room driver. The
// driver decides what is posted when; the platform renders and sends.
// Every method that reaches the platform returns its rate limit as an
// *offboard.RateLimitError, so the outbox pauses that platform.
type Conversation interface {
	// Platform is the name rooms are recorded under ("slack", "teams").
	Platform() string
	// Paused returns the platform's rate-limit error while it waits one
	// out, nil otherwise.
	Paused() error
	// CreateRoom creates the case's room. header is the case header: a
	// platform whose room begins with its first message (a Teams thread)
	// posts it and returns its id as HeaderRef.
	CreateRoom(ctx context.Context, v *offboard.CaseView, header offboard.Card) (offboard.RoomRef, error)
	// Invite brings the people who work the case into the room. changed
	// holds the room fields to record (Invites, InviteRounds); err is
	// pending (a rate limit, EUNAVAILABLE) while someone can still be
	// invited later. A platform whose rooms everyone in the team can read
	// returns neither.
	Invite(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) (changed offboard.RoomRef, err error)
	// Post posts m in the room and returns the message's id.
	Post(ctx context.Context, room offboard.RoomRef, m Post) (string, error)
	// Update redraws a posted card in place.
	Update(ctx context.Context, room offboard.RoomRef, id string, c *offboard.Case, card offboard.Card) error
	// Direct messages a person, by email, in their own chat with the bot;
	// a person the platform does not know is skipped.
	Direct(ctx context.Context, room offboard.RoomRef, c *offboard.Case, email, text string) error
	// Announce tells department d's channel once that the case needs it
	// and returns the announcement's id; "" when d has no channel. A
	// channel that refuses for good is the platform's to report; it
	// returns offboard.AnnounceFailed and why, and only errors the outbox
	// should wait out (a rate limit).
	Announce(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef, d offboard.Department) (string, error)
	// Header is the case header card as the platform shows it.
	Header(v *offboard.CaseView, room offboard.RoomRef, now time.Time) offboard.Card
	// Closed runs after a closed case's last line (Slack archives).
	Closed(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) error
}

// Post is one message the driver posts in a room.
type Post struct {
	// Case is whose room it is: a platform may keep a confidential
	// case's person out of what it posts where many can read.
	Case *offboard.Case
	// Text is plain text; the platform escapes it. Mentions are emails,
	// put before Text (see MentionLine).
	Text     string
	Mentions []string
	Card     *offboard.Card
	// Thread puts the message under the case header; otherwise it goes
	// in the room itself (on Teams the room is the thread).
	Thread bool
}

// MentionLine joins rendered mentions and a line of text: "<@U1> text",
// or "<@U1>, text" when the text goes on from the names.
func MentionLine(mentions []string, text string) string {
	out := ""
	for _, m := range mentions {
		if out != "" {
			out += " "
		}
		out += m
	}
	switch {
	case out == "":
		return text
	case text == "":
		return out
	case text[0] == ',':
		return out + text
	}
	return out + " " + text
}
