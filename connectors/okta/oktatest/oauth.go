package oktatest

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

// oauthClient is a registered OAuth 2.0 service app.
type oauthClient struct {
	key    *rsa.PublicKey
	scopes []string
}

// AddServiceApp registers an OAuth 2.0 service app that authenticates
// with private_key_jwt: the fake checks the client assertion's RS256
// signature with key, its issuer, subject, audience and expiry, and
// grants only the scopes listed.
func (s *Server) AddServiceApp(clientID string, key *rsa.PublicKey, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = map[string]oauthClient{}
	}
	s.clients[clientID] = oauthClient{key: key, scopes: scopes}
}

// TokensIssued counts access tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accessTokens)
}

// serveToken answers POST /oauth2/v1/token for client credentials with a
// signed client assertion (the SDK puts the form in the query string).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := r.ParseForm(); err == nil {
		for k, v := range r.PostForm {
			q[k] = v
		}
	}
	fail := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if q.Get("grant_type") != "client_credentials" ||
		q.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		fail("invalid_request", "want client_credentials with a jwt-bearer client assertion")
		return
	}
	claims, client, ok := s.checkAssertion(q.Get("client_assertion"), "http://"+r.Host+"/oauth2/v1/token")
	if !ok {
		fail("invalid_client", "The client_assertion signature or claims are invalid.")
		return
	}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(client.scopes, sc) {
			fail("invalid_scope", "The following scopes are not granted: "+sc)
			return
		}
	}
	buf := make([]byte, 16)
	rand.Read(buf)
	tok := "fake-access-" + hex.EncodeToString(buf)
	s.mu.Lock()
	if s.accessTokens == nil {
		s.accessTokens = map[string]string{}
	}
	s.accessTokens[tok] = claims.Sub
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": tok, "scope": q.Get("scope")})
}

type assertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud any    `json:"aud"`
	Exp int64  `json:"exp"`
}

func (s *Server) checkAssertion(jwt, audience string) (assertionClaims, oauthClient, bool) {
	var claims assertionClaims
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return claims, oauthClient{}, false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil || header.Alg != "RS256" {
		return claims, oauthClient{}, false
	}
	s.mu.Lock()
	client, ok := s.clients[claims.Sub]
	s.mu.Unlock()
	if !ok || claims.Iss != claims.Sub || time.Unix(claims.Exp, 0).Before(time.Now()) {
		return claims, oauthClient{}, false
	}
	switch aud := claims.Aud.(type) {
	case string:
		ok = aud == audience
	case []any:
		ok = slices.Contains(aud, any(audience))
	default:
		ok = false
	}
	if !ok {
		return claims, oauthClient{}, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(client.key, crypto.SHA256, digest[:], sig) != nil {
		return claims, oauthClient{}, false
	}
	return claims, client, true
}

// accessTokenValid reports whether auth is "Bearer <token issued here>".
func (s *Server) accessTokenValid(auth string) bool {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok = s.accessTokens[tok]
	return ok
}
