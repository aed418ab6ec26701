package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/offboard-dev/offboard"
)

// leastPrivilege is the README's setup, as the fix for a refused read.
const leastPrivilege = "give the service app the scopes okta.users.read and okta.users.manage, and its custom admin role " +
	"\"view users and their details\" and \"reset users' authenticators\" on a resource set that holds the people offboard revokes (README → Okta)"

// Doctor runs the read-only Okta checks: the credentials (an OAuth token,
// with DPoP when the app requires it), one user read, and reading that
// user's factors and grants, which reset_factors and revoke_grants need.
// Nothing is written.
func (c *Client) Doctor(ctx context.Context) []offboard.CheckResult {
	var out []offboard.CheckResult
	if c.oauth != nil {
		t, err := c.oauth.get(ctx)
		if err != nil {
			return append(out, offboard.CheckFailed("Okta: OAuth token", c.redact(err.Error()),
				"check okta.client_id, okta.private_key_id and okta.dpop against the service app in Okta"))
		}
		kind := "Bearer"
		if t.dpop {
			kind = "DPoP-bound"
		}
		out = append(out, offboard.CheckOf("Okta: OAuth token", fmt.Sprintf("%s token for service app %s", kind, c.oauth.clientID)))
	} else {
		out = append(out, offboard.CheckResult{Name: "Okta: credentials", Status: offboard.CheckWarn,
			Detail: "an API token (SSWS): it carries its creator's admin rights and stops working when that admin leaves",
			Fix:    "use an API Services app with okta.client_id and okta.private_key (README → Okta)"})
	}

	rctx, rec := withRecorder(ctx)
	users, _, err := c.sdk.User.ListUsers(rctx, query.NewQueryParams(query.WithLimit(1)))
	if err != nil {
		return append(out, c.readFailure("Okta: read users", "GET /api/v1/users?limit=1", err, rec))
	}
	out = append(out, offboard.CheckOf("Okta: read users", "GET /api/v1/users?limit=1 answered"))
	if len(users) == 0 {
		return append(out, offboard.CheckResult{Name: "Okta: read factors and grants", Status: offboard.CheckWarn,
			Detail: "the org has no user to try it on"})
	}
	id := users[0].Id
	fctx, frec := withRecorder(ctx)
	if _, _, err := c.sdk.UserFactor.ListFactors(fctx, id); err != nil {
		return append(out, c.readFailure("Okta: read factors", "GET /api/v1/users/{id}/factors", err, frec))
	}
	gctx, grec := withRecorder(ctx)
	if _, _, err := c.sdk.User.ListUserGrants(gctx, id, nil); err != nil {
		return append(out, c.readFailure("Okta: read grants", "GET /api/v1/users/{id}/grants", err, grec))
	}
	return append(out, offboard.CheckOf("Okta: read factors and grants", "one user's factors and grants answered"))
}

// readFailure names what a refused read means: 401 is the credentials,
// 403 the admin role or scopes.
func (c *Client) readFailure(name, what string, err error, rec *recorder) offboard.CheckResult {
	status, _, _ := rec.last()
	cerr := c.classify(err, rec, what)
	detail := c.redact(cerr.Error())
	switch {
	case status == http.StatusUnauthorized:
		return offboard.CheckFailed(name, fmt.Sprintf("%s: 401: %s", what, detail),
			"check okta.api_token (or okta.client_id and okta.private_key): Okta does not accept them")
	case status == http.StatusForbidden:
		return offboard.CheckFailed(name, fmt.Sprintf("%s: 403: %s", what, detail), leastPrivilege)
	}
	var oe *offboard.Error
	if errors.As(cerr, &oe) && oe.Code == offboard.EFORBIDDEN {
		return offboard.CheckFailed(name, detail, "check okta.client_id, okta.private_key_id and okta.dpop against the service app in Okta")
	}
	return offboard.CheckFailed(name, detail, "")
}
