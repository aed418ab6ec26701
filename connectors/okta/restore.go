package okta

import (
	"context"
	"fmt"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// notRestored is what okta.restore cannot bring back, for the evidence.
const notRestored = "sessions and OAuth tokens, MFA factors, OAuth consent grants, and app assignments or group " +
	"memberships removed earlier are not brought back: the person signs in again, must re-enrol MFA, " +
	"re-consents to apps, and IT reassigns apps and groups"

// restore undoes a suspension or a deactivation when a case is cancelled
// after its revocations ran. SUSPENDED → unsuspend. DEPROVISIONED →
// activate with sendEmail=false: Okta's default would email an activation
// link to the work address, which the person may not reach while Okta is
// off, and which would announce the reversal before IT has talked to
// them; IT hands over the activation (Okta's admin console: Resend
// activation, or Reset password) instead. The activation token Okta
// returns is a credential, so it is dropped, never stored.
func (c *Client) restore(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	t, err := c.find(ctx, req)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	ev["not_restored"] = notRestored
	switch {
	case t.transitioning == "" && (t.status == statusActive || t.status == statusProvisioned):
		return c.alreadyInStatus(req, t, ev, fmt.Sprintf("Okta user %s was already %s", t.login, t.status)), nil
	case t.status == statusSuspended:
		back := func(s *target) bool { return s.status == statusActive }
		return c.lifecycle(ctx, req, t, ev, "unsuspend", "unsuspended", back, func(ctx context.Context) (*okta.Response, error) {
			return c.sdk.User.UnsuspendUser(ctx, t.id)
		})
	case t.status == statusDeprovisioned:
		ev["activation"] = "activated with no email to the person (sendEmail=false); a PROVISIONED user completes activation with a link IT gives them"
		back := func(s *target) bool {
			return s.status == statusActive || s.status == statusProvisioned || s.transitioning == statusActive
		}
		res, err := c.lifecycle(ctx, req, t, ev, "activate", "reactivated", back, func(ctx context.Context) (*okta.Response, error) {
			_, resp, err := c.sdk.User.ActivateUser(ctx, t.id, query.NewQueryParams(query.WithSendEmail(false)))
			return resp, err
		})
		if err == nil && res.Evidence["status_after"] != statusActive {
			res.Summary += "; the person must complete activation (Okta admin console: Resend activation)"
		}
		return res, err
	}
	return connectors.Result{}, offboard.Errorf(offboard.ECONFLICT,
		"Okta can restore only SUSPENDED or DEPROVISIONED users and %s is %s; restore the account by hand", t.login, t.status)
}
