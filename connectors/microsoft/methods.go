package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// passwordMethod is the one method Graph lists but cannot delete; a
// disabled account makes it harmless.
const passwordMethod = "#microsoft.graph.passwordAuthenticationMethod"

// methodEndpoints maps an authentication method's @odata.type to the
// segment under /users/{id}/authentication/ that deletes it.
var methodEndpoints = map[string]string{
	"#microsoft.graph.microsoftAuthenticatorAuthenticationMethod":  "microsoftAuthenticatorMethods",
	"#microsoft.graph.phoneAuthenticationMethod":                   "phoneMethods",
	"#microsoft.graph.fido2AuthenticationMethod":                   "fido2Methods",
	"#microsoft.graph.softwareOathAuthenticationMethod":            "softwareOathMethods",
	"#microsoft.graph.emailAuthenticationMethod":                   "emailMethods",
	"#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusinessMethods",
	"#microsoft.graph.temporaryAccessPassAuthenticationMethod":     "temporaryAccessPassMethods",
}

// AuthMethod is one of a user's authentication methods.
type AuthMethod struct {
	Type string `json:"@odata.type"`
	ID   string `json:"id"`
}

// kind is the method's type without the namespace ("phone").
func (m AuthMethod) kind() string {
	return strings.TrimSuffix(strings.TrimPrefix(m.Type, "#microsoft.graph."), "AuthenticationMethod")
}

// Methods lists the user's authentication methods.
func (c *Client) Methods(ctx context.Context, userID string) ([]AuthMethod, error) {
	var list listAnswer[AuthMethod]
	const what = "list the user's authentication methods"
	if err := c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(userID) + "/authentication/methods",
		out: &list, what: what, perm: "UserAuthenticationMethod.Read.All"}); err != nil {
		return nil, err
	}
	return list.items(what)
}

// listAnswer is a Graph collection. Its Value stays nil when the answer
// has no "value" array, which a read-back must not take as "none remain".
type listAnswer[T any] struct {
	Value *[]T `json:"value"`
}

func (l listAnswer[T]) items(what string) ([]T, error) {
	if l.Value == nil {
		return nil, fmt.Errorf("microsoft graph: %s: the answer holds no list (no \"value\"); not taken as an empty one", what)
	}
	return *l.Value, nil
}

// removable is the methods other than the password.
func removable(ms []AuthMethod) []AuthMethod {
	return slices.DeleteFunc(slices.Clone(ms), func(m AuthMethod) bool { return m.Type == passwordMethod })
}

func kinds(ms []AuthMethod) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.kind())
	}
	return strings.Join(out, ", ")
}

// resetMFA deletes every non-password method through its type's endpoint
// and reads back that none remains. A type Graph v1.0 cannot delete is
// left, named, and the task is unverified.
func (e *Entra) resetMFA(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return e.withUser(ctx, req.Target, func(u *User, known bool) (connectors.Result, error) { return e.resetMFAOf(ctx, u, known) })
}

func (e *Entra) resetMFAOf(ctx context.Context, u *User, known bool) (connectors.Result, error) {
	before, err := e.c.Methods(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := userEvidence(u, known)
	todo := removable(before)
	if len(todo) == 0 {
		ev["methods_after"] = "password only"
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: u.ID, Evidence: ev,
			Summary: fmt.Sprintf("%s had no Microsoft Entra ID authentication method besides the password", u.UserPrincipalName)}, nil
	}
	ev["methods_before"] = kinds(todo)
	// The deletes go as JSON batches: one request for up to 20 methods.
	var skipped []AuthMethod
	var calls []call
	for _, m := range todo {
		seg, ok := methodEndpoints[m.Type]
		if !ok {
			skipped = append(skipped, m)
			continue
		}
		calls = append(calls, call{method: http.MethodDelete,
			path: "/users/" + url.PathEscape(u.ID) + "/authentication/" + seg + "/" + url.PathEscape(m.ID),
			what: "delete the " + m.kind() + " method of " + u.UserPrincipalName, perm: "UserAuthenticationMethod.ReadWrite.All"})
	}
	removed := 0
	for _, err := range e.c.batch(ctx, calls) {
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			continue // gone since the list: what we want
		}
		if err != nil {
			return connectors.Result{}, err
		}
		removed++
	}
	after, err := e.c.Methods(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	left := removable(after)
	ev["methods_removed"] = strconv.Itoa(removed)
	ev["methods_after"] = "password only"
	if len(left) > 0 {
		ev["methods_after"] = kinds(left)
	}
	res := connectors.Result{Verified: len(left) == 0, UserID: u.ID, Evidence: ev,
		Summary: fmt.Sprintf("Removed %d Microsoft Entra ID authentication methods of %s", removed, u.UserPrincipalName)}
	if len(left) > 0 {
		res.Summary = fmt.Sprintf("%s still has Microsoft Entra ID authentication methods: %s", u.UserPrincipalName, kinds(left))
		if len(skipped) > 0 {
			res.Summary += " (Graph v1.0 offers no delete for " + kinds(skipped) + ": remove them in the Entra admin center)"
		}
	}
	return res, nil
}

// Grant is a delegated permission grant (oAuth2PermissionGrant).
type Grant struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ResourceID  string `json:"resourceId"`
	Scope       string `json:"scope"`
	ConsentType string `json:"consentType"`
}

// Grants lists the delegated permission grants the user consented to.
func (c *Client) Grants(ctx context.Context, userID string) ([]Grant, error) {
	var list listAnswer[Grant]
	const what = "list the user's delegated permission grants"
	q := url.Values{"$filter": {"principalId eq " + quote(userID)}}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/oauth2PermissionGrants?" + q.Encode(), out: &list,
		what: what, perm: "DelegatedPermissionGrant.ReadWrite.All"}); err != nil {
		return nil, err
	}
	return list.items(what)
}

// revokeGrants deletes the user's delegated permission grants (apps the
// person consented to) and reads back that none remains. Existing access
// tokens live until they expire, as Microsoft documents.
func (e *Entra) revokeGrants(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return e.withUser(ctx, req.Target, func(u *User, known bool) (connectors.Result, error) { return e.revokeGrantsOf(ctx, u, known) })
}

func (e *Entra) revokeGrantsOf(ctx context.Context, u *User, known bool) (connectors.Result, error) {
	grants, err := e.c.Grants(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, err
	}
	if len(grants) == 0 && known {
		// Graph answers a filter on an id it does not know with an empty
		// list, not a 404: "none" proves nothing until the user is read.
		if _, err := e.c.GetUser(ctx, u.ID); err != nil {
			return connectors.Result{}, err
		}
	}
	ev := userEvidence(u, known)
	if len(grants) == 0 {
		ev["grants_after"] = "0"
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: u.ID, Evidence: ev,
			Summary: fmt.Sprintf("%s had no delegated permission grants in Microsoft Entra ID", u.UserPrincipalName)}, nil
	}
	calls := make([]call, len(grants))
	for i, g := range grants {
		calls[i] = call{method: http.MethodDelete, path: "/oauth2PermissionGrants/" + url.PathEscape(g.ID),
			what: "delete a delegated permission grant of " + u.UserPrincipalName, perm: "DelegatedPermissionGrant.ReadWrite.All"}
	}
	if err := firstError(e.c.batch(ctx, calls)); err != nil {
		return connectors.Result{}, err
	}
	after, err := e.c.Grants(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	ev["grants_before"] = strconv.Itoa(len(grants))
	ev["grants_after"] = strconv.Itoa(len(after))
	ev["note"] = "access tokens already issued under a grant stay valid until they expire"
	res := connectors.Result{Verified: len(after) == 0, UserID: u.ID, Evidence: ev,
		Summary: fmt.Sprintf("Revoked %d delegated permission grants of %s", len(grants), u.UserPrincipalName)}
	if len(after) > 0 {
		res.Summary = fmt.Sprintf("%s still has %d delegated permission grants after the deletes", u.UserPrincipalName, len(after))
	}
	return res, nil
}

// userEvidence names the user an action acted on: by the object id, and
// by the user principal name when the user was read, else by the case's
// email (an id from an earlier action is used without a read).
func userEvidence(u *User, known bool) map[string]string {
	if known {
		return map[string]string{"user_id": u.ID, "email": u.UserPrincipalName}
	}
	return map[string]string{"user_id": u.ID, "user_principal_name": u.UserPrincipalName}
}
