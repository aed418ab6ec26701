package offboard

import (
	"context"
	"errors"
)

// Notifiers delivers each notice to every chat platform that is wired
// (Slack, Teams, the console). A notice that fails on one platform is
// retried as a whole, so each platform must take a repeated notice
// calmly: they redraw from stored state or drop what they already sent.
type Notifiers []Notifier

// Notify hands n to every platform and joins their errors; error codes
// and rate-limit errors inside the join stay visible to the runner.
func (ns Notifiers) Notify(ctx context.Context, n Notice) error {
	var errs []error
	for _, x := range ns {
		if err := x.Notify(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
