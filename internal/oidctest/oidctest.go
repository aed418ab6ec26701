// Package oidctest is a small OpenID Connect provider for tests: a real
// HTTP server on loopback that speaks the authorization-code flow as
// OpenID Connect Core 1.0 and Discovery 1.0 describe it, so the real
// client libraries run against it.
//
// It serves the discovery document (/.well-known/openid-configuration),
// its signing keys as a JWK Set (/jwks), /authorize (which signs in the
// configured test user at once, with no login form, and redirects back
// with a code) and /token (which checks the client, the redirect URI and
// the PKCE verifier, and returns an RS256-signed ID token). Tests can
// change who signs in next, tamper with the next ID token's claims, or
// sign it with a key the JWK Set does not hold.
//
// It imports only the standard library: it is written from the
// specifications, not from the client library it tests.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// User is the person /authorize signs in.
type User struct {
	Subject string
	Email   string
	Name    string
	// EmailVerified is the email_verified claim; nil leaves it out (as
	// Entra ID does).
	EmailVerified *bool
}

// Verified is a helper for User.EmailVerified.
func Verified(v bool) *bool { return &v }

// Options configure a Server.
type Options struct {
	ClientID     string
	ClientSecret string
	// RedirectURIs are the registered redirect URIs; /authorize refuses
	// any other, as the spec demands.
	RedirectURIs []string
	// User signs in at /authorize until SetUser changes it.
	User User
	// TokenTTL is the ID token's lifetime; default 1h.
	TokenTTL time.Duration
}

// Server is a running fake provider.
type Server struct {
	o   Options
	srv *http.Server
	ln  net.Listener
	url string
	key *rsa.PrivateKey
	kid string
	// rogue signs forged tokens: same kid, a key the JWK Set lacks.
	rogue *rsa.PrivateKey

	mu     sync.Mutex
	user   User
	codes  map[string]*grant
	tamper func(claims map[string]any)
	forge  bool
	// Requests counts calls per path, for tests that want to know the
	// client went where it should.
	requests map[string]int
}

// grant is an authorization code waiting to be redeemed.
type grant struct {
	clientID    string
	redirectURI string
	nonce       string
	challenge   string
	method      string
	user        User
	expires     time.Time
	used        bool
}

// New starts a provider on a loopback port.
func New(o Options) (*Server, error) {
	if o.ClientID == "" || o.ClientSecret == "" || len(o.RedirectURIs) == 0 {
		return nil, fmt.Errorf("oidctest: ClientID, ClientSecret and RedirectURIs are required")
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = time.Hour
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, ln: ln, url: "http://" + ln.Addr().String(), key: key, rogue: rogue, kid: "test-key-1",
		user: o.User, codes: map[string]*grant{}, requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	s.srv = &http.Server{Handler: s.count(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the issuer identifier (scheme, host and port, no path).
func (s *Server) URL() string { return s.url }

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// SetUser changes who signs in at the next /authorize.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// Tamper changes the claims of every ID token issued from now on (nil
// stops it): a wrong audience, an expiry in the past, another issuer.
func (s *Server) Tamper(fn func(claims map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper = fn
}

// Forge makes /token sign ID tokens with a key that is not in the JWK
// Set (under the published key id), as an attacker would.
func (s *Server) Forge(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forge = on
}

// Requests returns how often path was requested.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.URL.Path]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// discovery is the provider metadata of OpenID Connect Discovery 1.0 §3.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.url,
		"authorization_endpoint":                s.url + "/authorize",
		"token_endpoint":                        s.url + "/token",
		"jwks_uri":                              s.url + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"},
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwks publishes the signing key (RFC 7517, RSA parameters of RFC 7518 §6.3).
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return b64(b)
}

// authorize is the authorization endpoint (Core §3.1.2). An unknown
// client or redirect URI gets an error page, never a redirect; other
// errors go back to the client as error and state parameters.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != s.o.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	registered := false
	for _, u := range s.o.RedirectURIs {
		registered = registered || u == redirect
	}
	if !registered {
		http.Error(w, "redirect_uri is not registered for this client", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		sep := "?"
		if strings.Contains(redirect, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+params.Encode(), http.StatusFound)
	}
	scopes := strings.Fields(q.Get("scope"))
	hasOpenID := false
	for _, sc := range scopes {
		hasOpenID = hasOpenID || sc == "openid"
	}
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	case !hasOpenID:
		back(url.Values{"error": {"invalid_scope"}, "error_description": {"the openid scope is required"}})
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"only S256 code challenges"}})
		return
	}
	code := randomString()
	s.mu.Lock()
	s.codes[code] = &grant{clientID: s.o.ClientID, redirectURI: redirect, nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), user: s.user,
		expires: time.Now().Add(time.Minute)}
	s.mu.Unlock()
	back(url.Values{"code": {code}})
}

// tokenError answers as RFC 6749 §5.2 says.
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// token is the token endpoint (Core §3.1.3): client authentication by
// client_secret_basic or client_secret_post, a code used once, the same
// redirect URI, and the PKCE verifier (RFC 7636 §4.6).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: form-urlencoded before Basic encoding.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.o.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.o.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	s.mu.Lock()
	g := s.codes[r.PostForm.Get("code")]
	valid := g != nil && !g.used && time.Now().Before(g.expires)
	if g != nil {
		g.used = true
	}
	tamper, forge := s.tamper, s.forge
	s.mu.Unlock()
	switch {
	case !valid:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown, expired or used code")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
		return
	case g.challenge != "":
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if subtle.ConstantTimeCompare([]byte(b64(sum[:])), []byte(g.challenge)) != 1 {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
	}
	now := time.Now()
	claims := map[string]any{
		"iss": s.url, "sub": g.user.Subject, "aud": s.o.ClientID,
		"iat": now.Unix(), "exp": now.Add(s.o.TokenTTL).Unix(), "auth_time": now.Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if g.user.Email != "" {
		claims["email"] = g.user.Email
	}
	if g.user.EmailVerified != nil {
		claims["email_verified"] = *g.user.EmailVerified
	}
	if g.user.Name != "" {
		claims["name"] = g.user.Name
	}
	if tamper != nil {
		tamper(claims)
	}
	key := s.key
	if forge {
		key = s.rogue
	}
	idToken, err := s.sign(key, claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomString(), "token_type": "Bearer", "expires_in": int(s.o.TokenTTL.Seconds()),
		"id_token": idToken, "scope": "openid email profile",
	})
}

// sign makes a JWS compact serialization with RS256 (RFC 7515, 7518 §3.3).
func (s *Server) sign(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": s.kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}
