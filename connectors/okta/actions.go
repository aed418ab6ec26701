package okta

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// Okta user statuses.
const (
	statusActive        = "ACTIVE"
	statusSuspended     = "SUSPENDED"
	statusDeprovisioned = "DEPROVISIONED"
	statusProvisioned   = "PROVISIONED"
)

// maxPages bounds pagination of list calls.
const maxPages = 50

// target is the Okta user an action works on, as read before the write;
// a user known by the id an earlier action found is not read (unread),
// so only its id is certain.
type target struct {
	id, login, status, transitioning string
	readRequestID                    string
	foundBy                          string
	// email is the employee's email, named in summaries when the user
	// was not read.
	email  string
	unread bool
}

// How the user was found, for the evidence (found_by).
const (
	foundByParam  = "okta_user parameter"
	foundByID     = "user id an earlier action of the case found"
	foundByLogin  = "email as login"
	foundBySearch = "profile.email search"
)

func (t *target) evidence() map[string]string {
	ev := map[string]string{
		"okta_user_id": t.id,
		"found_by":     t.foundBy,
	}
	if !t.unread {
		ev["login"], ev["status_before"] = t.login, t.status
	}
	if t.transitioning != "" {
		ev["transitioning_to"] = t.transitioning
	}
	return ev
}

// name is how summaries name the user: the login, else (unread) the
// employee's email, else the id.
func (t *target) name() string {
	switch {
	case t.login != "":
		return t.login
	case t.email != "":
		return t.email
	}
	return t.id
}

// statusAfter records the status read before the action as the status
// after it, for actions that do not change it; an unread user has none.
func (t *target) statusAfter(ev map[string]string) {
	if !t.unread {
		ev["status_after"] = t.status
	}
}

func userTarget(u *okta.User) *target {
	t := &target{id: u.Id, status: u.Status, transitioning: u.TransitioningToStatus}
	if u.Profile != nil {
		if l, ok := (*u.Profile)["login"].(string); ok {
			t.login = l
		}
	}
	return t
}

// getUser reads one user by id or login. 404 is a permanent ENOTFOUND.
func (c *Client) getUser(ctx context.Context, idOrLogin, what string) (*target, error) {
	ctx, rec := withRecorder(ctx)
	u, _, err := c.sdk.User.GetUser(ctx, url.PathEscape(idOrLogin))
	if err != nil {
		return nil, c.classify(err, rec, what)
	}
	if u == nil || u.Id == "" {
		return nil, fmt.Errorf("okta: %s: empty answer", what)
	}
	t := userTarget(u)
	_, _, t.readRequestID = rec.last()
	return t, nil
}

// system is the key of Okta user ids in offboard.Target.UserIDs.
const system = "okta"

// find resolves and reads the request's Okta user: Params["okta_user"]
// (an id or login) if set, else the user id an earlier action of the case
// found, else the employee's email as a login, else a search on
// profile.email that must match exactly one user. A recorded id Okta no
// longer knows (404) falls back to the email.
func (c *Client) find(ctx context.Context, req connectors.Request) (*target, error) {
	if ref := strings.TrimSpace(req.Params["okta_user"]); ref != "" {
		t, err := c.getUser(ctx, ref, "read user")
		if isNotFound(err) {
			return nil, offboard.Errorf(offboard.ENOTFOUND, "no Okta user %s", ref)
		}
		if t != nil {
			t.foundBy = foundByParam
		}
		return t, err
	}
	if id := req.Target.UserID(system); id != "" {
		t, err := c.getUser(ctx, id, "read user")
		if err == nil {
			t.foundBy = foundByID
			return t, nil
		}
		if !isNotFound(err) {
			return nil, err
		}
		c.staleID(req, id)
	}
	return c.findByEmail(ctx, req)
}

// staleID logs that the id recorded on the case is gone from Okta (the
// user was deleted, or recreated under a new id).
func (c *Client) staleID(req connectors.Request, id string) {
	c.log.Warn("okta user id recorded on the case is unknown to Okta; looking the user up by email",
		"action", req.Action, "case_id", req.CaseID, "okta_user_id", id)
}

// withUser runs fn on the request's user. When an earlier action of the
// case found the user's id (and no okta_user parameter names another), fn
// gets it unread, saving a request; if Okta answers that id with 404, fn
// runs again on the user found by email. Otherwise fn gets the user find
// reads.
func (c *Client) withUser(ctx context.Context, req connectors.Request, fn func(*target) (connectors.Result, error)) (connectors.Result, error) {
	if id := req.Target.UserID(system); id != "" && strings.TrimSpace(req.Params["okta_user"]) == "" {
		res, err := fn(&target{id: id, foundBy: foundByID, email: strings.TrimSpace(req.Target.Email), unread: true})
		if !isNotFound(err) {
			return res, err
		}
		c.staleID(req, id)
		t, ferr := c.findByEmail(ctx, req)
		if ferr != nil {
			return connectors.Result{}, ferr
		}
		return fn(t)
	}
	t, err := c.find(ctx, req)
	if err != nil {
		return connectors.Result{}, err
	}
	return fn(t)
}

// findByEmail finds the employee's user by email: as a login, else by an
// exact profile.email search.
func (c *Client) findByEmail(ctx context.Context, req connectors.Request) (*target, error) {
	email := strings.TrimSpace(req.Target.Email)
	if email == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "the employee has no email and the task names no okta_user; cannot find the Okta user")
	}
	t, err := c.getUser(ctx, email, "read user")
	if err == nil {
		t.foundBy = foundByLogin
		return t, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	ctx, rec := withRecorder(ctx)
	search := `profile.email eq "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(email) + `"`
	users, resp, err := c.sdk.User.ListUsers(ctx, query.NewQueryParams(query.WithSearch(search), query.WithLimit(10)))
	if err != nil {
		return nil, c.classify(err, rec, "search users by email")
	}
	if resp != nil && resp.HasNextPage() && len(users) < 2 {
		var more []*okta.User
		if _, err := resp.Next(ctx, &more); err != nil {
			return nil, c.classify(err, rec, "search users by email")
		}
		users = append(users, more...)
	}
	switch len(users) {
	case 0:
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no Okta user %s", email)
	case 1:
		t := userTarget(users[0])
		_, _, t.readRequestID = rec.last()
		t.foundBy = foundBySearch
		return t, nil
	default:
		return nil, offboard.Errorf(offboard.ECONFLICT, "%d Okta users have the email %s; name one with the task parameter okta_user", len(users), email)
	}
}

// readBack re-reads the user after a write.
func (c *Client) readBack(ctx context.Context, t *target) (*target, error) {
	return c.getUser(ctx, t.id, "read back user")
}

// write runs one SDK write call and returns the Okta request id and status.
func (c *Client) write(ctx context.Context, what string, fn func(ctx context.Context) (*okta.Response, error)) (requestID string, status int, err error) {
	ctx, rec := withRecorder(ctx)
	_, err = fn(ctx)
	status, _, requestID = rec.last()
	if err != nil {
		return requestID, status, c.classify(err, rec, what)
	}
	return requestID, status, nil
}

// done logs a successful action and returns its result with the user's
// id, which the engine records so the case's later actions need not look
// the user up; not for a user a task parameter named, who may be someone
// other than the employee.
func (c *Client) done(req connectors.Request, t *target, res connectors.Result) connectors.Result {
	if t.foundBy != foundByParam {
		res.UserID = t.id
	}
	c.log.Info("okta action done", "action", req.Action, "okta_user_id", t.id,
		"verified", res.Verified, "already_done", res.AlreadyDone)
	return res
}

func (c *Client) suspend(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	t, err := c.find(ctx, req)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	suspended := func(s *target) bool {
		return s.status == statusSuspended || s.status == statusDeprovisioned || s.transitioning == statusDeprovisioned
	}
	if suspended(t) {
		return c.alreadyInStatus(req, t, ev, fmt.Sprintf("Okta user %s was already %s", t.login, t.status)), nil
	}
	if t.status != statusActive {
		return connectors.Result{}, cannotSuspend(t)
	}
	return c.lifecycle(ctx, req, t, ev, "suspend", "suspended", suspended, func(ctx context.Context) (*okta.Response, error) {
		return c.sdk.User.SuspendUser(ctx, t.id)
	})
}

// lifecycle makes one lifecycle call and reads the user back. Okta's
// lifecycle calls are not idempotent, and an answer can be lost after
// Okta acted: when the call fails but the read-back shows the wanted
// status, that is success (noted in the evidence).
func (c *Client) lifecycle(ctx context.Context, req connectors.Request, t *target, ev map[string]string, verb, done string,
	reached func(*target) bool, call func(context.Context) (*okta.Response, error)) (connectors.Result, error) {
	reqID, _, werr := c.write(ctx, verb+" user", call)
	if werr != nil && isRateLimit(werr) {
		return connectors.Result{}, werr
	}
	after, err := c.readBack(ctx, t)
	if err != nil {
		if werr != nil {
			return connectors.Result{}, werr
		}
		return connectors.Result{}, err
	}
	if werr != nil && !reached(after) {
		return connectors.Result{}, werr
	}
	if werr != nil {
		ev["note"] = "the " + verb + " call failed but the user is " + after.status
	}
	ev["status_after"] = after.status
	ev["okta_request_id"] = reqID
	ev["read_back"] = "user status is " + after.status
	res := connectors.Result{Verified: reached(after), Evidence: ev,
		Summary: fmt.Sprintf("%s Okta user %s (now %s)", done, t.login, after.status)}
	return c.done(req, t, res), nil
}

func cannotSuspend(t *target) error {
	switch t.status {
	case "LOCKED_OUT", "RECOVERY", "PASSWORD_EXPIRED":
		return offboard.Errorf(offboard.ECONFLICT,
			"Okta can only suspend ACTIVE users and %s is %s; deactivate the user instead (okta.deactivate works in any status)", t.login, t.status)
	case "STAGED", "PROVISIONED":
		return offboard.Errorf(offboard.ECONFLICT,
			"Okta can only suspend ACTIVE users and %s is %s (never activated); deactivate the user instead (okta.deactivate)", t.login, t.status)
	}
	return offboard.Errorf(offboard.ECONFLICT, "Okta can only suspend ACTIVE users and %s is %s", t.login, t.status)
}

func (c *Client) clearSessions(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return c.withUser(ctx, req, func(t *target) (connectors.Result, error) { return c.clearSessionsOf(ctx, req, t) })
}

func (c *Client) clearSessionsOf(ctx context.Context, req connectors.Request, t *target) (connectors.Result, error) {
	reqID, status, err := c.write(ctx, "clear sessions", func(ctx context.Context) (*okta.Response, error) {
		return c.sdk.User.ClearUserSessions(ctx, t.id, query.NewQueryParams(query.WithOauthTokens(true)))
	})
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	t.statusAfter(ev)
	ev["okta_request_id"] = reqID
	ev["read_back"] = "sessions endpoint answered " + strconv.Itoa(status) + "; Okta has no session read-back"
	res := connectors.Result{Verified: status == 204, Evidence: ev,
		Summary: fmt.Sprintf("cleared Okta sessions and OAuth tokens of %s", t.name())}
	return c.done(req, t, res), nil
}

func (c *Client) countFactors(ctx context.Context, t *target) (int, string, error) {
	ctx, rec := withRecorder(ctx)
	fs, _, err := c.sdk.UserFactor.ListFactors(ctx, t.id)
	if err != nil {
		return 0, "", c.classify(err, rec, "list factors")
	}
	_, _, id := rec.last()
	return len(fs), id, nil
}

func (c *Client) resetFactors(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return c.clearAll(ctx, req, clearSpec{
		key: "factors", readNoun: "factors listed (Okta lists those of the highest-priority enrollment policy)",
		op: "reset factors", done: "reset the Okta factors of %s", count: c.countFactors,
		write: func(ctx context.Context, id string) (*okta.Response, error) { return c.sdk.User.ResetFactors(ctx, id) },
	})
}

// clearSpec describes an action that empties a list on the user (MFA
// factors, consent grants): one write, then the list is read back,
// verified when it is empty. There is no read before the write: Okta's
// write clears what is there and is harmless on an empty list, and a
// count before it would cost a request per exit for evidence only (the
// factor list shows only the highest-priority enrollment policy's
// factors anyway).
type clearSpec struct {
	key      string // evidence prefix: "factors" → factors_after
	readNoun string // "%d <readNoun>" is the read-back
	op       string // names the write in errors
	done     string // summary format: the user's name
	count    func(context.Context, *target) (int, string, error)
	write    func(ctx context.Context, userID string) (*okta.Response, error)
}

func (c *Client) clearAll(ctx context.Context, req connectors.Request, spec clearSpec) (connectors.Result, error) {
	return c.withUser(ctx, req, func(t *target) (connectors.Result, error) { return c.clearAllOf(ctx, req, spec, t) })
}

func (c *Client) clearAllOf(ctx context.Context, req connectors.Request, spec clearSpec, t *target) (connectors.Result, error) {
	reqID, _, err := c.write(ctx, spec.op, func(ctx context.Context) (*okta.Response, error) {
		return spec.write(ctx, t.id)
	})
	if err != nil {
		return connectors.Result{}, err
	}
	after, _, err := spec.count(ctx, t)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	t.statusAfter(ev)
	ev["okta_request_id"] = reqID
	ev[spec.key+"_after"] = strconv.Itoa(after)
	ev["read_back"] = strconv.Itoa(after) + " " + spec.readNoun
	res := connectors.Result{Verified: after == 0, Evidence: ev, Summary: fmt.Sprintf(spec.done, t.name())}
	return c.done(req, t, res), nil
}

func (c *Client) listGrants(ctx context.Context, t *target) (int, string, error) {
	ctx, rec := withRecorder(ctx)
	gs, resp, err := c.sdk.User.ListUserGrants(ctx, t.id, nil)
	if err != nil {
		return 0, "", c.classify(err, rec, "list grants")
	}
	_, _, id := rec.last()
	n := len(gs)
	for page := 0; resp != nil && resp.HasNextPage() && page < maxPages; page++ {
		var more []*okta.OAuth2ScopeConsentGrant
		if resp, err = resp.Next(ctx, &more); err != nil {
			return 0, "", c.classify(err, rec, "list grants")
		}
		n += len(more)
	}
	return n, id, nil
}

func (c *Client) revokeGrants(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return c.clearAll(ctx, req, clearSpec{
		key: "grants", readNoun: "consent grants",
		op: "revoke grants", done: "revoked the Okta consent grants of %s", count: c.listGrants,
		write: func(ctx context.Context, id string) (*okta.Response, error) {
			return c.sdk.User.RevokeUserGrants(ctx, id)
		},
	})
}

func (c *Client) listGroups(ctx context.Context, t *target) ([]*okta.Group, string, error) {
	ctx, rec := withRecorder(ctx)
	gs, resp, err := c.sdk.User.ListUserGroups(ctx, t.id)
	if err != nil {
		return nil, "", c.classify(err, rec, "list groups")
	}
	_, _, id := rec.last()
	for page := 0; resp != nil && resp.HasNextPage() && page < maxPages; page++ {
		var more []*okta.Group
		if resp, err = resp.Next(ctx, &more); err != nil {
			return nil, "", c.classify(err, rec, "list groups")
		}
		gs = append(gs, more...)
	}
	return gs, id, nil
}

func groupName(g *okta.Group) string {
	if g.Profile != nil && g.Profile.Name != "" {
		return g.Profile.Name
	}
	return g.Id
}

func (c *Client) removeGroups(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return c.withUser(ctx, req, func(t *target) (connectors.Result, error) { return c.removeGroupsOf(ctx, req, t) })
}

func (c *Client) removeGroupsOf(ctx context.Context, req connectors.Request, t *target) (connectors.Result, error) {
	groups, readID, err := c.listGroups(ctx, t)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	t.statusAfter(ev)
	var removed, skipped []string
	lastID := readID
	for _, g := range groups {
		if g.Type != "OKTA_GROUP" {
			skipped = append(skipped, groupName(g)+" ("+g.Type+")")
			continue
		}
		reqID, _, err := c.write(ctx, "remove from group "+groupName(g), func(ctx context.Context) (*okta.Response, error) {
			return c.sdk.Group.RemoveUserFromGroup(ctx, g.Id, t.id)
		})
		if err != nil && !isNotFound(err) {
			return connectors.Result{}, err
		}
		removed = append(removed, groupName(g))
		lastID = reqID
	}
	if len(skipped) > 0 {
		ev["skipped"] = strings.Join(skipped, ", ")
	}
	if len(removed) == 0 {
		return c.alreadyDone(req, t, ev, readID, "member of no OKTA_GROUP groups",
			fmt.Sprintf("Okta user %s was in no Okta-managed groups", t.name())), nil
	}
	ev["removed"] = strings.Join(removed, ", ")
	ev["okta_request_id"] = lastID
	after, _, err := c.listGroups(ctx, t)
	if err != nil {
		return connectors.Result{}, err
	}
	var left []string
	for _, g := range after {
		if g.Type == "OKTA_GROUP" {
			left = append(left, groupName(g))
		}
	}
	ev["read_back"] = fmt.Sprintf("member of %d OKTA_GROUP groups", len(left))
	if len(left) > 0 {
		ev["groups_left"] = strings.Join(left, ", ")
	}
	res := connectors.Result{Verified: len(left) == 0, Evidence: ev,
		Summary: fmt.Sprintf("removed Okta user %s from %d groups", t.name(), len(removed))}
	return c.done(req, t, res), nil
}

func (c *Client) deactivate(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	t, err := c.find(ctx, req)
	if err != nil {
		return connectors.Result{}, err
	}
	ev := t.evidence()
	gone := func(s *target) bool { return s.status == statusDeprovisioned || s.transitioning == statusDeprovisioned }
	if gone(t) {
		return c.alreadyInStatus(req, t, ev, fmt.Sprintf("Okta user %s was already deactivated", t.login)), nil
	}
	// POST /lifecycle/deactivate only; never DELETE /users/{id}, which
	// deletes a deactivated user for good.
	return c.lifecycle(ctx, req, t, ev, "deactivate", "deactivated", gone, func(ctx context.Context) (*okta.Response, error) {
		return c.sdk.User.DeactivateUser(ctx, t.id, query.NewQueryParams(query.WithSendEmail(false)))
	})
}

func (c *Client) appReport(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return c.withUser(ctx, req, func(t *target) (connectors.Result, error) { return c.appReportOf(ctx, req, t) })
}

func (c *Client) appReportOf(ctx context.Context, req connectors.Request, t *target) (connectors.Result, error) {
	rctx, rec := withRecorder(ctx)
	links, _, err := c.sdk.User.ListAppLinks(rctx, t.id)
	if err != nil {
		return connectors.Result{}, c.classify(err, rec, "list app links")
	}
	_, _, reqID := rec.last()
	var labels []string
	var cost float64
	priced := false
	for _, l := range links {
		if l == nil {
			continue
		}
		label := l.Label
		if label == "" {
			label = l.AppName
		}
		labels = append(labels, label)
		for _, k := range []string{l.AppName, l.Label} {
			if p, ok := c.licenses[strings.ToLower(strings.TrimSpace(k))]; ok && k != "" {
				cost += p
				priced = true
				break
			}
		}
	}
	ev := t.evidence()
	t.statusAfter(ev)
	ev["okta_request_id"] = reqID
	ev["apps"] = strings.Join(labels, ", ")
	ev["app_count"] = strconv.Itoa(len(labels))
	ev["read_back"] = fmt.Sprintf("%d app links", len(labels))
	if priced {
		ev["monthly_seat_cost"] = fmt.Sprintf("%.2f", cost)
	}
	summary := fmt.Sprintf("%d apps", len(labels))
	if len(labels) > 0 {
		summary += ": " + strings.Join(labels, ", ")
	}
	if priced {
		summary += fmt.Sprintf(" (%.2f a month in seats)", cost)
	}
	res := connectors.Result{Verified: true, Evidence: ev, Summary: summary}
	return c.done(req, t, res), nil
}

// alreadyDone is the result of an action whose target the read before
// the write found in the wanted state: success, verified by that read,
// with nothing written.
func (c *Client) alreadyDone(req connectors.Request, t *target, ev map[string]string, requestID, readBack, summary string) connectors.Result {
	ev["okta_request_id"] = requestID
	ev["read_back"] = readBack
	ev["already_done"] = "true"
	res := connectors.Result{Verified: true, AlreadyDone: true, Evidence: ev, Summary: summary}
	return c.done(req, t, res)
}

// alreadyInStatus is alreadyDone for a lifecycle action: the user's
// status is the one wanted.
func (c *Client) alreadyInStatus(req connectors.Request, t *target, ev map[string]string, summary string) connectors.Result {
	ev["status_after"] = t.status
	return c.alreadyDone(req, t, ev, t.readRequestID, "user status is "+t.status, summary)
}
