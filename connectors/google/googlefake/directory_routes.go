package googlefake

import (
	"net/http"
	"strings"
)

const (
	scopeUser         = "https://www.googleapis.com/auth/admin.directory.user"
	scopeUserSecurity = "https://www.googleapis.com/auth/admin.directory.user.security"
)

// userJSON is a Directory API User resource, the fields offboard reads.
func userJSON(u *User) map[string]any {
	return map[string]any{
		"kind": "admin#directory#user", "id": u.ID, "primaryEmail": u.PrimaryEmail,
		"name":      map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName, "fullName": strings.TrimSpace(u.GivenName + " " + u.FamilyName)},
		"suspended": u.Suspended, "archived": u.Archived, "isAdmin": u.IsAdmin, "customerId": CustomerID,
	}
}

// userOr404 finds the path's {userKey} (id or primary email), answering
// Google's 404 when there is none.
func (s *Server) userOr404(w http.ResponseWriter, r *http.Request) *User {
	u := s.findLocked(r.PathValue("userKey"), false)
	if u == nil {
		apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: userKey")
	}
	return u
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
}
