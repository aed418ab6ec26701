package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Documented application permissions per call, least privileged first
// (Microsoft Graph v1.0 reference, "Permissions" of each page).
var (
	permReadUser      = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	permEnableDisable = []string{"User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	permRevoke        = []string{"User.RevokeSessions.All"}
	permMethodsRead   = []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
	permMethodsWrite  = []string{"UserAuthenticationMethod.ReadWrite.All"}
	permGrantsRead    = []string{"Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"}
	permGrantsWrite   = []string{"DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"}
	permMemberOf      = []string{"Directory.Read.All", "Directory.ReadWrite.All"}
)

// methodSegments maps a delete endpoint to the method type it deletes.
var methodSegments = map[string]string{
	"microsoftAuthenticatorMethods":  "microsoftAuthenticatorAuthenticationMethod",
	"phoneMethods":                   "phoneAuthenticationMethod",
	"fido2Methods":                   "fido2AuthenticationMethod",
	"softwareOathMethods":            "softwareOathAuthenticationMethod",
	"emailMethods":                   "emailAuthenticationMethod",
	"windowsHelloForBusinessMethods": "windowsHelloForBusinessAuthenticationMethod",
	"temporaryAccessPassMethods":     "temporaryAccessPassAuthenticationMethod",
}

var (
	reUser       = regexp.MustCompile(`^/v1\.0/users/([^/]+)$`)
	reRevoke     = regexp.MustCompile(`^/v1\.0/users/([^/]+)/revokeSignInSessions$`)
	reMethods    = regexp.MustCompile(`^/v1\.0/users/([^/]+)/authentication/methods$`)
	reMethod     = regexp.MustCompile(`^/v1\.0/users/([^/]+)/authentication/([A-Za-z0-9]+)/([^/]+)$`)
	reRoles      = regexp.MustCompile(`^/v1\.0/users/([^/]+)/memberOf/microsoft\.graph\.directoryRole$`)
	reGrant      = regexp.MustCompile(`^/v1\.0/oauth2PermissionGrants/([^/]+)$`)
	reMailFilter = regexp.MustCompile(`^mail eq '((?:[^']|'')*)'$`)
	rePrincipal  = regexp.MustCompile(`^principalId eq '([^']*)'$`)
)

// statusRecorder keeps the answer's status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
		s.mu.Unlock()
	}()
	if r.URL.Path == "/"+TenantID+"/oauth2/v2.0/token" {
		s.token(rec, r)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		tokenError(rec, http.StatusBadRequest, "invalid_request", "AADSTS90002: Tenant not found.")
		return
	}
	if r.URL.Path == "/v1.0/$batch" {
		s.batch(rec, r)
		return
	}
	s.graph(rec, r)
}

// graphError answers in Graph's error shape.
func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id": newID(), "client-request-id": newID()}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, known := s.tokens[tok]; !ok || !known || !exp.After(s.now()) {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid.")
		return
	}
	if s.throttle > 0 {
		s.throttle--
		w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		return
	}
	if !s.chargeIdentity(w, r) {
		return
	}
	if s.unavailable > 0 {
		s.unavailable--
		if s.unavailRA > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(s.unavailRA))
		}
		graphError(w, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
		return
	}
	p := r.URL.Path
	if s.directory(w, r) || s.people(w, r) || s.intune(w, r) || s.deleted(w, r) {
		return
	}
	switch {
	case p == "/v1.0/users" && r.Method == http.MethodGet:
		s.listUsers(w, r)
	case reUser.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permReadUser) {
			if u := s.findUser(w, reUser.FindStringSubmatch(p)[1]); u != nil {
				writeJSON(w, http.StatusOK, userJSON(u))
			}
		}
	case reUser.MatchString(p) && r.Method == http.MethodPatch:
		s.patchUser(w, r, reUser.FindStringSubmatch(p)[1])
	case reRevoke.MatchString(p) && r.Method == http.MethodPost:
		if s.allowed(w, permRevoke) {
			if u := s.findUser(w, reRevoke.FindStringSubmatch(p)[1]); u != nil {
				u.SessionsValidFrom = s.now().UTC().Truncate(time.Second)
				writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true})
			}
		}
	case reMethods.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permMethodsRead) {
			if u := s.findUser(w, reMethods.FindStringSubmatch(p)[1]); u != nil {
				list := []map[string]string{{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"}}
				for _, m := range u.Methods {
					list = append(list, map[string]string{"@odata.type": "#microsoft.graph." + m.Type, "id": m.ID})
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": list})
			}
		}
	case reMethod.MatchString(p) && r.Method == http.MethodDelete:
		m := reMethod.FindStringSubmatch(p)
		s.deleteMethod(w, m[1], m[2], m[3])
	case reRoles.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permMemberOf) {
			if u := s.findUser(w, reRoles.FindStringSubmatch(p)[1]); u != nil {
				var list []map[string]string
				for _, name := range u.Roles {
					list = append(list, map[string]string{"@odata.type": "#microsoft.graph.directoryRole", "displayName": name})
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": list})
			}
		}
	case p == "/v1.0/oauth2PermissionGrants" && r.Method == http.MethodGet:
		s.listGrants(w, r)
	case reGrant.MatchString(p) && r.Method == http.MethodDelete:
		if s.allowed(w, permGrantsWrite) {
			id := reGrant.FindStringSubmatch(p)[1]
			if _, ok := s.grants[id]; !ok {
				graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
				return
			}
			delete(s.grants, id)
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", p))
	}
}

// allowed answers 403 unless the app holds one of perms.
func (s *Server) allowed(w http.ResponseWriter, perms []string) bool {
	if slices.ContainsFunc(perms, func(p string) bool { return s.perms[p] }) {
		return true
	}
	graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	return false
}

// findUser finds a user by id or user principal name, or answers 404.
func (s *Server) findUser(w http.ResponseWriter, key string) *User {
	if u, ok := s.users[key]; ok {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.UserPrincipalName, key) {
			return u
		}
	}
	graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
	return nil
}

func userJSON(u *User) map[string]any {
	out := map[string]any{"id": u.ID, "userPrincipalName": u.UserPrincipalName, "mail": u.Mail,
		"displayName": u.DisplayName, "accountEnabled": u.AccountEnabled}
	states := []map[string]any{}
	for _, l := range u.Licenses {
		var by any
		if l.AssignedByGroup != "" {
			by = l.AssignedByGroup
		}
		states = append(states, map[string]any{"skuId": l.SkuID, "assignedByGroup": by, "state": "Active"})
	}
	out["licenseAssignmentStates"] = states
	if !u.SessionsValidFrom.IsZero() {
		out["signInSessionsValidFromDateTime"] = u.SessionsValidFrom.UTC().Format(time.RFC3339)
	}
	return out
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, permReadUser) {
		return
	}
	q := r.URL.Query()
	filter := q.Get("$filter")
	m := reMailFilter.FindStringSubmatch(filter)
	if filter != "" && m == nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified.")
		return
	}
	s.userPage(w, r, m)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, key string) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload.")
		return
	}
	raw, ok := body["accountEnabled"]
	if !ok || len(body) != 1 {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "The fake updates accountEnabled only.")
		return
	}
	var enabled bool
	if err := json.Unmarshal(raw, &enabled); err != nil {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'accountEnabled' of resource 'User'.")
		return
	}
	if !s.allowed(w, permEnableDisable) {
		return
	}
	u := s.findUser(w, key)
	if u == nil {
		return
	}
	// Microsoft: updating accountEnabled of a user with a privileged
	// administrator role needs the app to hold a higher privileged role.
	if len(u.Roles) > 0 && !s.privileged {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	u.AccountEnabled = enabled
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteMethod(w http.ResponseWriter, userKey, segment, id string) {
	typ, ok := methodSegments[segment]
	if !ok {
		if segment == "passwordMethods" {
			graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "The password method cannot be deleted.")
			return
		}
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segment))
		return
	}
	if !s.allowed(w, permMethodsWrite) {
		return
	}
	u := s.findUser(w, userKey)
	if u == nil {
		return
	}
	i := slices.IndexFunc(u.Methods, func(m Method) bool { return m.ID == id && m.Type == typ })
	if i < 0 {
		graphError(w, http.StatusNotFound, "itemNotFound", "The requested authentication method was not found.")
		return
	}
	u.Methods = slices.Delete(u.Methods, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listGrants(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, permGrantsRead) {
		return
	}
	filter := r.URL.Query().Get("$filter")
	m := rePrincipal.FindStringSubmatch(filter)
	if filter != "" && m == nil {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified.")
		return
	}
	list := []map[string]string{}
	for _, g := range s.grants {
		if m == nil || g.PrincipalID == m[1] {
			list = append(list, map[string]string{"id": g.ID, "clientId": g.ClientID, "principalId": g.PrincipalID,
				"resourceId": g.ResourceID, "scope": g.Scope, "consentType": "Principal"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": list})
}
