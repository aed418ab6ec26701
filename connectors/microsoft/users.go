package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// System is the connector name of Entra ID: its action ids start with
// "entra." and Result.UserID is kept under it.
const System = "entra"

// userFields are what the actions read of a user.
const userFields = "id,userPrincipalName,mail,displayName,accountEnabled,signInSessionsValidFromDateTime"

// User is an Entra ID user as the actions read it.
type User struct {
	ID                              string     `json:"id"`
	UserPrincipalName               string     `json:"userPrincipalName"`
	Mail                            string     `json:"mail"`
	DisplayName                     string     `json:"displayName"`
	AccountEnabled                  *bool      `json:"accountEnabled"`
	SignInSessionsValidFromDateTime *time.Time `json:"signInSessionsValidFromDateTime"`
}

// Enabled reports accountEnabled (a user Graph did not say about counts
// as enabled: it can sign in until shown otherwise).
func (u *User) Enabled() bool { return u.AccountEnabled == nil || *u.AccountEnabled }

// GetUser reads a user by object id or user principal name.
func (c *Client) GetUser(ctx context.Context, idOrUPN string) (*User, error) {
	var u User
	err := c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(idOrUPN) + "?$select=" + userFields,
		out: &u, what: "read the user " + idOrUPN, perm: "User.Read.All"})
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(u.ID) == "" {
		// Without an id the actions would act on "/users/" itself.
		return nil, fmt.Errorf("microsoft graph: read the user %s: the answer has no id", idOrUPN)
	}
	return &u, nil
}

// FindUser finds the user for a target: by the id an earlier action
// found, else by the email as user principal name, else by an exact mail
// match. No user is ENOTFOUND; several with the mail ECONFLICT. byTarget
// is true when the id came from the target's email (for Result.UserID).
func (c *Client) FindUser(ctx context.Context, t offboard.Target) (*User, error) {
	if id := t.UserID(System); id != "" {
		u, err := c.GetUser(ctx, id)
		if offboard.ErrorCode(err) != offboard.ENOTFOUND {
			return u, err
		}
		// A stale id (the user was deleted and re-created): look again.
	}
	if t.Email == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "the case has no email to find the Microsoft Entra ID user by")
	}
	u, err := c.GetUser(ctx, t.Email)
	if offboard.ErrorCode(err) != offboard.ENOTFOUND {
		return u, err
	}
	var list struct {
		Value []User `json:"value"`
	}
	q := url.Values{"$filter": {"mail eq " + quote(t.Email)}, "$select": {userFields}}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/users?" + q.Encode(), out: &list,
		what: "find the user with mail " + t.Email, perm: "User.Read.All"}); err != nil {
		return nil, err
	}
	switch len(list.Value) {
	case 0:
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no Microsoft Entra ID user has the user principal name or mail %s", t.Email)
	case 1:
		return &list.Value[0], nil
	}
	return nil, offboard.Errorf(offboard.ECONFLICT, "%d Microsoft Entra ID users have the mail %s; act on the right one by hand", len(list.Value), t.Email)
}

// directoryRoles lists the directory roles the user holds (Global
// Administrator, …): the privileged users Graph refuses to disable for an
// app without a privileged role.
func (c *Client) directoryRoles(ctx context.Context, userID string) ([]string, error) {
	var list struct {
		Value []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(userID) + "/memberOf/microsoft.graph.directoryRole?$select=displayName",
		out: &list, what: "list the user's directory roles", perm: "Directory.Read.All"}); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Value))
	for _, r := range list.Value {
		names = append(names, r.DisplayName)
	}
	return names, nil
}
