package okta

import (
	"context"
	"net/http"
	"strings"

	"github.com/offboard-dev/offboard/connectors"
)

// bucketUserUpdate is the bucket of a user's updates and sub-resources,
// which every revocation writes to.
const bucketUserUpdate = "users: update, delete, sub-resources"

// updatesUser runs an action that writes to the user-update bucket only
// when that bucket is open (or opens within maxPaceWait): otherwise its
// lookup of the user would be spent for nothing, and made again when the
// deferred job runs.
func (c *Client) updatesUser(fn connectors.ActionFunc) connectors.ActionFunc {
	return func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		if until, ok := c.pacer.blocked(bucketUserUpdate); ok && until.Sub(c.now()) > maxPaceWait {
			return connectors.Result{}, c.classify(&paceError{reset: until, bucket: bucketUserUpdate}, nil, req.Action)
		}
		return fn(ctx, req)
	}
}

// BucketAPI is the RateLimitError.API of a spent bucket: "okta/<bucket>",
// so the runner holds back the actions that meet that bucket and lets
// Okta's others go on. An org-wide limit (the concurrent limit, the
// token endpoint) is plain "okta"; so is a 429 of no known bucket.
func BucketAPI(bucket string) string {
	if bucket == "" {
		return "okta"
	}
	return "okta/" + bucket
}

// bucketOf names the rate-limit bucket a request counts against, after
// Okta's "Management rate limits" page: its endpoint families are the
// buckets, each answering with its own X-Rate-Limit-* headers. A request
// under a user other than the plain GET of the user counts with the
// user's updates (the page names only POST, PUT and DELETE of
// /api/v1/users/{id}; sharing the user's writes is the cautious reading
// for its sub-resources, and readings of one window keep the fewest
// remaining, so two real buckets under one name only pace earlier).
func bucketOf(req *http.Request) string {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	get := req.Method == http.MethodGet || req.Method == http.MethodHead
	switch {
	case len(segs) >= 3 && segs[0] == "oauth2" && segs[len(segs)-1] == "token":
		return "token"
	case len(segs) < 3 || segs[0] != "api" || segs[1] != "v1":
		return "other"
	}
	rest := segs[2:]
	switch rest[0] {
	case "users":
		switch {
		case len(rest) == 1:
			return "users: create, list"
		case len(rest) == 2 && get:
			return "users: get one"
		}
		return bucketUserUpdate
	case "groups":
		if len(rest) == 1 {
			return "groups: create, list"
		}
		return "groups: one group"
	case "apps":
		if len(rest) == 2 {
			return "apps: one app"
		}
		return "apps: create, list, other"
	case "logs", "events":
		return rest[0]
	}
	return "other"
}
