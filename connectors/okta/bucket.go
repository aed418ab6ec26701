package okta

import (
	"net/http"
	"strings"
)

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
		return "users: update, delete, sub-resources"
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
