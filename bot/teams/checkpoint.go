package teams

import (
	"context"

	"github.com/offboard-dev/offboard"
)

// PostText posts plain text to a channel as a new thread: the audit
// checkpoints' second copy, outside offboard's own files. It is no outbox
// notice; the caller logs a failure and posts the next checkpoint later.
func (p *Platform) PostText(ctx context.Context, channel, text string) error {
	if err := p.paused(); err != nil {
		return err
	}
	svc := p.serviceURLFor(ctx)
	if svc == "" {
		return offboard.Errorf(offboard.EUNAVAILABLE, "teams: no service URL yet to post to channel %s", channel)
	}
	if _, _, err := p.createThread(ctx, svc, channel, newMessage(replyText(text), nil)); err != nil {
		return p.chatError(err)
	}
	return nil
}
