package slack

import (
	"context"

	"github.com/slack-go/slack"
)

// PostText posts plain text to a channel as a new message: the audit
// checkpoints' second copy, outside offboard's own files. It is no outbox
// notice; the caller logs a failure and posts the next checkpoint later.
func (p *Platform) PostText(ctx context.Context, channel, text string) error {
	_, err := p.postMessage(ctx, channel, slack.MsgOptionText(Escape(text), false))
	return err
}
