package google

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	directory "google.golang.org/api/admin/directory/v1"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// security is one run of an action on the target's security resources
// (tokens, app passwords, backup codes), all under ScopeUserSecurity.
type security struct {
	g   *Google
	svc *directory.Service
	t   offboard.Target
	// key is the userKey Google answered to: the recorded id, or the
	// email when the id was stale.
	key string
}

func (g *Google) security(ctx context.Context, t offboard.Target) (*security, error) {
	svc, err := g.c.Directory(ctx, ScopeUserSecurity)
	if err != nil {
		return nil, err
	}
	return &security{g: g, svc: svc, t: t, key: userKey(t)}, nil
}

func (s *security) call(what string) call {
	return call{what: what + " of the Google Workspace user " + s.t.Email, scope: ScopeUserSecurity, subject: s.g.c.admin}
}

// first runs the action's first read with the recorded id, and with the
// email when Google does not know the id (stale); later calls use the
// key that worked.
func first[T any](s *security, cl call, read func(key string) (T, error)) (T, error) {
	v, err := read(s.key)
	if err != nil && s.t.UserID(System) != "" && offboard.ErrorCode(s.g.c.fail(cl, err)) == offboard.ENOTFOUND {
		s.key = s.t.Email
		v, err = read(s.key)
	}
	if err != nil {
		var zero T
		return zero, s.g.c.fail(cl, err)
	}
	return v, nil
}

// userID is the Google id the action found: the recorded one when it
// answered, else the one a listed item names.
func (s *security) userID(fromItems string) string {
	if id := s.t.UserID(System); id != "" && s.key == id {
		return id
	}
	return fromItems
}

// resetMFA invalidates the 2-Step Verification backup codes and deletes
// every app-specific password, then reads both back. Google's lists hold
// only what still works (used or invalidated codes are not listed), so
// empty lists are the proof. Enrolled second factors (phone, authenticator,
// security keys) stay: the suspension already blocks sign-in, and the
// evidence says so.
func (g *Google) resetMFA(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	s, err := g.security(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	listCodes := s.call("list the backup verification codes")
	codes, err := first(s, listCodes, func(key string) (*directory.VerificationCodes, error) {
		return s.svc.VerificationCodes.List(key).Context(ctx).Do()
	})
	if err != nil {
		return connectors.Result{}, err
	}
	listASPs := s.call("list the app passwords")
	asps, err := s.svc.Asps.List(s.key).Context(ctx).Do()
	if err != nil {
		return connectors.Result{}, g.c.fail(listASPs, err)
	}
	found := ""
	for _, c := range codes.Items {
		found = c.UserId
	}
	for _, a := range asps.Items {
		found = a.UserKey
	}
	ev := map[string]string{
		"backup_codes_before":  strconv.Itoa(len(codes.Items)),
		"app_passwords_before": strconv.Itoa(len(asps.Items)),
		"not_changed":          "enrolled 2-Step Verification factors (phone, authenticator, security keys) stay; the suspended account cannot sign in with them",
	}
	res := connectors.Result{UserID: s.userID(found), Evidence: ev}
	if len(codes.Items) == 0 && len(asps.Items) == 0 {
		ev["backup_codes_after"], ev["app_passwords_after"] = "0", "0"
		res.Verified, res.AlreadyDone = true, true
		res.Summary = "The Google account had no valid backup codes and no app passwords"
		return res, nil
	}

	codesAfter := 0
	if len(codes.Items) > 0 {
		if err := s.svc.VerificationCodes.Invalidate(s.key).Context(ctx).Do(); err != nil {
			return connectors.Result{}, g.c.fail(s.call("invalidate the backup verification codes"), err)
		}
		after, err := s.svc.VerificationCodes.List(s.key).Context(ctx).Do()
		if err != nil {
			return connectors.Result{}, fmt.Errorf("read back: %w", g.c.fail(listCodes, err))
		}
		codesAfter = len(after.Items)
	}
	ev["backup_codes_after"] = strconv.Itoa(codesAfter)

	var removed, left []string
	if len(asps.Items) > 0 {
		for _, a := range asps.Items {
			err := s.svc.Asps.Delete(s.key, a.CodeId).Context(ctx).Do()
			// Gone already (a rerun, or the user removed it): the
			// read-back decides.
			if err != nil && offboard.ErrorCode(g.c.fail(listASPs, err)) != offboard.ENOTFOUND {
				return connectors.Result{}, g.c.fail(s.call("delete the app password "+aspName(a)), err)
			}
			removed = append(removed, aspName(a))
		}
		after, err := s.svc.Asps.List(s.key).Context(ctx).Do()
		if err != nil {
			return connectors.Result{}, fmt.Errorf("read back: %w", g.c.fail(listASPs, err))
		}
		for _, a := range after.Items {
			left = append(left, aspName(a))
		}
		ev["app_passwords_removed"] = names(removed)
	}
	ev["app_passwords_after"] = strconv.Itoa(len(left))
	if len(left) > 0 {
		ev["app_passwords_left"] = names(left)
	}
	res.Verified = codesAfter == 0 && len(left) == 0
	if res.Verified {
		res.Summary = fmt.Sprintf("Invalidated %d Google backup codes and deleted %d app passwords", len(codes.Items), len(removed))
	} else {
		res.Summary = fmt.Sprintf("Google still lists %d backup codes and %d app passwords after the reset", codesAfter, len(left))
	}
	return res, nil
}

func aspName(a *directory.Asp) string {
	if a.Name != "" {
		return a.Name
	}
	return "#" + strconv.FormatInt(a.CodeId, 10)
}

// revokeGrants deletes the tokens of every app the user connected
// (tokens.delete per client id) and reads the list back: verified only
// when Google lists no token.
func (g *Google) revokeGrants(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	s, err := g.security(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	list := s.call("list the OAuth tokens")
	toks, err := first(s, list, func(key string) (*directory.Tokens, error) {
		return s.svc.Tokens.List(key).Context(ctx).Do()
	})
	if err != nil {
		return connectors.Result{}, err
	}
	found := ""
	for _, t := range toks.Items {
		found = t.UserKey
	}
	ev := map[string]string{"tokens_before": strconv.Itoa(len(toks.Items))}
	res := connectors.Result{UserID: s.userID(found), Evidence: ev}
	if len(toks.Items) == 0 {
		ev["tokens_after"] = "0"
		res.Verified, res.AlreadyDone = true, true
		res.Summary = "No app held a token of the Google account"
		return res, nil
	}
	var revoked []string
	done := map[string]bool{}
	for _, t := range toks.Items {
		if done[t.ClientId] {
			continue
		}
		done[t.ClientId] = true
		err := s.svc.Tokens.Delete(s.key, t.ClientId).Context(ctx).Do()
		if err != nil && offboard.ErrorCode(g.c.fail(list, err)) != offboard.ENOTFOUND {
			return connectors.Result{}, g.c.fail(s.call("revoke the token of "+appName(t)), err)
		}
		revoked = append(revoked, appName(t))
	}
	after, err := s.svc.Tokens.List(s.key).Context(ctx).Do()
	if err != nil {
		return connectors.Result{}, fmt.Errorf("read back: %w", g.c.fail(list, err))
	}
	var left []string
	for _, t := range after.Items {
		left = append(left, appName(t))
	}
	ev["apps_revoked"] = names(revoked)
	ev["tokens_after"] = strconv.Itoa(len(after.Items))
	if len(left) > 0 {
		ev["apps_left"] = names(left)
	}
	res.Verified = len(left) == 0
	if res.Verified {
		res.Summary = fmt.Sprintf("Revoked the Google tokens of %d apps", len(revoked))
	} else {
		res.Summary = fmt.Sprintf("Google still lists tokens of %d apps after the revocation", len(left))
	}
	return res, nil
}

// appName is how Google names the app to people (displayText), else its
// client id.
func appName(t *directory.Token) string {
	if t.DisplayText != "" {
		return t.DisplayText
	}
	return t.ClientId
}

// names joins names for evidence, bounded: app names come from outside.
func names(ns []string) string {
	return offboard.UpstreamText([]byte(strings.Join(ns, "; ")))
}
