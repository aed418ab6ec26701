package google

import (
	"context"
	"strconv"
	"strings"

	directory "google.golang.org/api/admin/directory/v1"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// userKey is how the Directory API is told who: the Google id a
// previous action found, else the email (the API takes either).
func userKey(t offboard.Target) string {
	if id := t.UserID(System); id != "" {
		return id
	}
	return t.Email
}

// user reads the person by id, and by email when the id is stale.
func (g *Google) user(ctx context.Context, t offboard.Target) (*directory.User, error) {
	svc, err := g.c.Directory(ctx, ScopeUser)
	if err != nil {
		return nil, err
	}
	cl := call{what: "read the Google Workspace user " + t.Email, scope: ScopeUser, subject: g.c.admin}
	u, err := svc.Users.Get(userKey(t)).Context(ctx).Do()
	if err != nil && t.UserID(System) != "" && offboard.ErrorCode(g.c.fail(cl, err)) == offboard.ENOTFOUND {
		u, err = svc.Users.Get(t.Email).Context(ctx).Do()
	}
	if err != nil {
		return nil, g.c.fail(cl, err)
	}
	return u, nil
}

// accountState is the account's state in Google's words.
func accountState(u *directory.User) string {
	switch {
	case u.Archived:
		return "archived"
	case u.Suspended:
		return "suspended"
	}
	return "active"
}

// setSuspended suspends or unsuspends in one request: users.update
// answers with the user, which is the read-back.
func (g *Google) setSuspended(ctx context.Context, req connectors.Request, suspend bool) (connectors.Result, error) {
	svc, err := g.c.Directory(ctx, ScopeUser)
	if err != nil {
		return connectors.Result{}, err
	}
	cl := suspendCall(g, req.Target, suspend)
	u, err := updateSuspended(ctx, svc, userKey(req.Target), suspend)
	if err != nil && req.Target.UserID(System) != "" && offboard.ErrorCode(g.c.fail(cl, err)) == offboard.ENOTFOUND {
		u, err = updateSuspended(ctx, svc, req.Target.Email, suspend)
	}
	if err != nil {
		return connectors.Result{}, g.c.fail(cl, err)
	}
	return suspendedResult(u, suspend), nil
}

func suspendVerb(suspend bool) string {
	if suspend {
		return "suspend"
	}
	return "unsuspend"
}

func suspendCall(g *Google, t offboard.Target, suspend bool) call {
	return call{what: suspendVerb(suspend) + " the Google Workspace user " + t.Email, scope: ScopeUser, subject: g.c.admin}
}

// updateSuspended is one users.update of the suspension (Google's error
// unmapped: callers decide on a 404).
func updateSuspended(ctx context.Context, svc *directory.Service, key string, suspend bool) (*directory.User, error) {
	// ForceSendFields: false is a value Google must see, not an absence.
	change := &directory.User{Suspended: suspend, ForceSendFields: []string{"Suspended"}}
	return svc.Users.Update(key, change).Context(ctx).Do()
}

// suspendedResult reads the update's answer back.
func suspendedResult(u *directory.User, suspend bool) connectors.Result {
	ev := map[string]string{"user_id": u.Id, "primary_email": u.PrimaryEmail, "suspended": strconv.FormatBool(u.Suspended)}
	if u.SuspensionReason != "" {
		ev["suspension_reason"] = u.SuspensionReason
	}
	res := connectors.Result{Verified: u.Suspended == suspend, Evidence: ev, UserID: u.Id}
	switch {
	case res.Verified && suspend:
		res.Summary = "Google Workspace account suspended"
	case res.Verified:
		res.Summary = "Google Workspace account unsuspended"
	default:
		res.Summary = "Google answered the " + suspendVerb(suspend) + " with the account " + accountState(u)
	}
	return res
}

func (g *Google) suspend(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return g.setSuspended(ctx, req, true)
}

// signOut ends every web and device session (users.signOut). Google
// offers no list of sessions to read back: its 204 is the evidence.
func (g *Google) signOut(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	svc, err := g.c.Directory(ctx, ScopeUserSecurity)
	if err != nil {
		return connectors.Result{}, err
	}
	cl := call{what: "sign the Google Workspace user " + req.Target.Email + " out", scope: ScopeUserSecurity, subject: g.c.admin}
	if err := svc.Users.SignOut(userKey(req.Target)).Context(ctx).Do(); err != nil {
		return connectors.Result{}, g.c.fail(cl, err)
	}
	return connectors.Result{Verified: true, Summary: "Signed out of every Google session",
		Evidence: map[string]string{"signed_out": "Google accepted users.signOut (web and device sessions end; Google lists no sessions to read back)"}}, nil
}
