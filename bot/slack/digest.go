package slack

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// PostDigest posts the daily digest: all of it to the HR channel, and to
// each department's channel its own part. Empty parts and channels that
// are not configured are skipped. It is not a notice from the outbox:
// the schedule calls it, and a failed post waits for the next digest.
// Every channel is tried; the errors are returned together.
func (p *Platform) PostDigest(ctx context.Context, d offboard.Digest) error {
	var errs []error
	post := func(channel string, part offboard.Digest) {
		if channel == "" || part.Empty() {
			return
		}
		if _, err := p.postMessage(ctx, channel, slack.MsgOptionText(Escape(part.Text(p.loc)), false)); err != nil {
			errs = append(errs, err)
		}
	}
	post(p.hrCh, d)
	for _, dept := range d.Listed() {
		post(p.deptCh[dept], d.ForDepartment(dept))
	}
	return errors.Join(errs...)
}
