package jamffake

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// readBody reads a request body for the recorder and puts it back for the
// handler.
func readBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b)
}

// token is POST /api/oauth/token: client credentials in the form, as
// Jamf documents for API clients. Wrong credentials are 401
// invalid_client (Jamf's docs show no error body; the fake sends
// OAuth's).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	id, secret := f.Get("client_id"), f.Get("client_secret")
	if id == "" {
		// Basic auth is what some OAuth clients send; Jamf documents the
		// form fields, and the fake takes both.
		if u, p, ok := r.BasicAuth(); ok {
			id, _ = url.QueryUnescape(u)
			secret, _ = url.QueryUnescape(p)
		}
	}
	if id != ClientID || secret != ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "jamf-fake-" + hex.EncodeToString(b)
	s.mu.Lock()
	ttl := s.tokenTTL
	s.tokens[tok] = s.now().Add(ttl)
	s.tokenCount++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"scope": "api-role:1", "expires_in": int(ttl.Seconds())})
}
