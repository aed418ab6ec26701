package oktafake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// route serves an authorized request; s.mu is held. A nil body with no error
// means an empty response with the returned status.
func (s *Server) route(r *http.Request, now time.Time) (int, any, *apiError) {
	if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		return 0, nil, errNotFound("Path", r.URL.Path)
	}
	// Split the escaped path so that encoded slashes in a login stay inside
	// their segment, then decode each segment.
	raw := splitPath(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v1"))
	seg := make([]string, len(raw))
	for i, p := range raw {
		d, err := url.PathUnescape(p)
		if err != nil {
			d = p
		}
		seg[i] = d
	}
	q := r.URL.Query()
	m := r.Method
	badPath := &apiError{http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method", ""}

	if len(seg) == 4 && seg[0] == "groups" && seg[2] == "users" {
		if m != http.MethodDelete {
			return 0, nil, badPath
		}
		return s.removeFromGroup(seg[1], seg[3], now)
	}
	if len(seg) == 0 || seg[0] != "users" {
		return 0, nil, errNotFound("Path", r.URL.Path)
	}
	if len(seg) == 1 {
		if m != http.MethodGet {
			return 0, nil, badPath
		}
		return s.listUsers(q)
	}
	u := s.lookup(seg[1])
	if u == nil {
		return 0, nil, errNotFound("User", seg[1])
	}
	broken := s.broken[u.ID] || s.broken[u.Login]
	switch {
	case len(seg) == 2 && m == http.MethodGet:
		return http.StatusOK, userJSON(u), nil
	case len(seg) == 2 && m == http.MethodDelete:
		if broken {
			return http.StatusNoContent, nil, nil
		}
		if u.Status == "DEPROVISIONED" {
			delete(s.users, u.ID)
			s.deleted = append(s.deleted, u.ID)
			return http.StatusNoContent, nil, nil
		}
		s.deactivate(u, q.Get("sendEmail") == "true", now)
		return http.StatusNoContent, nil, nil
	case len(seg) == 4 && seg[2] == "lifecycle" && m == http.MethodPost:
		return s.lifecycle(u, seg[3], q, broken, now)
	case len(seg) == 3 && seg[2] == "sessions" && m == http.MethodDelete:
		if !broken {
			u.Sessions = 0
			if q.Get("oauthTokens") == "true" {
				u.OAuthTokens = 0
			}
			u.lastUpdated = now
		}
		return http.StatusNoContent, nil, nil
	case len(seg) == 3 && seg[2] == "factors" && m == http.MethodGet:
		out := []map[string]any{}
		for _, f := range u.Factors {
			if f.Policy == "" {
				out = append(out, factorJSON(u, f))
			}
		}
		return http.StatusOK, out, nil
	case len(seg) == 4 && seg[2] == "factors" && m == http.MethodGet:
		for _, f := range u.Factors {
			if f.ID == seg[3] && f.Policy == "" {
				return http.StatusOK, factorJSON(u, f), nil
			}
		}
		return 0, nil, errNotFound("UserFactor", seg[3])
	case len(seg) == 4 && seg[2] == "factors" && m == http.MethodDelete:
		for i, f := range u.Factors {
			if f.ID == seg[3] && f.Policy == "" {
				if !broken {
					u.Factors = append(u.Factors[:i:i], u.Factors[i+1:]...)
				}
				return http.StatusNoContent, nil, nil
			}
		}
		return 0, nil, errNotFound("UserFactor", seg[3])
	case len(seg) == 3 && seg[2] == "grants" && m == http.MethodGet:
		out := []map[string]any{}
		for i, g := range u.Grants {
			out = append(out, map[string]any{
				"id":          fmt.Sprintf("oagfake%013d", i+1),
				"status":      "ACTIVE",
				"userId":      u.ID,
				"clientId":    "0oafakeclient",
				"scopeId":     g,
				"issuer":      "https://fake.okta.example",
				"source":      "END_USER",
				"created":     rfc(u.created),
				"lastUpdated": rfc(u.lastUpdated),
				"_links":      map[string]any{},
			})
		}
		return http.StatusOK, out, nil
	case len(seg) == 3 && seg[2] == "grants" && m == http.MethodDelete:
		if !broken {
			u.Grants = nil
		}
		return http.StatusNoContent, nil, nil
	case len(seg) == 3 && seg[2] == "appLinks" && m == http.MethodGet:
		out := []map[string]any{}
		for i, a := range u.Apps {
			out = append(out, map[string]any{
				"id":               a.ID,
				"label":            a.Label,
				"appName":          a.AppName,
				"appInstanceId":    a.ID,
				"appAssignmentId":  fmt.Sprintf("0uafake%s%d", u.ID[max(len(u.ID)-6, 0):], i),
				"linkUrl":          "",
				"logoUrl":          "",
				"hidden":           false,
				"sortOrder":        i,
				"credentialsSetup": false,
			})
		}
		return http.StatusOK, out, nil
	case len(seg) == 3 && seg[2] == "groups" && m == http.MethodGet:
		out := []map[string]any{}
		for _, gid := range u.Groups {
			g, ok := s.groups[gid]
			if !ok {
				g = Group{ID: gid, Name: gid, Type: "OKTA_GROUP"}
			}
			out = append(out, groupJSON(g))
		}
		return http.StatusOK, out, nil
	}
	return 0, nil, badPath
}

func (s *Server) deactivate(u *userState, sendEmail bool, now time.Time) {
	u.Status = "DEPROVISIONED"
	u.Apps = nil
	u.statusChanged, u.lastUpdated = now, now
	if sendEmail {
		s.emails = append(s.emails, u.ID)
	}
}

func (s *Server) lifecycle(u *userState, op string, q url.Values, broken bool, now time.Time) (int, any, *apiError) {
	switch op {
	case "suspend":
		if u.Status != "ACTIVE" {
			return 0, nil, errValidation("Cannot suspend a user that is not active")
		}
		if !broken {
			u.Status, u.statusChanged, u.lastUpdated = "SUSPENDED", now, now
		}
	case "unsuspend":
		if u.Status != "SUSPENDED" {
			return 0, nil, errValidation("Cannot unsuspend a user that is not suspended")
		}
		if !broken {
			u.Status, u.statusChanged, u.lastUpdated = "ACTIVE", now, now
		}
	case "deactivate":
		if u.Status == "DEPROVISIONED" {
			return 0, nil, errValidation("Cannot deactivate a user that is already deprovisioned")
		}
		if !broken {
			s.deactivate(u, q.Get("sendEmail") == "true", now)
		}
	case "activate":
		return s.activate(u, q, broken, now)
	case "reset_factors":
		if u.Status == "DEPROVISIONED" {
			return 0, nil, errValidation("Cannot reset factors of a deprovisioned user")
		}
		if !broken {
			u.Factors, u.lastUpdated = nil, now
		}
	default:
		return 0, nil, errNotFound("Lifecycle operation", op)
	}
	return http.StatusOK, nil, nil
}

// activate follows POST /lifecycle/activate: only STAGED or DEPROVISIONED
// users (403 E0000016 otherwise). A user with an enrolled factor becomes
// ACTIVE; one without completes the welcome flow first (PROVISIONED).
// sendEmail defaults to true; with false the activation token comes back.
func (s *Server) activate(u *userState, q url.Values, broken bool, now time.Time) (int, any, *apiError) {
	if u.Status != "STAGED" && u.Status != "DEPROVISIONED" {
		summary := "Activation failed because the user is already active"
		if u.Status != "ACTIVE" {
			summary = "Activation failed because the user is " + u.Status
		}
		return 0, nil, &apiError{http.StatusForbidden, "E0000016", summary, ""}
	}
	if !broken {
		u.Status = "PROVISIONED"
		if len(u.Factors) > 0 {
			u.Status = "ACTIVE"
		}
		u.statusChanged, u.lastUpdated = now, now
	}
	if q.Get("sendEmail") != "false" {
		s.emails = append(s.emails, u.ID)
		return http.StatusOK, map[string]any{}, nil
	}
	token := fmt.Sprintf("XE6w%s%d", u.ID, now.Unix())
	return http.StatusOK, map[string]any{
		"activationToken": token,
		"activationUrl":   s.url + "/welcome/" + token,
	}, nil
}

func (s *Server) removeFromGroup(gid, uid string, now time.Time) (int, any, *apiError) {
	g, ok := s.groups[gid]
	u := s.lookup(uid)
	if !ok {
		// Tolerate groups only referenced from a user's Groups.
		if u == nil || !contains(u.Groups, gid) {
			return 0, nil, errNotFound("Group", gid)
		}
		g = Group{ID: gid, Name: gid, Type: "OKTA_GROUP"}
	}
	if u == nil {
		return 0, nil, errNotFound("User", uid)
	}
	if g.Type != "OKTA_GROUP" {
		return 0, nil, &apiError{http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action", ""}
	}
	if s.broken[u.ID] {
		return http.StatusNoContent, nil, nil
	}
	for i, x := range u.Groups {
		if x == gid {
			u.Groups = append(u.Groups[:i:i], u.Groups[i+1:]...)
			u.lastUpdated = now
			break
		}
	}
	return http.StatusNoContent, nil, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Server) listUsers(q url.Values) (int, any, *apiError) {
	expr, all := q.Get("search"), true
	if expr == "" {
		expr = q.Get("filter")
	}
	if expr == "" {
		all = false
	}
	var match func(*userState) bool
	switch {
	case expr != "":
		m, err := parseExpr(expr)
		if err != nil {
			return 0, nil, &apiError{http.StatusBadRequest, "E0000031", "Invalid search criteria.", err.Error()}
		}
		match = m
	case q.Get("q") != "":
		p := strings.ToLower(q.Get("q"))
		match = func(u *userState) bool {
			for _, f := range []string{u.FirstName, u.LastName, u.Email, u.Login} {
				if strings.HasPrefix(strings.ToLower(f), p) {
					return true
				}
			}
			return false
		}
	default:
		match = func(*userState) bool { return true }
	}
	// Pages are cut by limit and continue after the last id shown, as
	// Okta's cursor does.
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 200
	}
	after := q.Get("after")
	pg := &page{items: []map[string]any{}}
	for _, id := range s.order {
		if after != "" {
			if id == after {
				after = ""
			}
			continue
		}
		u, ok := s.users[id]
		if !ok || (!all && u.Status == "DEPROVISIONED") || !match(u) {
			continue
		}
		if len(pg.items) == limit {
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("after", pg.items[limit-1]["id"].(string))
			pg.next = next
			break
		}
		pg.items = append(pg.items, userJSON(u))
	}
	return http.StatusOK, pg, nil
}

func fieldOf(u *userState, name string) (string, bool) {
	switch name {
	case "id":
		return u.ID, true
	case "status":
		return u.Status, true
	case "profile.login":
		return u.Login, true
	case "profile.email":
		return u.Email, true
	case "profile.firstName":
		return u.FirstName, true
	case "profile.lastName":
		return u.LastName, true
	case "profile.managerId":
		return u.ManagerID, true
	case "profile.employeeNumber":
		return u.EmployeeNumber, true
	}
	return "", false
}

// parseExpr understands clauses `field eq "value"` / `field sw "value"`
// joined by " or " and " and " (and binds tighter), case-insensitively.
func parseExpr(expr string) (func(*userState) bool, error) {
	var ors [][]func(*userState) bool
	for _, alt := range strings.Split(expr, " or ") {
		var ands []func(*userState) bool
		for _, c := range strings.Split(alt, " and ") {
			c = strings.TrimSpace(c)
			c = strings.TrimSuffix(strings.TrimPrefix(c, "("), ")")
			parts := strings.SplitN(c, " ", 3)
			if len(parts) != 3 {
				return nil, fmt.Errorf("bad clause %q", c)
			}
			field, op := parts[0], strings.ToLower(parts[1])
			val, err := strconv.Unquote(strings.TrimSpace(parts[2]))
			if err != nil {
				return nil, fmt.Errorf("bad value in %q", c)
			}
			if op != "eq" && op != "sw" {
				return nil, fmt.Errorf("unsupported operator %q", op)
			}
			if _, ok := fieldOf(&userState{}, field); !ok {
				return nil, fmt.Errorf("unsupported field %q", field)
			}
			ands = append(ands, func(u *userState) bool {
				v, _ := fieldOf(u, field)
				if op == "eq" {
					return strings.EqualFold(v, val)
				}
				return strings.HasPrefix(strings.ToLower(v), strings.ToLower(val))
			})
		}
		ors = append(ors, ands)
	}
	return func(u *userState) bool {
		for _, ands := range ors {
			ok := true
			for _, f := range ands {
				if !f(u) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
		return false
	}, nil
}

func rfc(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func userJSON(u *userState) map[string]any {
	profile := map[string]any{
		"login":     u.Login,
		"email":     u.Email,
		"firstName": u.FirstName,
		"lastName":  u.LastName,
	}
	for k, v := range map[string]string{"managerId": u.ManagerID, "employeeNumber": u.EmployeeNumber, "timezone": u.TimeZone} {
		if v != "" {
			profile[k] = v
		}
	}
	return map[string]any{
		"id":              u.ID,
		"status":          u.Status,
		"created":         rfc(u.created),
		"activated":       rfc(u.created),
		"statusChanged":   rfc(u.statusChanged),
		"lastLogin":       rfc(u.lastUpdated),
		"lastUpdated":     rfc(u.lastUpdated),
		"passwordChanged": rfc(u.created),
		"type":            map[string]any{"id": "oty1"},
		"profile":         profile,
		"credentials":     map[string]any{},
		"_links":          map[string]any{},
	}
}

func factorJSON(u *userState, f Factor) map[string]any {
	return map[string]any{
		"id":          f.ID,
		"factorType":  f.FactorType,
		"provider":    "OKTA",
		"vendorName":  "OKTA",
		"status":      "ACTIVE",
		"created":     rfc(u.created),
		"lastUpdated": rfc(u.created),
		"profile":     map[string]any{},
		"_links":      map[string]any{},
	}
}

func groupJSON(g Group) map[string]any {
	return map[string]any{
		"id":          g.ID,
		"type":        g.Type,
		"objectClass": []string{"okta:user_group"},
		"profile":     map[string]any{"name": g.Name, "description": ""},
		"_links":      map[string]any{},
	}
}
