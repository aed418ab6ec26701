package googlefake

import (
	"net/http"
	"slices"
	"strconv"
)

// securityRoutes are the Directory API's per-user security resources
// offboard clears: OAuth tokens the user granted to apps (tokens),
// app-specific passwords (asps) and 2-Step Verification backup codes
// (verificationCodes). Google documents every one of them under the
// admin.directory.user.security scope, with {userKey} the primary email
// or the immutable id, and an empty 204 answer to delete and invalidate.
func (s *Server) securityRoutes() {
	const base = "/admin/directory/v1/users/{userKey}"
	s.route("GET "+base+"/tokens", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		items := make([]map[string]any, 0, len(u.Tokens))
		for _, t := range u.Tokens {
			items = append(items, tokenJSON(u, t))
		}
		writeJSON(w, http.StatusOK, listJSON("admin#directory#tokenList", items))
	})
	s.route("GET "+base+"/tokens/{clientId}", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		i := slices.IndexFunc(u.Tokens, func(t Token) bool { return t.ClientID == r.PathValue("clientId") })
		if i < 0 {
			apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: clientId")
			return
		}
		writeJSON(w, http.StatusOK, tokenJSON(u, u.Tokens[i]))
	})
	// tokens.delete removes every token the user issued to the client id;
	// an unknown client id is Google's 404 (its docs are silent on the
	// status: the fake answers as its other not-found resources do).
	s.route("DELETE "+base+"/tokens/{clientId}", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil || !emptyBody(w, r) {
			return
		}
		n := len(u.Tokens)
		u.Tokens = slices.DeleteFunc(u.Tokens, func(t Token) bool { return t.ClientID == r.PathValue("clientId") })
		if len(u.Tokens) == n {
			apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: clientId")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	s.route("GET "+base+"/asps", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		items := make([]map[string]any, 0, len(u.ASPs))
		for _, a := range u.ASPs {
			items = append(items, aspJSON(u, a))
		}
		writeJSON(w, http.StatusOK, listJSON("admin#directory#aspList", items))
	})
	asp := func(w http.ResponseWriter, r *http.Request) (*User, int) {
		u := s.userOr404(w, r)
		if u == nil {
			return nil, -1
		}
		id, err := strconv.ParseInt(r.PathValue("codeId"), 10, 64)
		if err != nil {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for codeId: "+r.PathValue("codeId"))
			return nil, -1
		}
		i := slices.IndexFunc(u.ASPs, func(a ASP) bool { return a.CodeID == id })
		if i < 0 {
			apiError(w, http.StatusNotFound, "notFound", "Resource Not Found: codeId")
		}
		return u, i
	}
	s.route("GET "+base+"/asps/{codeId}", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		if u, i := asp(w, r); i >= 0 {
			writeJSON(w, http.StatusOK, aspJSON(u, u.ASPs[i]))
		}
	})
	s.route("DELETE "+base+"/asps/{codeId}", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		if !emptyBody(w, r) {
			return
		}
		if u, i := asp(w, r); i >= 0 {
			u.ASPs = slices.Delete(u.ASPs, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		}
	})

	// verificationCodes.list returns the valid codes only: "Invalidated or
	// used verification codes are not returned".
	s.route("GET "+base+"/verificationCodes", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil {
			return
		}
		items := make([]map[string]any, 0, len(u.BackupCodes))
		for _, c := range u.BackupCodes {
			items = append(items, map[string]any{"kind": "admin#directory#verificationCode", "userId": u.ID, "verificationCode": c})
		}
		writeJSON(w, http.StatusOK, listJSON("admin#directory#verificationCodesList", items))
	})
	s.route("POST "+base+"/verificationCodes/invalidate", scopeUserSecurity, true, func(w http.ResponseWriter, r *http.Request, _ *User) {
		u := s.userOr404(w, r)
		if u == nil || !emptyBody(w, r) {
			return
		}
		u.BackupCodes = nil
		w.WriteHeader(http.StatusNoContent)
	})
}

// listJSON is a Directory API list: Google leaves items out when empty.
func listJSON(kind string, items []map[string]any) map[string]any {
	out := map[string]any{"kind": kind, "etag": `"fake-etag"`}
	if len(items) > 0 {
		out["items"] = items
	}
	return out
}

func tokenJSON(u *User, t Token) map[string]any {
	return map[string]any{"kind": "admin#directory#token", "clientId": t.ClientID, "displayText": t.DisplayText,
		"scopes": t.Scopes, "userKey": u.ID, "anonymous": false, "nativeApp": false}
}

func aspJSON(u *User, a ASP) map[string]any {
	// creationTime and lastTimeUsed are int64 strings in milliseconds;
	// the fake keeps neither and answers 0 as Google does for "never".
	return map[string]any{"kind": "admin#directory#asp", "codeId": a.CodeID, "name": a.Name, "userKey": u.ID,
		"creationTime": "0", "lastTimeUsed": "0"}
}

// emptyBody refuses a body where Google's docs say "The request body
// must be empty".
func emptyBody(w http.ResponseWriter, r *http.Request) bool {
	var b [1]byte
	if n, _ := r.Body.Read(b[:]); n > 0 {
		apiError(w, http.StatusBadRequest, "invalid", "Invalid JSON payload received. The request body must be empty.")
		return false
	}
	return true
}
