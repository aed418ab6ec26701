package graphfake

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Deleting a user and restoring it: Graph moves a deleted user to the
// directory's deleted items, where it stays restorable for 30 days.
var (
	// permDeleteUser: user-delete documents User.ReadWrite.All as the only
	// application permission.
	permDeleteUser = []string{"User.ReadWrite.All"}
	// permRestoreUser: directory-deleteditems-restore, resource user.
	permRestoreUser = []string{"User.DeleteRestore.All", "User.ReadWrite.All"}
	permReadDeleted = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}
)

// DeletePermission is the application permission the delete action needs
// beyond LeastPrivilege; the fake does not grant it by default, as an
// app registered from the README without delete_after would not hold it.
const DeletePermission = "User.ReadWrite.All"

var (
	reDeletedItem    = regexp.MustCompile(`^/v1\.0/directory/deletedItems/([^/]+)$`)
	reDeletedRestore = regexp.MustCompile(`^/v1\.0/directory/deletedItems/([^/]+)/restore$`)
)

// deletedUser is a user in deleted items.
type deletedUser struct {
	user *User
	at   time.Time
}

// deleted answers the delete and deleted-items routes; false when r is
// not one of them. The caller holds s.mu.
func (s *Server) deleted(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	switch {
	case reUser.MatchString(p) && r.Method == http.MethodDelete:
		if !s.allowed(w, permDeleteUser) {
			return true
		}
		u := s.findUser(w, reUser.FindStringSubmatch(p)[1])
		if u == nil {
			return true
		}
		if len(u.Roles) > 0 && !s.privileged {
			// As Microsoft documents: User.ReadWrite.All is not enough to
			// delete a user holding a privileged administrator role.
			graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
			return true
		}
		delete(s.users, u.ID)
		s.deletedUsers[u.ID] = &deletedUser{user: u, at: s.now().UTC().Truncate(time.Second)}
		// Entra frees a deleted user's name by prefixing it with the
		// object id without hyphens; a restore gives it back.
		u.UserPrincipalName = strings.ReplaceAll(u.ID, "-", "") + u.UserPrincipalName
		w.WriteHeader(http.StatusNoContent)
	case reDeletedItem.MatchString(p) && r.Method == http.MethodGet:
		if !s.allowed(w, permReadDeleted) {
			return true
		}
		id := reDeletedItem.FindStringSubmatch(p)[1]
		d, ok := s.deletedUsers[id]
		if !ok {
			graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
			return true
		}
		body := userJSON(d.user)
		body["@odata.type"] = "#microsoft.graph.user"
		body["deletedDateTime"] = d.at.Format(time.RFC3339)
		writeJSON(w, http.StatusOK, body)
	case reDeletedRestore.MatchString(p) && r.Method == http.MethodPost:
		if !s.allowed(w, permRestoreUser) {
			return true
		}
		id := reDeletedRestore.FindStringSubmatch(p)[1]
		d, ok := s.deletedUsers[id]
		if !ok {
			graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
			return true
		}
		delete(s.deletedUsers, id)
		d.user.UserPrincipalName = strings.TrimPrefix(d.user.UserPrincipalName, strings.ReplaceAll(id, "-", ""))
		s.users[id] = d.user
		body := userJSON(d.user)
		body["@odata.type"] = "#microsoft.graph.user"
		writeJSON(w, http.StatusOK, body)
	default:
		return false
	}
	return true
}

// Deleted reports whether the user with id is in deleted items.
func (s *Server) Deleted(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.deletedUsers[id]
	return ok
}
