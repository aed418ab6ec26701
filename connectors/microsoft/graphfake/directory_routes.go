package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
)

// Documented application permissions of the deactivation calls.
var (
	permGroupsRead     = []string{"GroupMember.Read.All", "GroupMember.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permGroupMember    = []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	permLicenseRead    = append([]string{"LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All"}, permReadUser...)
	permLicenseAssign  = []string{"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	permAppRolesRead   = []string{"Directory.Read.All", "AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"}
	permAppRolesDelete = []string{"AppRoleAssignment.ReadWrite.All"}
)

var (
	reUserGroups   = regexp.MustCompile(`^/v1\.0/users/([^/]+)/memberOf/microsoft\.graph\.group$`)
	reMemberRef    = regexp.MustCompile(`^/v1\.0/groups/([^/]+)/members/([^/]+)/\$ref$`)
	reLicenses     = regexp.MustCompile(`^/v1\.0/users/([^/]+)/licenseDetails$`)
	reAssign       = regexp.MustCompile(`^/v1\.0/users/([^/]+)/assignLicense$`)
	reAppRoles     = regexp.MustCompile(`^/v1\.0/users/([^/]+)/appRoleAssignments$`)
	reAppRole      = regexp.MustCompile(`^/v1\.0/users/([^/]+)/appRoleAssignments/([^/]+)$`)
	directoryPaths = []*regexp.Regexp{reUserGroups, reMemberRef, reLicenses, reAssign, reAppRoles, reAppRole}
)

// directory serves the deactivation routes; false when p is none of them.
func (s *Server) directory(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !slices.ContainsFunc(directoryPaths, func(re *regexp.Regexp) bool { return re.MatchString(p) }) {
		return false
	}
	switch {
	case reUserGroups.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permGroupsRead) {
			if u := s.findUser(w, reUserGroups.FindStringSubmatch(p)[1]); u != nil {
				list := []map[string]any{}
				for _, gid := range u.Groups {
					g := s.groups[gid]
					if g == nil {
						continue
					}
					types := []string{}
					rule := ""
					if g.Dynamic {
						types, rule = []string{"DynamicMembership"}, `user.department -eq "Sales"`
					}
					list = append(list, map[string]any{"id": g.ID, "displayName": g.DisplayName, "groupTypes": types,
						"membershipRule": rule, "onPremisesSyncEnabled": g.OnPremises, "securityEnabled": true, "mailEnabled": false})
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": list})
			}
		}
	case reMemberRef.MatchString(p) && r.Method == http.MethodDelete:
		m := reMemberRef.FindStringSubmatch(p)
		if !s.allowed(w, permGroupMember) {
			return true
		}
		g := s.groups[m[1]]
		u := s.findUser(w, m[2])
		if u == nil {
			return true
		}
		i := slices.Index(u.Groups, m[1])
		switch {
		case g == nil || i < 0:
			graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", m[2]))
		case g.Dynamic:
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Insufficient privileges to complete the operation. Members of a group with dynamic membership cannot be changed.")
		case g.OnPremises:
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		default:
			u.Groups = slices.Delete(u.Groups, i, i+1)
			u.Licenses = slices.DeleteFunc(u.Licenses, func(l License) bool { return l.AssignedByGroup == g.ID })
			w.WriteHeader(http.StatusNoContent)
		}
	case reLicenses.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permLicenseRead) {
			if u := s.findUser(w, reLicenses.FindStringSubmatch(p)[1]); u != nil {
				list := []map[string]string{}
				seen := map[string]bool{}
				for _, l := range u.Licenses {
					if !seen[l.SkuID] {
						seen[l.SkuID] = true
						list = append(list, map[string]string{"id": newID(), "skuId": l.SkuID, "skuPartNumber": l.SkuPartNumber})
					}
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": list})
			}
		}
	case reAssign.MatchString(p) && r.Method == http.MethodPost:
		var body struct {
			AddLicenses    []json.RawMessage `json:"addLicenses"`
			RemoveLicenses []string          `json:"removeLicenses"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AddLicenses == nil {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.")
			return true
		}
		if !s.allowed(w, permLicenseAssign) {
			return true
		}
		u := s.findUser(w, reAssign.FindStringSubmatch(p)[1])
		if u == nil {
			return true
		}
		for _, sku := range body.RemoveLicenses {
			direct := slices.IndexFunc(u.Licenses, func(l License) bool { return l.SkuID == sku && l.AssignedByGroup == "" })
			if direct < 0 {
				graphError(w, http.StatusBadRequest, "Request_BadRequest", "User license is inherited from a group membership and it cannot be removed directly from the user.")
				return true
			}
		}
		u.Licenses = slices.DeleteFunc(u.Licenses, func(l License) bool {
			return l.AssignedByGroup == "" && slices.Contains(body.RemoveLicenses, l.SkuID)
		})
		writeJSON(w, http.StatusOK, userJSON(u))
	case reAppRoles.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permAppRolesRead) {
			if u := s.findUser(w, reAppRoles.FindStringSubmatch(p)[1]); u != nil {
				list := []map[string]string{}
				for _, a := range u.AppRoles {
					list = append(list, map[string]string{"id": a.ID, "principalId": u.ID, "resourceDisplayName": a.Resource})
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": list})
			}
		}
	case reAppRole.MatchString(p) && r.Method == http.MethodDelete:
		m := reAppRole.FindStringSubmatch(p)
		if !s.allowed(w, permAppRolesDelete) {
			return true
		}
		if u := s.findUser(w, m[1]); u != nil {
			i := slices.IndexFunc(u.AppRoles, func(a AppRole) bool { return a.ID == m[2] })
			if i < 0 {
				graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", m[2]))
				return true
			}
			u.AppRoles = slices.Delete(u.AppRoles, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "The HTTP method is not allowed for this resource.")
	}
	return true
}
