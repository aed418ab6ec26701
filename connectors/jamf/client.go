package jamf

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

// API names Jamf Pro in rate-limit pauses.
const API = "jamf"

// defaultRetryAfter is the pause when Jamf throttles without saying for
// how long.
const defaultRetryAfter = 30 * time.Second

// maxBody bounds what is read of a Jamf answer.
const maxBody = 4 << 20

// Options configure a Client.
type Options struct {
	// URL is the Jamf Pro server ("https://example.jamfcloud.com").
	URL          string
	ClientID     string
	ClientSecret string
	// HTTPClient carries every request; nil is a client with Timeout.
	HTTPClient *http.Client
	Timeout    time.Duration
	Redactor   *offboard.Redactor
	Logger     *slog.Logger
	Now        func() time.Time
}

// Client calls the Jamf Pro API as an API client. It is safe for
// concurrent use.
type Client struct {
	baseURL  string
	clientID string
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
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(o.URL), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, offboard.Errorf(offboard.EINVALID, "jamf: url %q must be the Jamf Pro server's address, such as https://example.jamfcloud.com", o.URL)
	}
	if strings.TrimSpace(o.ClientID) == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "jamf: client id is empty")
	}
	if o.ClientSecret == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "jamf: client secret is empty")
	}
	c := &Client{baseURL: u.String(), clientID: o.ClientID, http: o.HTTPClient, redactor: o.Redactor, log: o.Logger, now: o.Now}
	if c.http == nil {
		timeout := o.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		c.http = &http.Client{Timeout: timeout}
	}
	// No Jamf Pro API call offboard makes redirects. Following one would
	// carry the bearer token to wherever it points and take that server's
	// answer as Jamf's.
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &noRedirect
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.tokens = &tokenSource{http: c.http, now: c.now, cc: clientcredentials.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: c.baseURL + "/api/oauth/token",
		AuthStyle: oauth2.AuthStyleInParams}}
	return c, nil
}

// tokenSource fetches and caches the API client's access token. It takes
// the request's context, which oauth2.ReuseTokenSource cannot, and can
// drop a token Jamf refused before it expired.
type tokenSource struct {
	cc   clientcredentials.Config
	http *http.Client
	now  func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// token returns a cached token valid for at least another 30 seconds, or
// a new one. Jamf's API client tokens live as long as the API client's
// "access token lifetime" (minutes by default), so the margin is short.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && s.tok.Expiry.After(s.now().Add(30*time.Second)) {
		return s.tok.AccessToken, nil
	}
	tok, err := s.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, s.http))
	if err != nil {
		return "", err
	}
	s.tok = tok
	return tok.AccessToken, nil
}

// drop forgets the token if it is still the one refused, so the next call
// fetches another (another call may have fetched one already).
func (s *tokenSource) drop(refused string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == refused {
		s.tok = nil
	}
}

// jamfError is the Jamf Pro API's error body.
type jamfError struct {
	HTTPStatus int `json:"httpStatus"`
	Errors     []struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		Field       string `json:"field"`
	} `json:"errors"`
}

// call is one Jamf Pro API request: what it does for people ("read the
// computers of …") and the API role privilege it needs.
type call struct {
	method string
	// path is under /api, with its query ("/v1/computers-inventory?…").
	path string
	body any
	// out receives the JSON answer; nil ignores it.
	out  any
	what string
	priv string
}

// do runs cl against Jamf and maps its errors (see the package doc). A
// 401 drops the token and runs cl once more with a new one.
func (c *Client) do(ctx context.Context, cl call) error {
	if until, paused := c.gate.Until(c.now()); paused {
		return &offboard.RateLimitError{API: API, Reset: until,
			Err: fmt.Errorf("jamf pro: %s: paused by throttling until %s", cl.what, until.UTC().Format(time.RFC3339))}
	}
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("jamf pro: %s: encode: %w", cl.what, err)
		}
		payload = b
	}
	for attempt := 1; ; attempt++ {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return c.tokenError(err)
		}
		status, header, data, err := c.send(ctx, cl, tok, payload)
		if err != nil {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 1 {
			c.log.Info("jamf pro refused the access token; fetching a new one", "what", cl.what)
			c.tokens.drop(tok)
			continue
		}
		if status/100 == 2 {
			return c.decode(cl, data)
		}
		return c.statusError(cl, status, header, data)
	}
}

// send is one HTTP exchange; the answer is read up to maxBody+1 bytes.
func (c *Client) send(ctx context.Context, cl call, tok string, payload []byte) (int, http.Header, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.baseURL+"/api"+cl.path, body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("jamf pro: %s: %w", cl.what, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds no secret; the error may hold the request's.
		return 0, nil, nil, fmt.Errorf("jamf pro: %s: %s", cl.what, c.redactor.String(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("jamf pro: %s: read answer: %w", cl.what, err)
	}
	return resp.StatusCode, resp.Header, data, nil
}

func (c *Client) decode(cl call, data []byte) error {
	if len(data) > maxBody {
		// Cut short it would only read as broken JSON.
		return fmt.Errorf("jamf pro: %s: the answer is larger than %d bytes; refusing it", cl.what, maxBody)
	}
	if cl.out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return fmt.Errorf("jamf pro: %s: decode answer: %w", cl.what, err)
	}
	return nil
}

// statusError maps a Jamf error answer to the connectors' contract.
func (c *Client) statusError(cl call, status int, header http.Header, data []byte) error {
	var je jamfError
	_ = json.Unmarshal(data, &je)
	var words []string
	code := ""
	for _, e := range je.Errors {
		if code == "" {
			code = e.Code
		}
		w := strings.TrimSpace(e.Code + ": " + e.Description)
		if e.Field != "" {
			w += " (" + e.Field + ")"
		}
		words = append(words, w)
	}
	msg := strings.Join(words, "; ")
	if msg == "" {
		msg = string(data)
	}
	detail := c.redactor.String(offboard.UpstreamText([]byte(msg)))
	// A 404 is an answer callers expect: logged for debugging only.
	level := slog.LevelWarn
	if status == http.StatusNotFound {
		level = slog.LevelDebug
	}
	c.log.Log(context.Background(), level, "jamf pro refused a request", "what", cl.what, "status", status, "code", code)
	retryAfter, hasRetryAfter := throttle.RetryAfter(header.Get("Retry-After"), c.now())
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		// Jamf Cloud answers 503 while a server restarts or is overloaded:
		// waiting is the cure either way.
		if !hasRetryAfter {
			retryAfter = defaultRetryAfter
		}
		reset := c.now().Add(retryAfter)
		c.gate.Extend(reset)
		return &offboard.RateLimitError{API: API, Reset: reset,
			Err: fmt.Errorf("jamf pro: %s: HTTP %d (%s), retry after %s", cl.what, status, detail, retryAfter)}
	case status == http.StatusNotFound:
		return offboard.Errorf(offboard.ENOTFOUND, "Jamf Pro: %s: not found (%s)", cl.what, detail)
	case status == http.StatusForbidden:
		hint := ""
		if cl.priv != "" {
			hint = fmt.Sprintf("; the API client's role most likely lacks the privilege %q", cl.priv)
		}
		return offboard.Errorf(offboard.EFORBIDDEN, "Jamf Pro refused to %s (%s)%s", cl.what, detail, hint)
	case status == http.StatusUnauthorized:
		return offboard.Errorf(offboard.EFORBIDDEN,
			"Jamf Pro refused a fresh token of the API client %s to %s (%s): check that the API client is enabled and jamf.client_id", c.clientID, cl.what, detail)
	case status/100 == 3:
		return fmt.Errorf("jamf pro: %s: answered with a redirect (HTTP %d), which offboard does not follow; check jamf.url", cl.what, status)
	case status == http.StatusConflict:
		return offboard.Errorf(offboard.ECONFLICT, "Jamf Pro: %s: conflict (%s)", cl.what, detail)
	case status >= 400 && status < 500:
		return offboard.Errorf(offboard.EINVALID, "Jamf Pro refused to %s: HTTP %d (%s)", cl.what, status, detail)
	}
	return fmt.Errorf("jamf pro: %s: HTTP %d (%s)", cl.what, status, detail)
}

// tokenError maps a refused token request. Refused credentials are
// permanent: retrying a wrong secret changes nothing.
func (c *Client) tokenError(err error) error {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok {
		return fmt.Errorf("jamf pro: token request: %s", c.redactor.String(err.Error()))
	}
	desc := re.ErrorCode
	if re.ErrorDescription != "" {
		desc += ": " + re.ErrorDescription
	}
	if desc == "" {
		desc = string(re.Body)
	}
	desc = c.redactor.String(offboard.UpstreamText([]byte(desc)))
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	c.log.Warn("jamf pro refused the token request", "status", status, "code", re.ErrorCode)
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		d, ok := throttle.RetryAfter(re.Response.Header.Get("Retry-After"), c.now())
		if !ok {
			d = defaultRetryAfter
		}
		reset := c.now().Add(d)
		c.gate.Extend(reset)
		return &offboard.RateLimitError{API: API, Reset: reset, Err: fmt.Errorf("jamf pro: token request throttled: %s", desc)}
	case status >= 500 || status == 0:
		return fmt.Errorf("jamf pro: token request: HTTP %d: %s", status, desc)
	}
	return offboard.Errorf(offboard.EFORBIDDEN,
		"Jamf Pro refused offboard's API client credentials (%s): check jamf.url, jamf.client_id and the client secret", desc)
}

// rsqlString quotes s as an RSQL string value: double quotes, with the
// quote and the backslash escaped, so an email cannot widen a filter.
func rsqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
