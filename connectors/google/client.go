package google

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	googleauth "golang.org/x/oauth2/google"
	datatransfer "google.golang.org/api/admin/datatransfer/v1"
	directory "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/licensing/v1"
	"google.golang.org/api/option"
	"google.golang.org/api/vault/v1"

	"github.com/offboard-dev/offboard"
)

// System names Google Workspace in action ids ("google.suspend"), task
// keys and rate-limit pauses.
const System = "google"

// API names Google in rate-limit pauses: one pause for every Google API
// the service account calls, since Google counts a project's quota.
const API = System

// The scopes offboard asks for, one per API (least privilege: the
// README lists them for the domain-wide delegation).
const (
	ScopeUser         = "https://www.googleapis.com/auth/admin.directory.user"
	ScopeUserSecurity = "https://www.googleapis.com/auth/admin.directory.user.security"
	ScopeDataTransfer = "https://www.googleapis.com/auth/admin.datatransfer"
	ScopeGmailSharing = "https://www.googleapis.com/auth/gmail.settings.sharing"
	ScopeLicensing    = "https://www.googleapis.com/auth/apps.licensing"
	ScopeVault        = "https://www.googleapis.com/auth/ediscovery"
)

// Scopes are every scope offboard asks for, in the README's order.
func Scopes() []string {
	return []string{ScopeUser, ScopeUserSecurity, ScopeDataTransfer, ScopeGmailSharing, ScopeLicensing, ScopeVault}
}

// DefaultCustomer is the Workspace customer of the admin acting.
const DefaultCustomer = "my_customer"

// Options configure a Client.
type Options struct {
	// ServiceAccountKey is the service account's JSON key (its token_uri
	// is where tokens are asked for).
	ServiceAccountKey []byte
	// AdminEmail is the administrator the service account acts as.
	AdminEmail string
	// Customer is the Workspace customer id ("" is my_customer).
	Customer string
	// APIURL sends every API call to one base URL (a fake); "" uses
	// Google's endpoints.
	APIURL string
	// Timeout bounds each request (0: 30 s).
	Timeout time.Duration
	// Transport carries requests (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Now is the clock for rate-limit resets (nil: time.Now).
	Now func() time.Time
}

// Client reaches Google's APIs as the configured service account.
type Client struct {
	keyJSON  []byte
	admin    string
	customer string
	apiURL   string
	timeout  time.Duration
	base     http.RoundTripper
	now      func() time.Time

	mu      sync.Mutex
	clients map[tokenKey]*http.Client

	// tokens are the access tokens Google gave, oldest first, so that an
	// error echoing one (an upstream that quotes the request) is cleaned.
	tokMu  sync.Mutex
	tokens []string
}

// maxRemembered bounds the tokens remembered: one per user acted as and
// scope within the hour a token lives.
const maxRemembered = 512

// recordingSource remembers each token its source hands out.
type recordingSource struct {
	c   *Client
	src oauth2.TokenSource
}

func (s recordingSource) Token() (*oauth2.Token, error) {
	t, err := s.src.Token()
	if err == nil && t != nil {
		s.c.remember(t.AccessToken)
	}
	return t, err
}

func (c *Client) remember(tok string) {
	if len(tok) < 8 {
		return
	}
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	for i := len(c.tokens) - 1; i >= 0; i-- {
		if c.tokens[i] == tok {
			return
		}
	}
	if len(c.tokens) >= maxRemembered {
		c.tokens = c.tokens[1:]
	}
	c.tokens = append(c.tokens, tok)
}

// scrub replaces every access token Google gave in s.
func (c *Client) scrub(s string) string {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	for _, t := range c.tokens {
		s = strings.ReplaceAll(s, t, offboard.Redacted)
	}
	return s
}

// tokenKey is one impersonated user with one scope: Google mints a token
// per pair, and reusing it saves a token request per call.
type tokenKey struct{ subject, scope string }

// New checks the key and returns a client. It makes no request.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.AdminEmail) == "" {
		return nil, errors.New("google: an admin email to act as is required")
	}
	if _, err := googleauth.JWTConfigFromJSON(o.ServiceAccountKey); err != nil {
		// The parser's error may quote the key; say what it is instead.
		return nil, errors.New("google: the service account key is not a JSON key of type service_account with client_email and private_key")
	}
	c := &Client{keyJSON: o.ServiceAccountKey, admin: o.AdminEmail, customer: o.Customer,
		apiURL: strings.TrimRight(o.APIURL, "/"), timeout: o.Timeout, base: o.Transport, now: o.Now,
		clients: map[tokenKey]*http.Client{}}
	if c.customer == "" {
		c.customer = DefaultCustomer
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.base == nil {
		c.base = http.DefaultTransport
	}
	c.base = boundedTransport{c.base}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Admin is the administrator the client acts as.
func (c *Client) Admin() string { return c.admin }

// Customer is the Workspace customer id.
func (c *Client) Customer() string { return c.customer }

// httpClient is an HTTP client whose requests carry a token for subject
// with scope.
func (c *Client) httpClient(subject, scope string) (*http.Client, error) {
	k := tokenKey{strings.ToLower(subject), scope}
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc, ok := c.clients[k]; ok {
		return hc, nil
	}
	conf, err := googleauth.JWTConfigFromJSON(c.keyJSON, scope)
	if err != nil {
		return nil, errors.New("google: the service account key could not be read")
	}
	conf.Subject = subject
	plain := &http.Client{Transport: c.base, Timeout: c.timeout, CheckRedirect: refuseRedirect}
	// The token request goes through the same transport and timeout.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, plain)
	hc := &http.Client{
		Transport:     &oauth2.Transport{Source: recordingSource{c, conf.TokenSource(ctx)}, Base: c.base},
		Timeout:       c.timeout,
		CheckRedirect: refuseRedirect,
	}
	c.clients[k] = hc
	return hc, nil
}

// maxResponseBody bounds what offboard reads of one answer. Google's
// client libraries read an error body whole (googleapi.CheckResponse) and
// decode a success unbounded: a broken or hostile endpoint streaming
// without end would fill the memory until the request timeout. offboard's
// largest answer (a page of transfers, tokens or holds) is far smaller.
const maxResponseBody = 8 << 20

// errAnswerTooLarge ends the read of an answer past maxResponseBody.
var errAnswerTooLarge = fmt.Errorf("google: the answer is larger than %d MiB; offboard refused to read on", maxResponseBody>>20)

// boundedTransport cuts every answer's body at maxResponseBody.
type boundedTransport struct{ base http.RoundTripper }

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.Body != nil {
		resp.Body = &boundedBody{rc: resp.Body}
	}
	return resp, err
}

type boundedBody struct {
	rc io.ReadCloser
	n  int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.n > maxResponseBody {
		return 0, errAnswerTooLarge
	}
	if left := maxResponseBody + 1 - b.n; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.rc.Read(p)
	if b.n += int64(n); b.n > maxResponseBody {
		return n, errAnswerTooLarge
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }

// refuseRedirect keeps a token from following a redirect off Google.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	return fmt.Errorf("google: refused a redirect to %s", req.URL.Host)
}

// options are the client options for subject with scope.
func (c *Client) options(subject, scope string) ([]option.ClientOption, error) {
	hc, err := c.httpClient(subject, scope)
	if err != nil {
		return nil, err
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if c.apiURL != "" {
		opts = append(opts, option.WithEndpoint(c.apiURL+"/"))
	}
	return opts, nil
}

// Directory is the Admin SDK Directory API as the admin, with scope
// (ScopeUser or ScopeUserSecurity).
func (c *Client) Directory(ctx context.Context, scope string) (*directory.Service, error) {
	opts, err := c.options(c.admin, scope)
	if err != nil {
		return nil, err
	}
	return directory.NewService(ctx, opts...)
}

// DataTransfer is the Data Transfer API as the admin.
func (c *Client) DataTransfer(ctx context.Context) (*datatransfer.Service, error) {
	opts, err := c.options(c.admin, ScopeDataTransfer)
	if err != nil {
		return nil, err
	}
	return datatransfer.NewService(ctx, opts...)
}

// Gmail is the Gmail API acting as mailbox: Google takes settings
// changes (delegates) only from the mailbox's owner.
func (c *Client) Gmail(ctx context.Context, mailbox string) (*gmail.Service, error) {
	opts, err := c.options(mailbox, ScopeGmailSharing)
	if err != nil {
		return nil, err
	}
	return gmail.NewService(ctx, opts...)
}

// Licensing is the Enterprise License Manager API as the admin.
func (c *Client) Licensing(ctx context.Context) (*licensing.Service, error) {
	opts, err := c.options(c.admin, ScopeLicensing)
	if err != nil {
		return nil, err
	}
	return licensing.NewService(ctx, opts...)
}

// Vault is the Google Vault API as the admin.
func (c *Client) Vault(ctx context.Context) (*vault.Service, error) {
	opts, err := c.options(c.admin, ScopeVault)
	if err != nil {
		return nil, err
	}
	return vault.NewService(ctx, opts...)
}
