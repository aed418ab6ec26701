package okta

import (
	"context"

	"github.com/offboard-dev/offboard"
)

// The client says who can still sign in, for reconciliation.
var _ offboard.IdentityStatusSource = (*Client)(nil)

// IdentityLabel names Okta for people.
func (c *Client) IdentityLabel() string { return "Okta" }

// AccountStatus is UserStatus for reconciliation: a user who is neither
// SUSPENDED nor DEPROVISIONED can still sign in (or be reactivated by
// anyone with a pending activation link), so counts as active.
func (c *Client) AccountStatus(ctx context.Context, email string) (offboard.AccountStatus, error) {
	status, found, err := c.UserStatus(ctx, email)
	if err != nil || !found {
		return offboard.AccountStatus{}, err
	}
	return offboard.AccountStatus{Found: true, Status: status,
		Active: status != "SUSPENDED" && status != "DEPROVISIONED"}, nil
}
