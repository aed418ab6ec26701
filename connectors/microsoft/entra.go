package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// sessionsNote is what Microsoft documents about revokeSignInSessions,
// for the evidence: it is not instant.
const sessionsNote = "refresh tokens and browser session cookies are invalidated; Microsoft documents a delay of a few " +
	"minutes before this takes effect everywhere, and access tokens already issued stay valid until they expire"

// sessionsSkew is how far Graph's clock may trail ours when the
// revocation is read back.
const sessionsSkew = 2 * time.Minute

// Entra is the Microsoft Entra ID identity system on a Graph client.
type Entra struct {
	c *Client
	// licenses are monthly seat prices by lower-case SKU part number
	// ("spe_e3"), for the license report.
	licenses map[string]float64
	// deleteAfter is when the user is deleted after the revocation point
	// (0: never).
	deleteAfter time.Duration
}

// DeleteAfter makes the connector delete users d after the revocation
// point, behind the playbook's approval (0: never). Call before Register.
func (e *Entra) DeleteAfter(d time.Duration) *Entra {
	e.deleteAfter = d
	return e
}

// NewEntra returns the Entra ID system on c; licenses are the monthly
// seat prices by SKU part number (config's licenses:).
func NewEntra(c *Client, licenses map[string]float64) *Entra {
	e := &Entra{c: c, licenses: map[string]float64{}}
	for k, v := range licenses {
		e.licenses[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return e
}

func baseEvidence(u *User) map[string]string {
	return map[string]string{"user_id": u.ID, "user_principal_name": u.UserPrincipalName,
		"account_enabled_before": strconv.FormatBool(u.Enabled())}
}

// setEnabled sets accountEnabled, reads it back and reports. A 403 on a
// user holding a directory role is the privileged-user refusal Microsoft
// documents: permanent, never retried, with what to do.
func (e *Entra) setEnabled(ctx context.Context, req connectors.Request, enabled bool) (connectors.Result, error) {
	u, err := e.c.FindUser(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := baseEvidence(u)
	verb := map[bool]string{false: "disabled", true: "enabled"}[enabled]
	if u.Enabled() == enabled {
		ev["account_enabled_after"] = strconv.FormatBool(enabled)
		return connectors.Result{Verified: true, AlreadyDone: true, UserID: u.ID, Evidence: ev,
			Summary: fmt.Sprintf("Microsoft Entra ID account %s was already %s", u.UserPrincipalName, verb)}, nil
	}
	err = e.c.do(ctx, call{method: http.MethodPatch, path: "/users/" + url.PathEscape(u.ID),
		body: map[string]bool{"accountEnabled": enabled}, what: "set accountEnabled=" + strconv.FormatBool(enabled) + " on " + u.UserPrincipalName,
		perm: "User.EnableDisableAccount.All"})
	if offboard.ErrorCode(err) == offboard.EFORBIDDEN {
		roles, rerr := e.c.directoryRoles(ctx, u.ID)
		switch {
		case rerr == nil && len(roles) > 0:
			return connectors.Result{}, offboard.Errorf(offboard.EFORBIDDEN,
				"Microsoft Entra ID: %s is a privileged user (%s); changing the account needs a privileged role offboard does not hold: do it by hand and mark the task done",
				u.UserPrincipalName, strings.Join(roles, ", "))
		case rerr != nil:
			// Unable to tell a privileged user from a missing permission:
			// say both.
			return connectors.Result{}, offboard.Errorf(offboard.EFORBIDDEN,
				"%s; or %s is a privileged user, which Microsoft refuses to apps without a privileged role (grant Directory.Read.All so offboard can tell): if so, do it by hand and mark the task done",
				offboard.ErrorMessage(err), u.UserPrincipalName)
		}
	}
	if err != nil {
		return connectors.Result{}, err
	}
	back, err := e.c.GetUser(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	ev["account_enabled_after"] = strconv.FormatBool(back.Enabled())
	res := connectors.Result{Verified: back.Enabled() == enabled, UserID: u.ID, Evidence: ev,
		Summary: fmt.Sprintf("Microsoft Entra ID account %s %s", u.UserPrincipalName, verb)}
	if !res.Verified {
		res.Summary = fmt.Sprintf("Microsoft Entra ID accepted the change but %s reads back accountEnabled=%t", u.UserPrincipalName, back.Enabled())
	}
	return res, nil
}

func (e *Entra) suspend(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return e.setEnabled(ctx, req, false)
}

// restore re-enables a cancelled case's account. What other actions
// removed is not brought back, and the evidence says so.
func (e *Entra) restore(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	undeleted, err := e.restoreDeleted(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("restore from deleted items: %w", err)
	}
	res, err := e.setEnabled(ctx, req, true)
	if err == nil && undeleted {
		// The re-enabling was not already done: the user came back
		// from deleted items first.
		res.AlreadyDone = false
		res.Evidence["restored_from_deleted_items"] = "true"
		res.Summary = "Microsoft Entra ID user restored from deleted items; " + res.Summary
	}
	if err == nil {
		res.Evidence["not_restored"] = "sign-in sessions, authentication methods, consent grants, and app assignments, groups and " +
			"licenses removed earlier are not brought back: the person signs in again, registers MFA again and re-consents; IT reassigns the rest"
	}
	return res, err
}

// withUser runs act on the person's user. When the job's target carries
// the Entra object id an earlier action found, act gets it as it is, with
// no read of the user first (the actions that follow suspend need only the
// id, so that read would be a request per action for nothing); only when
// Graph no longer knows that id (deleted and re-created) is the user found
// again by email. Without an id the user is found first. known tells act
// whether u was read (false: only ID is set, UserPrincipalName holds the
// case's email).
func (e *Entra) withUser(ctx context.Context, t offboard.Target, act func(u *User, known bool) (connectors.Result, error)) (connectors.Result, error) {
	if id := t.UserID(System); id != "" {
		res, err := act(&User{ID: id, UserPrincipalName: t.Email}, true)
		if offboard.ErrorCode(err) != offboard.ENOTFOUND {
			return res, err
		}
		t = offboard.Target{Email: t.Email, Name: t.Name}
	}
	u, err := e.c.FindUser(ctx, t)
	if err != nil {
		return connectors.Result{}, err
	}
	return act(u, false)
}

// clearSessions revokes the user's refresh tokens and session cookies and
// reads back signInSessionsValidFromDateTime, which Graph sets to the
// time of the revocation.
func (e *Entra) clearSessions(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return e.withUser(ctx, req.Target, func(u *User, _ bool) (connectors.Result, error) { return e.clearSessionsOf(ctx, u) })
}

func (e *Entra) clearSessionsOf(ctx context.Context, u *User) (connectors.Result, error) {
	started := e.c.now()
	var answer struct {
		Value bool `json:"value"`
	}
	if err := e.c.do(ctx, call{method: http.MethodPost, path: "/users/" + url.PathEscape(u.ID) + "/revokeSignInSessions",
		out: &answer, what: "revoke the sign-in sessions of " + u.UserPrincipalName, perm: "User.RevokeSessions.All"}); err != nil {
		return connectors.Result{}, err
	}
	back, err := e.c.GetUser(ctx, u.ID)
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", err)
	}
	// The read-back names the user as Graph has them.
	u.UserPrincipalName = back.UserPrincipalName
	ev := baseEvidence(u)
	delete(ev, "account_enabled_before")
	ev["note"] = sessionsNote
	valid := back.SignInSessionsValidFromDateTime
	if valid != nil {
		ev["sessions_valid_from"] = valid.UTC().Format(time.RFC3339)
	}
	verified := answer.Value && valid != nil && !valid.Before(started.Add(-sessionsSkew))
	res := connectors.Result{Verified: verified, UserID: u.ID, Evidence: ev,
		Summary: fmt.Sprintf("Microsoft Entra ID sign-in sessions of %s revoked (may take a few minutes to reach every app)", u.UserPrincipalName)}
	if !verified {
		res.Summary = fmt.Sprintf("Microsoft Entra ID accepted the revocation for %s but signInSessionsValidFromDateTime does not show it", u.UserPrincipalName)
	}
	return res, nil
}
