package slack

import (
	"context"

	"github.com/slack-go/slack"
)

// PostText posts plain text to a channel as a new message: the audit
// checkpoints' second copy, outside offboard's own files. It is no outbox
// notice; the caller logs a failure and posts the next checkpoint later.
func (p *Platform) PostText(ctx context.Context, channel, text string) error {
	if err := p.paused(); err != nil {
		return err
	}
	if _, _, err := p.api.PostMessageContext(ctx, channel, slack.MsgOptionText(Escape(text), false)); err != nil {
		return p.chatError("chat.postMessage", err)
	}
	return nil
}
