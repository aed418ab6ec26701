package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/offboard-dev/offboard"
)

// delegationPath is where an admin grants the service account's scopes.
const delegationPath = "Admin console: Security > Access and data control > API controls > Manage Domain Wide Delegation"

// Doctor runs read-only checks of the Google Workspace set-up, acting as
// the admin: a token for every scope the domain-wide delegation must
// grant, then one read per API: the user email (the admin's own when
// ""), the Data Transfer applications, the Vault matters, and the
// user's Workspace license. Nothing is written.
func (c *Client) Doctor(ctx context.Context, email string) []offboard.CheckResult {
	if strings.TrimSpace(email) == "" {
		email = c.admin
	}
	var out []offboard.CheckResult
	granted := map[string]bool{}
	for _, scope := range Scopes() {
		name := "Google: token for " + scopeName(scope)
		if err := c.tokenFor(ctx, scope); err != nil {
			out = append(out, offboard.CheckFailed(name, offboard.ErrorMessage(err), c.tokenFix(err, scope)))
			continue
		}
		granted[scope] = true
		out = append(out, offboard.CheckOf(name, "Google issued a token acting as "+c.admin))
	}
	read := func(name, scope string, f func() (string, error), fix func(error) string) {
		if !granted[scope] {
			out = append(out, offboard.CheckResult{Name: name, Status: offboard.CheckWarn,
				Detail: "not tried: no token for the " + scopeName(scope) + " scope (see above)"})
			return
		}
		detail, err := f()
		if err != nil {
			out = append(out, offboard.CheckFailed(name, offboard.ErrorMessage(err), fix(err)))
			return
		}
		out = append(out, offboard.CheckOf(name, detail))
	}
	role := func(r string) func(error) string {
		return func(error) string {
			return "give " + c.admin + " an admin role with " + r + " (Admin console: Account > Admin roles), and check the scope under " + delegationPath
		}
	}
	read("Google: read a user", ScopeUser, func() (string, error) { return c.doctorUser(ctx, email) }, role("the User Management privileges"))
	read("Google: Data Transfer applications", ScopeDataTransfer, func() (string, error) { return c.doctorTransfer(ctx) }, role("the Data Transfer privilege"))
	read("Google: Vault matters", ScopeVault, func() (string, error) { return c.doctorVault(ctx) },
		func(error) string { return c.admin + " " + fixVault })
	read("Google: license assignments", ScopeLicensing, func() (string, error) { return c.doctorLicense(ctx, email) }, role("the License Management privilege"))
	return out
}

// tokenFor asks Google for a token with scope acting as the admin.
func (c *Client) tokenFor(ctx context.Context, scope string) error {
	hc, err := c.httpClient(c.admin, scope)
	if err != nil {
		return err
	}
	t, ok := hc.Transport.(*oauth2.Transport)
	if !ok {
		return errors.New("google: the client carries no token source")
	}
	if _, err := t.Source.Token(); err != nil {
		return c.fail(call{what: "act as " + c.admin + " with the " + scopeName(scope) + " scope", scope: scope, subject: c.admin}, err)
	}
	return nil
}

// tokenFix says what to do about a refused token: a scope missing from
// the delegation, or an admin Google will not act as.
func (c *Client) tokenFix(err error, scope string) string {
	if strings.Contains(offboard.ErrorMessage(err), "invalid_grant") {
		return "google.admin_email must be an active (not suspended) administrator of the Workspace, and the service account key current"
	}
	who := "the service account's client id"
	if id := c.clientID(); id != "" {
		who = "client id " + id
	}
	return fmt.Sprintf("%s: give %s the scope %s", delegationPath, who, scope)
}

// clientID is the service account's OAuth client id from its key: the
// id the domain-wide delegation lists.
func (c *Client) clientID() string {
	var k struct {
		ClientID string `json:"client_id"`
	}
	if json.Unmarshal(c.keyJSON, &k) != nil {
		return ""
	}
	return k.ClientID
}

func (c *Client) doctorUser(ctx context.Context, email string) (string, error) {
	svc, err := c.Directory(ctx, ScopeUser)
	if err != nil {
		return "", err
	}
	u, err := svc.Users.Get(email).Context(ctx).Do()
	if err != nil {
		return "", c.fail(call{what: "read the Google Workspace user " + email, scope: ScopeUser, subject: c.admin}, err)
	}
	return fmt.Sprintf("users.get answered for %s (%s)", u.PrimaryEmail, accountState(u)), nil
}

func (c *Client) doctorTransfer(ctx context.Context) (string, error) {
	svc, err := c.DataTransfer(ctx)
	if err != nil {
		return "", err
	}
	resp, err := svc.Applications.List().Context(ctx).Do()
	if err != nil {
		return "", c.fail(call{what: "list the Data Transfer applications", scope: ScopeDataTransfer, subject: c.admin}, err)
	}
	var names []string
	for _, a := range resp.Applications {
		names = append(names, a.Name)
	}
	return "applications.list answered: " + strings.Join(names, ", "), nil
}

func (c *Client) doctorVault(ctx context.Context) (string, error) {
	svc, err := c.Vault(ctx)
	if err != nil {
		return "", err
	}
	if _, err := svc.Matters.List().PageSize(1).View("BASIC").Context(ctx).Do(); err != nil {
		return "", c.vaultFail(call{what: "list the Vault matters", scope: ScopeVault, subject: c.admin}, err)
	}
	return "matters.list answered: Vault holds can be placed", nil
}

// doctorLicense reads one license of the user: held (200) and not held
// (404) both show the API answers.
func (c *Client) doctorLicense(ctx context.Context, email string) (string, error) {
	svc, err := c.Licensing(ctx)
	if err != nil {
		return "", err
	}
	l := DefaultLicenses()[0]
	_, err = svc.LicenseAssignments.Get(l.ProductID, l.SKUID, email).Context(ctx).Do()
	ferr := c.fail(call{what: "read the " + l.label() + " license of " + email, scope: ScopeLicensing, subject: c.admin}, err)
	switch offboard.ErrorCode(ferr) {
	case "":
		return "licenseAssignments.get answered: " + email + " holds " + l.label(), nil
	case offboard.ENOTFOUND:
		return "licenseAssignments.get answered: " + email + " does not hold " + l.label(), nil
	}
	return "", ferr
}
