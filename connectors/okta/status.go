package okta

import (
	"context"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// UserStatus reports the Okta status ("ACTIVE", "SUSPENDED",
// "DEPROVISIONED", …) of the user found for email the way the actions
// find their user: the email as a login, else an exact profile.email
// search. No such user is found=false with a nil error; several users
// with the email is an ECONFLICT error. It only reads.
func (c *Client) UserStatus(ctx context.Context, email string) (status string, found bool, err error) {
	t, err := c.find(ctx, connectors.Request{Target: offboard.Target{Email: email}})
	if isNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return t.status, true, nil
}
