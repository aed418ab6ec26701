package bamboohr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// Doctor runs the read-only BambooHR checks with the API key: the
// employee directory report offboard reads managers from (a custom
// report is a POST, but only reads), and the changed-employees list
// reconciliation reads terminations from.
func (b *Client) Doctor(ctx context.Context) []offboard.CheckResult {
	const fixKey = "check hris.bamboohr.api_key and hris.bamboohr.subdomain; the key's user needs access to employee status, termination and supervisor fields"
	var out []offboard.CheckResult
	people, err := b.People(ctx)
	if err != nil {
		return append(out, offboard.CheckFailed("BambooHR: directory report", b.redact(err.Error()), fixFor(err, fixKey)))
	}
	out = append(out, offboard.CheckOf("BambooHR: directory report", fmt.Sprintf("%d current employees with a work email", len(people))))
	if _, err := b.changed(ctx, b.clock.Now().Add(-24*time.Hour)); err != nil {
		return append(out, offboard.CheckFailed("BambooHR: changed employees", b.redact(err.Error()), fixFor(err, fixKey)))
	}
	return append(out, offboard.CheckOf("BambooHR: changed employees", "the last day's changes answered"))
}

func fixFor(err error, fixKey string) string {
	var oe *offboard.Error
	if errors.As(err, &oe) && (oe.Code == offboard.EFORBIDDEN || oe.Code == offboard.ENOTFOUND) {
		return fixKey
	}
	return ""
}
