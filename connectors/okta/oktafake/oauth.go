package oktafake

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The token endpoint follows Okta's "Implement OAuth for Okta with a
// service app" and "Configure OAuth 2.0 DPoP" guides and RFC 9449: the
// form is the request body (application/x-www-form-urlencoded), the client
// assertion is an RS256/ES256 JWT with iss = sub = client id, aud = the
// token endpoint, a jti Okta refuses to see twice and an exp at most an
// hour ahead.

// maxAssertionLife is how far ahead Okta accepts a client assertion's exp.
const maxAssertionLife = time.Hour

// ServiceApp is an OAuth 2.0 API Services app that authenticates with
// private_key_jwt.
type ServiceApp struct {
	ClientID string
	// Key is the public key registered in the app's JWKS (*rsa.PublicKey
	// or *ecdsa.PublicKey).
	Key    crypto.PublicKey
	Scopes []string
	// RequireDPoP is the app's "Require Demonstrating Proof of Possession
	// (DPoP) header in token requests" setting, on by default for apps
	// created since 2024.
	RequireDPoP bool
}

// oauthClient is a registered OAuth 2.0 service app.
type oauthClient struct {
	key         crypto.PublicKey
	scopes      []string
	requireDPoP bool
}

// issuedToken is an access token the fake handed out.
type issuedToken struct {
	clientID string
	jkt      string // thumbprint of the DPoP key it is bound to; "" = Bearer
	expires  time.Time
}

// AddServiceApp registers an OAuth 2.0 service app that authenticates
// with private_key_jwt and does not require DPoP.
func (s *Server) AddServiceApp(clientID string, key crypto.PublicKey, scopes ...string) {
	s.AddApp(ServiceApp{ClientID: clientID, Key: key, Scopes: scopes})
}

// AddApp registers (or replaces) an OAuth 2.0 service app.
func (s *Server) AddApp(a ServiceApp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = map[string]oauthClient{}
	}
	s.clients[a.ClientID] = oauthClient{key: a.Key, scopes: a.Scopes, requireDPoP: a.RequireDPoP}
}

// TokensIssued counts access tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accessTokens)
}

// RotateDPoPNonce replaces the server's DPoP nonce, as Okta does every few
// minutes: proofs carrying the old one are answered use_dpop_nonce.
func (s *Server) RotateDPoPNonce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dpopNonce = randomHex(12)
}

// ExpireTokens makes every access token issued so far expire now.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.accessTokens {
		t.expires = time.Now().Add(-time.Second)
		s.accessTokens[k] = t
	}
}

// Assertions returns the client assertions the token endpoint accepted,
// in order, so tests can inspect their claims or replay one.
func (s *Server) Assertions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.assertions...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// oauthError writes an OAuth error answer.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// serveToken answers POST /oauth2/v1/token for client credentials.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form.")
		return
	}
	// Okta documents the form in the body; SDK v2 sends it in the query,
	// which deployed Okta orgs accept, so both count (the body wins).
	form := r.Form
	if form.Get("grant_type") != "client_credentials" ||
		form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
		form.Get("client_assertion") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "want client_credentials with a jwt-bearer client_assertion in the body")
		return
	}
	endpoint := "http://" + r.Host + "/oauth2/v1/token"
	clientID, client, desc := s.checkAssertion(form.Get("client_assertion"), endpoint)
	if desc != "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", desc)
		return
	}
	for _, sc := range strings.Fields(form.Get("scope")) {
		if !slices.Contains(client.scopes, sc) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The following scopes are not allowed: "+sc)
			return
		}
	}
	jkt := ""
	proof := r.Header.Get("DPoP")
	switch {
	case proof == "" && client.requireDPoP:
		oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
		return
	case proof != "":
		p, code, desc := s.checkProof(proof, r.Method, endpoint)
		if code != "" {
			if code == "use_dpop_nonce" {
				w.Header().Set("DPoP-Nonce", s.nonce())
			}
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
		jkt = p.jkt
	}
	tok := "fake-access-" + randomHex(16)
	s.mu.Lock()
	if s.accessTokens == nil {
		s.accessTokens = map[string]issuedToken{}
	}
	s.accessTokens[tok] = issuedToken{clientID: clientID, jkt: jkt, expires: time.Now().Add(time.Hour)}
	s.assertions = append(s.assertions, form.Get("client_assertion"))
	s.mu.Unlock()
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"token_type": typ, "expires_in": 3600, "access_token": tok, "scope": form.Get("scope")})
}

type assertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud any    `json:"aud"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
	Jti string `json:"jti"`
}

// checkAssertion verifies a client assertion; desc says why it is refused.
func (s *Server) checkAssertion(token, audience string) (string, oauthClient, string) {
	const bad = "The client_assertion signature or claims are invalid."
	var claims assertionClaims
	hdr, payload, ok := parseJWT(token, &claims)
	if !ok {
		return "", oauthClient{}, bad
	}
	s.mu.Lock()
	client, known := s.clients[claims.Sub]
	s.mu.Unlock()
	if !known || claims.Iss != claims.Sub {
		return "", oauthClient{}, "The client_id is not known or iss and sub differ."
	}
	if !verifyJWS(client.key, hdr.Alg, payload) {
		return "", oauthClient{}, bad
	}
	now := time.Now()
	switch {
	case claims.Exp == 0 || !time.Unix(claims.Exp, 0).After(now):
		return "", oauthClient{}, "The client_assertion token is expired."
	case time.Unix(claims.Exp, 0).After(now.Add(maxAssertionLife + time.Minute)):
		return "", oauthClient{}, "The client_assertion token has an expiration too far in the future."
	case claims.Jti == "":
		return "", oauthClient{}, "The client_assertion token must have a jti claim."
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
		return "", oauthClient{}, "The audience of the client_assertion is not the token endpoint."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.assertionJTIs == nil {
		s.assertionJTIs = map[string]bool{}
	}
	if s.assertionJTIs[claims.Jti] {
		return "", oauthClient{}, "The client_assertion token has already been used."
	}
	s.assertionJTIs[claims.Jti] = true
	return claims.Sub, client, ""
}

// authorize checks the Authorization (and, for DPoP-bound tokens, the
// DPoP) header of an API request. It returns "" when the request may
// proceed, else the WWW-Authenticate value to answer 401 with.
func (s *Server) authorize(r *http.Request) (ok bool, challenge string) {
	auth := r.Header.Get("Authorization")
	s.mu.Lock()
	apiToken := s.token
	s.mu.Unlock()
	if auth == "SSWS "+apiToken || auth == "Bearer "+apiToken {
		return true, ""
	}
	scheme, tok, _ := strings.Cut(auth, " ")
	s.mu.Lock()
	issued, known := s.accessTokens[tok]
	s.mu.Unlock()
	if !known || time.Now().After(issued.expires) {
		return false, `Bearer error="invalid_token", error_description="The access token is invalid."`
	}
	if issued.jkt == "" {
		return scheme == "Bearer", `Bearer error="invalid_token", error_description="The access token is invalid."`
	}
	if scheme != "DPoP" {
		// A DPoP-bound token presented as a Bearer token.
		return false, `DPoP error="invalid_token", error_description="The access token is DPoP-bound."`
	}
	base := "http://" + r.Host
	p, code, desc := s.checkProof(r.Header.Get("DPoP"), r.Method, base+r.URL.Path, base+r.URL.EscapedPath())
	switch {
	case code == "use_dpop_nonce":
		return false, `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."`
	case code != "":
		return false, `DPoP error="invalid_dpop_proof", error_description="` + desc + `"`
	case p.jkt != issued.jkt:
		return false, `DPoP error="invalid_dpop_proof", error_description="The DPoP proof key is not the one the token is bound to."`
	case p.ath != athOf(tok):
		return false, `DPoP error="invalid_dpop_proof", error_description="The ath claim does not match the access token."`
	}
	return true, ""
}
