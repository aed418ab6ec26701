package microsoft

import (
	"bytes"
	"context"
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

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/throttle"
)

// API names Microsoft Graph in rate-limit pauses.
const API = "microsoft"

// Default endpoints of the global Microsoft cloud.
const (
	DefaultGraphURL = "https://graph.microsoft.com"
	DefaultLoginURL = "https://login.microsoftonline.com"
	// GraphScope asks for every application permission granted to the
	// app registration (client credentials have no per-call scopes).
	GraphScope = "https://graph.microsoft.com/.default"
)

// defaultRetryAfter is the pause when Graph throttles without saying for
// how long (it documents Retry-After on every 429).
const defaultRetryAfter = 30 * time.Second

// maxBody bounds what is read of a Graph answer.
const maxBody = 4 << 20

// Options configure a Client. Either ClientSecret, or Certificate with
// PrivateKey (PEM), authenticates the app registration.
type Options struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	// Certificate is the app's certificate (PEM) whose SHA-1 thumbprint
	// names the key in the assertion; PrivateKey (PEM, RSA, PKCS#8 or
	// PKCS#1) signs it.
	Certificate []byte
	PrivateKey  []byte
	// GraphURL and LoginURL override the global cloud (tests, national
	// clouds).
	GraphURL string
	LoginURL string
	// HTTPClient carries every request; nil is a client with Timeout.
	HTTPClient *http.Client
	Timeout    time.Duration
	Redactor   *offboard.Redactor
	Logger     *slog.Logger
	Now        func() time.Time
}

// Client calls Microsoft Graph v1.0 as an app registration. It is safe
// for concurrent use.
type Client struct {
	graphURL string
	tokenURL string
	http     *http.Client
	redactor *offboard.Redactor
	log      *slog.Logger
	now      func() time.Time
	tokens   *tokenSource

	mu sync.Mutex
	// gate is the client-wide pause a throttled answer sets.
	gate throttle.Gate
}

// New checks o and returns a client. It makes no request: the first call
// fetches the token.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.TenantID) == "" || strings.ContainsAny(o.TenantID, "/?# ") {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: tenant id %q must be the directory (tenant) id or a verified domain", o.TenantID)
	}
	if strings.TrimSpace(o.ClientID) == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: client id is empty")
	}
	c := &Client{
		graphURL: strings.TrimRight(firstNonEmpty(o.GraphURL, DefaultGraphURL), "/"),
		http:     o.HTTPClient,
		redactor: o.Redactor,
		log:      o.Logger,
		now:      o.Now,
	}
	login := strings.TrimRight(firstNonEmpty(o.LoginURL, DefaultLoginURL), "/")
	c.tokenURL = login + "/" + url.PathEscape(o.TenantID) + "/oauth2/v2.0/token"
	if c.http == nil {
		timeout := o.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		c.http = &http.Client{Timeout: timeout}
	}
	// Graph's v1.0 calls offboard makes never redirect. Following one would
	// send the bearer token on (Go keeps it for the same host name on
	// another port) and take another server's answer as Graph's read-back.
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &noRedirect
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	ts := &tokenSource{http: c.http, now: c.now,
		cc: clientcredentials.Config{ClientID: o.ClientID, TokenURL: c.tokenURL, Scopes: []string{GraphScope},
			AuthStyle: oauth2.AuthStyleInParams}}
	hasCert := len(o.Certificate) > 0 || len(o.PrivateKey) > 0
	switch {
	case o.ClientSecret != "" && hasCert:
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: set a client secret or a certificate with its private key, not both")
	case o.ClientSecret != "":
		ts.cc.ClientSecret = o.ClientSecret
	case hasCert:
		signer, err := newAssertionSigner(o.ClientID, c.tokenURL, o.Certificate, o.PrivateKey, c.now)
		if err != nil {
			return nil, err
		}
		ts.assertion = signer
	default:
		return nil, offboard.Errorf(offboard.EINVALID, "microsoft: no credential: set a client secret or a certificate with its private key")
	}
	c.tokens = ts
	return c, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// tokenSource fetches and caches the app's access token. It takes the
// request's context, which oauth2.ReuseTokenSource cannot.
type tokenSource struct {
	cc        clientcredentials.Config
	assertion *assertionSigner
	http      *http.Client
	now       func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// token returns a cached token valid for at least another minute, or a
// new one.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && s.tok.Expiry.After(s.now().Add(time.Minute)) {
		return s.tok.AccessToken, nil
	}
	cc := s.cc
	if s.assertion != nil {
		// A fresh assertion per token request: each has its own jti and
		// a short life, as the identity platform expects.
		jwt, err := s.assertion.sign()
		if err != nil {
			return "", err
		}
		cc.EndpointParams = url.Values{
			"client_assertion_type": {assertionType},
			"client_assertion":      {jwt},
		}
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.http))
	if err != nil {
		return "", err
	}
	s.tok = tok
	return tok.AccessToken, nil
}

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call is one Graph request: what it does for people ("disable the
// account of …") and the application permission it needs.
type call struct {
	method string
	// path is under /v1.0, with its query ("/users/…?$select=…").
	path string
	body any
	// out receives the JSON answer; nil ignores it.
	out  any
	what string
	perm string
}

// do runs c against Graph and maps its errors (see the package doc).
func (c *Client) do(ctx context.Context, cl call) error {
	if until, paused := c.gate.Until(c.now()); paused {
		return &offboard.RateLimitError{API: API, Reset: until,
			Err: fmt.Errorf("microsoft graph: %s: paused by throttling until %s", cl.what, until.UTC().Format(time.RFC3339))}
	}
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return c.tokenError(err)
	}
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("microsoft graph: %s: encode: %w", cl.what, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.graphURL+"/v1.0"+cl.path, body)
	if err != nil {
		return fmt.Errorf("microsoft graph: %s: %w", cl.what, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds no secret; the error may hold the request's.
		return fmt.Errorf("microsoft graph: %s: %s", cl.what, c.redactor.String(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("microsoft graph: %s: read answer: %w", cl.what, err)
	}
	if resp.StatusCode/100 == 2 {
		if len(data) > maxBody {
			// Cut short it would only read as broken JSON.
			return fmt.Errorf("microsoft graph: %s: the answer is larger than %d bytes; refusing it", cl.what, maxBody)
		}
		if cl.out == nil || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, cl.out); err != nil {
			return fmt.Errorf("microsoft graph: %s: decode answer: %w", cl.what, err)
		}
		return nil
	}
	return c.statusError(cl, resp, data)
}

// statusError maps a Graph error answer to the connectors' contract.
func (c *Client) statusError(cl call, resp *http.Response, data []byte) error {
	var ge graphError
	_ = json.Unmarshal(data, &ge)
	code, msg := ge.Error.Code, ge.Error.Message
	if code == "" {
		msg = offboard.UpstreamText(data)
	}
	msg = c.redactor.String(offboard.UpstreamText([]byte(msg)))
	detail := strings.TrimSpace(code + ": " + msg)
	// A 404 is an answer callers expect (gone already; no mailbox for a
	// time zone): logged for debugging only, not warned once per person.
	level := slog.LevelWarn
	if resp.StatusCode == http.StatusNotFound {
		level = slog.LevelDebug
	}
	c.log.Log(context.Background(), level, "microsoft graph refused a request", "what", cl.what, "status", resp.StatusCode, "code", code)
	retryAfter, hasRetryAfter := throttle.RetryAfter(resp.Header.Get("Retry-After"), c.now())
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusServiceUnavailable && hasRetryAfter):
		if !hasRetryAfter {
			retryAfter = defaultRetryAfter
		}
		reset := c.now().Add(retryAfter)
		c.gate.Extend(reset)
		return &offboard.RateLimitError{API: API, Reset: reset,
			Err: fmt.Errorf("microsoft graph: %s: HTTP %d (%s), retry after %s", cl.what, resp.StatusCode, detail, retryAfter)}
	case resp.StatusCode == http.StatusNotFound:
		return offboard.Errorf(offboard.ENOTFOUND, "Microsoft Graph: %s: not found (%s)", cl.what, detail)
	case resp.StatusCode == http.StatusForbidden:
		hint := ""
		if cl.perm != "" {
			hint = fmt.Sprintf("; the app registration most likely lacks the application permission %s (grant it with admin consent)", cl.perm)
		}
		return offboard.Errorf(offboard.EFORBIDDEN, "Microsoft Graph refused to %s (%s)%s", cl.what, detail, hint)
	case resp.StatusCode == http.StatusUnauthorized:
		return offboard.Errorf(offboard.EFORBIDDEN, "Microsoft Graph refused offboard's token to %s (%s): check entra.tenant_id and the app registration", cl.what, detail)
	case resp.StatusCode/100 == 3:
		return fmt.Errorf("microsoft graph: %s: answered with a redirect (HTTP %d), which offboard does not follow", cl.what, resp.StatusCode)
	case resp.StatusCode == http.StatusConflict:
		return offboard.Errorf(offboard.ECONFLICT, "Microsoft Graph: %s: conflict (%s)", cl.what, detail)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return offboard.Errorf(offboard.EINVALID, "Microsoft Graph refused to %s: HTTP %d (%s)", cl.what, resp.StatusCode, detail)
	}
	return fmt.Errorf("microsoft graph: %s: HTTP %d (%s)", cl.what, resp.StatusCode, detail)
}

// tokenError maps a refused token request. A refused credential is
// permanent: retrying a wrong secret changes nothing.
func (c *Client) tokenError(err error) error {
	if oe, ok := errors.AsType[*offboard.Error](err); ok {
		return oe
	}
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok {
		return fmt.Errorf("microsoft: token request: %s", c.redactor.String(err.Error()))
	}
	desc := re.ErrorCode
	if re.ErrorDescription != "" {
		// AADSTS descriptions name the problem and echo no credential.
		first, _, _ := strings.Cut(re.ErrorDescription, "\r\n")
		desc += ": " + first
	}
	desc = c.redactor.String(offboard.UpstreamText([]byte(desc)))
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	c.log.Warn("microsoft identity platform refused the token request", "status", status, "code", re.ErrorCode)
	switch {
	case status == http.StatusTooManyRequests:
		reset := c.now().Add(defaultRetryAfter)
		if d, ok := throttle.RetryAfter(re.Response.Header.Get("Retry-After"), c.now()); ok {
			reset = c.now().Add(d)
		}
		c.gate.Extend(reset)
		return &offboard.RateLimitError{API: API, Reset: reset, Err: fmt.Errorf("microsoft: token request throttled: %s", desc)}
	case status >= 500 || status == 0:
		return fmt.Errorf("microsoft: token request: HTTP %d: %s", status, desc)
	}
	return offboard.Errorf(offboard.EFORBIDDEN,
		"the Microsoft identity platform refused offboard's credentials (%s): check entra.tenant_id, entra.client_id and the client secret or certificate", desc)
}

// quote makes s a string literal of an OData $filter.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
