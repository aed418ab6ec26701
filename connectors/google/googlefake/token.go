package googlefake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// tokenLifetime is how long an access token lives, as Google's do.
const tokenLifetime = time.Hour

// maxAssertionLife is the longest exp-iat Google accepts in an
// assertion.
const maxAssertionLife = time.Hour

// clockSkew is the slack allowed on iat and exp.
const clockSkew = 5 * time.Minute

func tokenError(w http.ResponseWriter, code int, errCode, desc string) {
	writeJSON(w, code, map[string]string{"error": errCode, "error_description": desc})
}

// token serves POST /token: the JWT-bearer grant of a service account
// (RFC 7523), as Google documents for server-to-server apps with
// domain-wide delegation.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "Could not read the form.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	claims, ok := s.verifyAssertion(r.PostForm.Get("assertion"))
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := s.clock()
	switch {
	case claims.Iss != ClientEmail:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: iss is not a known service account.")
		return
	case claims.Aud != s.URL+"/token":
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Failed audience check.")
		return
	case claims.Exp-claims.Iat > int64(maxAssertionLife/time.Second):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	case time.Unix(claims.Exp, 0).Add(clockSkew).Before(now) || time.Unix(claims.Iat, 0).Add(-clockSkew).After(now):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	scopes := strings.Fields(claims.Scope)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(scopes) == 0 {
		tokenError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	for _, sc := range scopes {
		if !s.delegated[sc] {
			tokenError(w, http.StatusUnauthorized, "unauthorized_client",
				"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	}
	// Domain-wide delegation acts as a user of the domain; a suspended or
	// unknown one cannot be acted as.
	u := s.findLocked(claims.Sub, false)
	if claims.Sub == "" || u == nil || u.Suspended {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
		return
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	tok := "ya29.fake-" + hex.EncodeToString(raw)
	s.tokens[tok] = grant{subject: u.ID, scopes: scopes, expires: now.Add(tokenLifetime)}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": int(tokenLifetime / time.Second), "token_type": "Bearer"})
}

type assertionClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
	Sub   string `json:"sub"`
}

// verifyAssertion checks an RS256 JWT against the service account's
// public key and returns its claims.
func (s *Server) verifyAssertion(a string) (assertionClaims, bool) {
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		return assertionClaims{}, false
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "RS256" {
		return assertionClaims{}, false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return assertionClaims{}, false
	}
	var c assertionClaims
	if json.Unmarshal(cb, &c) != nil {
		return assertionClaims{}, false
	}
	return c, true
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// handler serves one API route: the user the token acts as, with the
// fake's lock held (a handler must not call the Server's exported
// methods).
type handler func(w http.ResponseWriter, r *http.Request, actor *User)

// route registers an API route that needs scope, and an administrator
// when admin is set. It answers an injected throttle first, then 401 for
// a missing or expired token, then 403 for a missing scope or a
// non-admin actor, as Google does.
func (s *Server) route(pattern, scope string, admin bool, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.throttle) > 0 {
			t := s.throttle[0]
			s.throttle = s.throttle[1:]
			if t.retryAfter > 0 {
				w.Header().Set("Retry-After", itoa(t.retryAfter))
			}
			apiError(w, t.status, t.reason, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.")
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		g, known := s.tokens[tok]
		if !ok || !known || !g.expires.After(s.now()) {
			apiError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
			return
		}
		if !slices.Contains(g.scopes, scope) {
			apiError(w, http.StatusForbidden, "insufficientPermissions", "Request had insufficient authentication scopes.")
			return
		}
		actor := s.users[g.subject]
		if actor == nil || actor.Deleted || actor.Suspended {
			apiError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials.")
			return
		}
		r.Header.Set(subjectHeader, actor.PrimaryEmail)
		if admin && !actor.IsAdmin {
			apiError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api")
			return
		}
		h(w, r, actor)
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
