package okta

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// In OAuth mode offboard gets the access token itself instead of letting
// SDK v2 do it: the SDK parses only PKCS#1 keys, signs assertions without
// a jti (replayable for an hour) and cannot do DPoP (RFC 9449), which API
// Services apps require by default. The SDK runs in Bearer mode with
// sdkPlaceholder as its token; oauthTransport swaps it for the real
// Authorization (and DPoP proof) on the way out.
const sdkPlaceholder = "offboard-oauth-placeholder"

const (
	// assertionLife is the client assertion's exp: short, so one seen on
	// the wire is soon useless (its jti stops even that).
	assertionLife = 2 * time.Minute
	// tokenSlack renews the access token this long before Okta's expiry.
	tokenSlack = time.Minute
	// maxTokenBody bounds what is read of a token endpoint answer.
	maxTokenBody = 64 << 10
)

// DPoP modes (okta.dpop).
const (
	dpopAuto = "auto"
	dpopOn   = "on"
	dpopOff  = "off"
)

// accessToken is a cached access token.
type accessToken struct {
	value   string
	dpop    bool // token_type DPoP: send "Authorization: DPoP" and a proof
	expires time.Time
}

// oauthSource signs client assertions, gets and caches access tokens and
// builds DPoP proofs. It is safe for concurrent use.
type oauthSource struct {
	next     http.RoundTripper // the pacing transport
	tokenURL string
	clientID string
	kid      string
	scopes   []string
	key      signingKey
	mode     string
	dpopKey  signingKey // per process, ES256
	dpopJWK  map[string]any
	now      func() time.Time
	// resetOf reads X-Rate-Limit-Reset in our clock (the pacer's).
	resetOf func(http.Header) (time.Time, bool)
	log     *slog.Logger
	redact  func(string) string

	fetchMu sync.Mutex // one token request at a time

	mu        sync.Mutex
	useDPoP   bool
	asNonce   string // DPoP nonce of the token endpoint
	rsNonce   string // DPoP nonce of the API
	token     accessToken
	previous  string // the token before, still scrubbed from errors
	hasCached bool
}

func newOAuthSource(orgURL, clientID, kid string, scopes []string, key signingKey, mode string) (*oauthSource, error) {
	dk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("okta: DPoP key: %w", err)
	}
	jwk, err := publicJWK(dk)
	if err != nil {
		return nil, fmt.Errorf("okta: DPoP key: %w", err)
	}
	if kid == "" {
		kid = key.kid
	}
	return &oauthSource{
		tokenURL: orgURL + "/oauth2/v1/token", clientID: clientID, kid: kid, scopes: scopes, key: key,
		mode: mode, useDPoP: mode == dpopOn, dpopKey: signingKey{signer: dk, alg: "ES256"}, dpopJWK: jwk,
	}, nil
}

// assertion signs a fresh private_key_jwt client assertion.
func (s *oauthSource) assertion() (string, error) {
	now := s.now()
	hdr := map[string]any{"typ": "JWT"}
	if s.kid != "" {
		hdr["kid"] = s.kid
	}
	return signJWT(s.key, hdr, map[string]any{
		"iss": s.clientID, "sub": s.clientID, "aud": s.tokenURL,
		"iat": now.Unix(), "exp": now.Add(assertionLife).Unix(), "jti": newJTI(),
	})
}

// proof builds a DPoP proof for method and target; accessToken, when
// set, is bound by ath.
func (s *oauthSource) proof(method string, target *url.URL, accessToken, nonce string) (string, error) {
	htu := url.URL{Scheme: target.Scheme, Host: target.Host, Path: target.Path, RawPath: target.RawPath}
	claims := map[string]any{"htm": method, "htu": htu.String(), "iat": s.now().Unix(), "jti": newJTI()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if accessToken != "" {
		claims["ath"] = athOf(accessToken)
	}
	return signJWT(s.dpopKey, map[string]any{"typ": "dpop+jwt", "jwk": s.dpopJWK}, claims)
}

// get returns a cached access token or gets a new one.
func (s *oauthSource) get(ctx context.Context) (accessToken, error) {
	s.mu.Lock()
	if s.hasCached && s.now().Before(s.token.expires) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.Lock()
	if s.hasCached && s.now().Before(s.token.expires) { // another caller got one
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()
	t, err := s.fetch(ctx)
	if err != nil {
		return accessToken{}, err
	}
	s.mu.Lock()
	s.previous = s.token.value
	s.token, s.hasCached = t, true
	s.mu.Unlock()
	return t, nil
}

// scrub removes the access tokens this source handed out (the current
// and the one before) from s: an echoing proxy may quote the
// Authorization header in an error. The tokens change, so the Redactor
// is built per call; it finds them in every form it knows, like the
// configured secrets.
func (s *oauthSource) scrub(text string) string {
	s.mu.Lock()
	tokens := []string{s.token.value, s.previous}
	s.mu.Unlock()
	return offboard.NewRedactor(tokens...).String(text)
}

// drop forgets the cached token if it is still value (Okta refused it).
func (s *oauthSource) drop(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token.value == value {
		s.hasCached = false
	}
}

type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fetch asks the token endpoint for a token, retrying at most twice for a
// DPoP nonce (the first, and a rotation in between) and once for turning
// DPoP on (auto); each try has a new assertion, as Okta refuses a jti it
// has seen.
func (s *oauthSource) fetch(ctx context.Context) (accessToken, error) {
	nonceTries, switched := 0, false
	for {
		s.mu.Lock()
		dpop, nonce := s.useDPoP, s.asNonce
		s.mu.Unlock()
		resp, body, err := s.post(ctx, dpop, nonce)
		if err != nil {
			return accessToken{}, err
		}
		if n := resp.Header.Get("DPoP-Nonce"); n != "" && dpop {
			s.mu.Lock()
			s.asNonce = n
			s.mu.Unlock()
		}
		if resp.StatusCode == http.StatusOK {
			return s.parseToken(body, dpop)
		}
		var oe oauthErrorBody
		_ = json.Unmarshal(body, &oe)
		switch {
		case dpop && nonceTries < 2 && oe.Error == "use_dpop_nonce" && resp.Header.Get("DPoP-Nonce") != "":
			nonceTries++
			continue
		case !dpop && !switched && oe.Error == "invalid_dpop_proof" && s.mode == dpopAuto:
			switched = true
			s.log.Info("okta: the service app requires DPoP; sending DPoP proofs from now on", slog.String("client_id", s.clientID))
			s.mu.Lock()
			s.useDPoP = true
			s.mu.Unlock()
			continue
		}
		return accessToken{}, s.tokenError(resp, oe, dpop)
	}
}

// post sends one token request.
func (s *oauthSource) post(ctx context.Context, dpop bool, nonce string) (*http.Response, []byte, error) {
	assertion, err := s.assertion()
	if err != nil {
		return nil, nil, offboard.Errorf(offboard.EINVALID, "okta: cannot sign the client assertion with okta.private_key: %v", err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {strings.Join(s.scopes, " ")},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, fmt.Errorf("okta: OAuth token request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if dpop {
		p, err := s.proof(http.MethodPost, req.URL, "", nonce)
		if err != nil {
			return nil, nil, fmt.Errorf("okta: DPoP proof: %w", err)
		}
		req.Header.Set("DPoP", p)
	}
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		// The form is in the body, so the error's URL carries no secret.
		return nil, nil, fmt.Errorf("okta: OAuth token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return nil, nil, fmt.Errorf("okta: OAuth token request: reading the answer: %w", err)
	}
	return resp, body, nil
}

func (s *oauthSource) parseToken(body []byte, dpop bool) (accessToken, error) {
	var tr struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return accessToken{}, errors.New("okta: OAuth token endpoint answered 200 without an access token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 5 * time.Minute
	}
	if life > 2*tokenSlack {
		life -= tokenSlack
	} else {
		life /= 2
	}
	bound := strings.EqualFold(tr.TokenType, "DPoP")
	if bound && !dpop {
		return accessToken{}, errors.New("okta: OAuth token endpoint issued a DPoP token to a request without a proof")
	}
	return accessToken{value: tr.AccessToken, dpop: bound, expires: s.now().Add(life)}, nil
}

// tokenError turns a refused token request into the connectors error
// contract: configuration problems are permanent and say which key to fix.
func (s *oauthSource) tokenError(resp *http.Response, oe oauthErrorBody, dpop bool) error {
	desc := offboard.UpstreamText([]byte(s.redact(strings.TrimSpace(oe.Error + ": " + oe.Description))))
	reqID := resp.Header.Get("X-Okta-Request-Id")
	if reqID != "" {
		desc += " (request " + reqID + ")"
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		read := s.resetOf
		if read == nil {
			read = resetOf
		}
		reset, ok := read(resp.Header)
		if !ok || !reset.After(s.now()) {
			reset = s.now().Add(time.Minute)
		}
		return &offboard.RateLimitError{API: "okta", Reset: reset, Err: fmt.Errorf("okta: OAuth token request: %s", desc)}
	case resp.StatusCode >= 500:
		return fmt.Errorf("okta: OAuth token request: HTTP %d: %s", resp.StatusCode, desc)
	case oe.Error == "invalid_dpop_proof" && !dpop:
		return offboard.Errorf(offboard.EINVALID, "Okta requires DPoP for service app %s but okta.dpop is off: set okta.dpop to auto (or turn off \"Require DPoP\" on the app): %s", s.clientID, desc)
	case oe.Error == "invalid_dpop_proof" || oe.Error == "use_dpop_nonce":
		return offboard.Errorf(offboard.EINVALID, "Okta refused offboard's DPoP proof for service app %s (try okta.dpop: auto): %s", s.clientID, desc)
	case oe.Error == "invalid_scope":
		return offboard.Errorf(offboard.EINVALID, "Okta refused the scopes in okta.scopes for service app %s: grant them to the app (Okta API Scopes tab): %s", s.clientID, desc)
	case oe.Error == "invalid_client" || oe.Error == "unauthorized_client" || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return offboard.Errorf(offboard.EFORBIDDEN, "Okta refused the service app's credentials: check okta.client_id, okta.private_key_id and that the app's public key matches okta.private_key: %s", desc)
	}
	return offboard.Errorf(offboard.EINVALID, "Okta refused the OAuth token request: HTTP %d: %s", resp.StatusCode, desc)
}

// oauthTransport authorizes the SDK's requests with the source's token.
type oauthTransport struct {
	next http.RoundTripper
	src  *oauthSource
}

func (t *oauthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "Bearer "+sdkPlaceholder {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	nonceRetried, tokenRetried := false, false
	for {
		tok, err := t.src.get(req.Context())
		if err != nil {
			return nil, err
		}
		out := req.Clone(req.Context())
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
			out.ContentLength = int64(len(body))
		}
		if tok.dpop {
			t.src.mu.Lock()
			nonce := t.src.rsNonce
			t.src.mu.Unlock()
			p, err := t.src.proof(req.Method, req.URL, tok.value, nonce)
			if err != nil {
				return nil, fmt.Errorf("okta: DPoP proof: %w", err)
			}
			out.Header.Set("Authorization", "DPoP "+tok.value)
			out.Header.Set("DPoP", p)
		} else {
			out.Header.Set("Authorization", "Bearer "+tok.value)
		}
		resp, err := t.next.RoundTrip(out)
		if err != nil {
			return nil, err
		}
		if n := resp.Header.Get("DPoP-Nonce"); n != "" && tok.dpop {
			t.src.mu.Lock()
			t.src.rsNonce = n
			t.src.mu.Unlock()
		}
		if resp.StatusCode != http.StatusUnauthorized {
			return resp, nil
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		switch {
		case tok.dpop && !nonceRetried && strings.Contains(challenge, "use_dpop_nonce") && resp.Header.Get("DPoP-Nonce") != "":
			nonceRetried = true
		case !tokenRetried && strings.Contains(challenge, "invalid_token"):
			// Revoked or expired early: get a new token once.
			tokenRetried = true
			t.src.drop(tok.value)
		default:
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxTokenBody))
		_ = resp.Body.Close()
	}
}
