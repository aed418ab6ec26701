package googlefake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	scopeUser         = "https://www.googleapis.com/auth/admin.directory.user"
	scopeUserSecurity = "https://www.googleapis.com/auth/admin.directory.user.security"
)

// userJSON is a Directory API User resource, the fields offboard reads.
func userJSON(u *User) map[string]any {
	j := map[string]any{
		"kind": "admin#directory#user", "id": u.ID, "primaryEmail": u.PrimaryEmail,
		"name":      map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName, "fullName": strings.TrimSpace(u.GivenName + " " + u.FamilyName)},
		"suspended": u.Suspended, "archived": u.Archived, "isAdmin": u.IsAdmin, "customerId": CustomerID,
		"orgUnitPath": orgUnit(u),
	}
	if u.Deleted {
		j["deletionTime"] = u.DeletedAt.UTC().Format(time.RFC3339Nano)
	}
	if u.Manager != "" {
		j["relations"] = []map[string]string{{"type": "manager", "value": u.Manager}}
	}
	return j
}

func orgUnit(u *User) string {
	if u.OrgUnitPath == "" {
		return "/"
	}
	return u.OrgUnitPath
}

// userOr404 finds the path's {userKey}: the id, the primary email or an
// alias, as Google's reference says of userKey. None is Google's 404
// within the customer's domains; an address of a domain the customer
// does not have is Google's 403 forbidden (an administrator administers
// only its own organisation's domains).
func (s *Server) userOr404(w http.ResponseWriter, r *http.Request) *User {
	key := strings.ToLower(r.PathValue("userKey"))
	u := s.findLocked(key, false)
	if u == nil && strings.Contains(key, "@") {
		u = s.aliasOwnerLocked(key)
	}
	if u != nil {
		return u
	}
	if at := strings.LastIndexByte(key, '@'); at >= 0 && !s.hasDomainLocked(key[at+1:]) {
		apiError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api")
		return nil
	}
	apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: userKey")
	return nil
}

// hasDomainLocked says whether domain is one of the customer's: the
// domain of any user's primary address.
func (s *Server) hasDomainLocked(domain string) bool {
	for _, u := range s.users {
		if strings.HasSuffix(u.PrimaryEmail, "@"+domain) {
			return true
		}
	}
	return false
}

// directoryRoutes are the Admin SDK Directory API's user routes.
func (s *Server) directoryRoutes() {
	s.route("GET /admin/directory/v1/users/{userKey}", scopeUser, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		if u := s.userOr404(w, r); u != nil {
			writeJSON(w, http.StatusOK, userJSON(u))
		}
	})
	update := func(w http.ResponseWriter, r *http.Request, actor *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		// The fields offboard may change; Google takes many more, the
		// fake refuses what it does not model rather than ignore it.
		var in struct {
			Suspended *bool `json:"suspended"`
			Archived  *bool `json:"archived"`
		}
		if !decodeStrict(w, r, &in) {
			return
		}
		if in.Suspended != nil {
			if *in.Suspended && u.ID == actor.ID {
				apiError(w, http.StatusBadRequest, "invalid", "Admin cannot suspend self.")
				return
			}
			u.Suspended = *in.Suspended
		}
		if in.Archived != nil {
			u.Archived = *in.Archived
		}
		writeJSON(w, http.StatusOK, userJSON(u))
	}
	s.route("PUT /admin/directory/v1/users/{userKey}", scopeUser, true, update)
	s.route("PATCH /admin/directory/v1/users/{userKey}", scopeUser, true, update)
	s.route("POST /admin/directory/v1/users/{userKey}/signOut", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		u.SignOuts++
		u.SignedOutAt = s.now()
		w.WriteHeader(http.StatusNoContent)
	})
	s.deletionRoutes()
}

// RestorableFor is how long Google keeps a deleted user restorable
// (users.undelete, the Admin console's "Recently deleted"): 20 days,
// after which the fake, like Google, forgets the user.
const RestorableFor = 20 * 24 * time.Hour

// restorableLocked says whether a deleted user can still be undeleted.
func (s *Server) restorableLocked(u *User) bool {
	return u.Deleted && s.now().Before(u.DeletedAt.Add(RestorableFor))
}

// maxListResults is users.list's largest page (its maxResults is 1–500).
const maxListResults = 500

// deletionRoutes are users.delete, users.undelete and users.list (which
// lists deleted users with showDeleted=true).
func (s *Server) deletionRoutes() {
	s.route("DELETE /admin/directory/v1/users/{userKey}", scopeUser, true, func(w http.ResponseWriter, r *http.Request, actor *User) {
		u := s.userOr404(w, r)
		if u == nil || !emptyBody(w, r) {
			return
		}
		// Guessed: Google's docs are silent on an admin deleting itself;
		// the fake refuses it as it refuses self-suspension.
		if u.ID == actor.ID {
			apiError(w, http.StatusBadRequest, "invalid", "Admin cannot delete self.")
			return
		}
		u.Deleted, u.DeletedAt = true, s.now()
		w.WriteHeader(http.StatusNoContent)
	})
	// users.undelete takes "the immutable id of the user" (a deleted user
	// has no address to be found by) and the organizational unit to put
	// it in. Google restores a user suspended at deletion as suspended.
	s.route("POST /admin/directory/v1/users/{userKey}/undelete", scopeUser, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.users[r.PathValue("userKey")]
		if u == nil || !s.restorableLocked(u) {
			apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: userKey")
			return
		}
		var in struct {
			OrgUnitPath string `json:"orgUnitPath"`
		}
		if !decodeStrict(w, r, &in) {
			return
		}
		// Guessed from the Admin console's rules: an organizational unit
		// is required, and a username given to someone else since cannot
		// be restored (Google's status for it is undocumented).
		if !strings.HasPrefix(in.OrgUnitPath, "/") {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid Input: orgUnitPath")
			return
		}
		if other := s.findLocked(u.PrimaryEmail, false); other != nil {
			apiError(w, http.StatusConflict, "duplicate", "Entity already exists.")
			return
		}
		u.Deleted, u.DeletedAt, u.OrgUnitPath = false, time.Time{}, in.OrgUnitPath
		w.WriteHeader(http.StatusNoContent)
	})
	s.route("GET /admin/directory/v1/users", scopeUser, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		q := r.URL.Query()
		customer, domain := q.Get("customer"), q.Get("domain")
		switch {
		case customer == "" && domain == "":
			apiError(w, http.StatusBadRequest, "badRequest", "Bad Request")
			return
		case customer != "" && customer != "my_customer" && customer != CustomerID,
			domain != "" && !strings.EqualFold(domain, Domain):
			apiError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api")
			return
		case q.Get("query") != "":
			// Not modelled: Google's search language is large; the fake
			// refuses rather than answer a filter it ignored.
			apiError(w, http.StatusBadRequest, "invalid", "googlefake: users.list query is not modelled")
			return
		}
		size := 100
		if v := q.Get("maxResults"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxListResults {
				apiError(w, http.StatusBadRequest, "invalid", "Invalid value for maxResults: "+v)
				return
			}
			size = n
		}
		from := 0
		if v := q.Get("pageToken"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				apiError(w, http.StatusBadRequest, "invalid", "Invalid page token")
				return
			}
			from = n
		}
		deleted := q.Get("showDeleted") == "true"
		var all []*User
		for _, u := range s.users {
			if (deleted && s.restorableLocked(u)) || (!deleted && !u.Deleted) {
				all = append(all, u)
			}
		}
		slices.SortFunc(all, func(a, b *User) int { return strings.Compare(a.PrimaryEmail, b.PrimaryEmail) })
		out := map[string]any{"kind": "admin#directory#users", "etag": `"fake-etag"`}
		page := []map[string]any{}
		for i := from; i < len(all) && i < from+size; i++ {
			page = append(page, userJSON(all[i]))
		}
		if len(page) > 0 {
			out["users"] = page
		}
		if from+size < len(all) {
			out["nextPageToken"] = strconv.Itoa(from + size)
		}
		writeJSON(w, http.StatusOK, out)
	})
}
