package teams

import (
	"context"
	"errors"

	"github.com/offboard-dev/offboard"
)

// PostDigest posts the daily digest as new threads: all of it in the
// Offboarding channel, and each department's part in its channel. Empty
// parts and unset channels are skipped. The schedule calls it (it is no
// outbox notice); a failed post waits for the next digest. The digest
// text already keeps confidential cases' names out.
func (p *Platform) PostDigest(ctx context.Context, d offboard.Digest) error {
	if err := p.paused(); err != nil {
		return err
	}
	svc := p.serviceURLFor(ctx)
	if svc == "" {
		return offboard.Errorf(offboard.EUNAVAILABLE, "teams: no service URL yet for the digest")
	}
	var errs []error
	post := func(channel string, part offboard.Digest) {
		if channel == "" || part.Empty() {
			return
		}
		if _, _, err := p.createThread(ctx, svc, channel, newMessage(replyText(part.Text(p.loc)), nil)); err != nil {
			errs = append(errs, p.chatError(err))
		}
	}
	post(p.channelID, d)
	for _, dept := range d.Listed() {
		post(p.deptCh[dept], d.ForDepartment(dept))
	}
	return errors.Join(errs...)
}
