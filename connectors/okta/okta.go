package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
)

// DefaultScopes returns the OAuth scopes the connector needs in
// PrivateKey mode, used when the configuration names none (config's
// default okta.scopes are the same).
func DefaultScopes() []string {
	return []string{"okta.users.manage", "okta.users.read", "okta.groups.manage", "okta.apps.read"}
}

// Options configure a Client.
type Options struct {
	Config config.Okta
	// Licenses maps an app name or label (case-insensitive) to its
	// monthly seat price, for okta.app_report.
	Licenses map[string]float64
	// HTTPClient is used for every request; its Transport is wrapped, the
	// client itself is not changed. Nil means a new client.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Clock      offboard.Clock
}

// Client is the Okta connector. It is safe for concurrent use.
type Client struct {
	sdk      *okta.Client
	log      *slog.Logger
	clock    offboard.Clock
	pacer    *pacer
	licenses map[string]float64
	secrets  []string
	redactor *offboard.Redactor // built from secrets
	oauth    *oauthSource       // nil with an API token
}

// Fallbacks for a zero Config field; the product's defaults are config's
// (a test keeps them equal).
const (
	// DefaultRateShare is the part of Okta's remaining rate limit offboard
	// may use, leaving the rest to HR, admins and other integrations.
	DefaultRateShare = 0.5
	// DefaultRequestTimeout bounds one request to Okta.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxConcurrent caps offboard's Okta requests in flight, well
	// below the 75 Okta allows a Workforce org at once, which HR, admins
	// and every other integration share (Okta: even large bulk loads
	// rarely need more than 10).
	DefaultMaxConcurrent = 16
	// maxConcurrentCeiling refuses a cap no Okta org has.
	maxConcurrentCeiling = 1000
)

// New validates the configuration and builds the SDK client. It makes no
// network call.
func New(ctx context.Context, o Options) (*Client, error) {
	cfg := o.Config
	orgURL := strings.TrimRight(strings.TrimSpace(cfg.OrgURL), "/")
	if orgURL == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: org_url is required")
	}
	u, err := url.Parse(orgURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: org_url %q is not a URL like https://example.okta.com", orgURL)
	}
	if u.Scheme == "http" && !cfg.InsecureHTTPForTests {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: org_url must start with https://")
	}
	share := cfg.RateShare
	if share == 0 {
		share = DefaultRateShare
	}
	if share < 0 || share > 1 {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: rate_share must be between 0 and 1, not %v", cfg.RateShare)
	}
	maxConcurrent := cfg.MaxConcurrent
	if maxConcurrent == 0 {
		maxConcurrent = DefaultMaxConcurrent
	}
	if maxConcurrent < 0 || maxConcurrent > maxConcurrentCeiling {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: max_concurrent must be between 1 and %d, not %d", maxConcurrentCeiling, cfg.MaxConcurrent)
	}
	timeout := cfg.RequestTimeout.D()
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	timeoutSecs := int64((timeout + time.Second - 1) / time.Second)

	c := &Client{log: o.Logger, clock: o.Clock}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = offboard.WallClock()
	}
	c.pacer = &pacer{share: share, now: c.clock.Now, buckets: map[string]*bucketState{}}
	c.licenses = map[string]float64{}
	for k, v := range o.Licenses {
		c.licenses[strings.ToLower(strings.TrimSpace(k))] = v
	}

	base := http.DefaultTransport
	hc := &http.Client{}
	if o.HTTPClient != nil {
		cp := *o.HTTPClient
		hc = &cp
		if hc.Transport != nil {
			base = hc.Transport
		}
	}
	if hc.Timeout == 0 {
		hc.Timeout = timeout
	}
	paced := &transport{base: base, pacer: c.pacer, slots: make(chan struct{}, maxConcurrent)}
	hc.Transport = paced

	// Every setting is given explicitly so a stray ~/.okta/okta.yaml or
	// OKTA_* variable cannot change what the connector does.
	setters := []okta.ConfigSetter{
		okta.WithOrgUrl(orgURL),
		okta.WithCache(false), // the cache returns stale users after writes
		okta.WithHttpClientPtr(hc),
		okta.WithRequestTimeout(timeoutSecs),
		okta.WithRateLimitMaxRetries(0), // the outbox retries, not the SDK
		okta.WithRateLimitMaxBackOff(1),
		okta.WithTestingDisableHttpsCheck(u.Scheme == "http"),
		okta.WithUserAgentExtra("offboard"),
		okta.WithClientId(""),
		okta.WithScopes(nil),
		okta.WithPrivateKey(""),
		okta.WithPrivateKeyId(""),
	}
	rawKey := cfg.PrivateKey.Reveal()
	key := strings.TrimSpace(rawKey)
	token := strings.TrimSpace(cfg.APIToken.Reveal())
	keyName := "okta.private_key"
	if cfg.PrivateKeyFile != "" {
		keyName = "okta.private_key_file"
	}
	switch {
	case cfg.ClientID != "" || key != "":
		if cfg.ClientID == "" || key == "" {
			return nil, offboard.Errorf(offboard.EINVALID, "okta: OAuth mode needs both okta.client_id and %s", keyName)
		}
		sk, err := parsePrivateKey(key)
		if err != nil {
			return nil, offboard.Errorf(offboard.EINVALID, "okta: %s %s", keyName, err.Error())
		}
		mode := strings.ToLower(strings.TrimSpace(cfg.DPoP))
		switch mode {
		case "":
			mode = dpopAuto
		case dpopAuto, dpopOn, dpopOff:
		default:
			return nil, offboard.Errorf(offboard.EINVALID, "okta: okta.dpop must be auto, on or off, not %q", cfg.DPoP)
		}
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = DefaultScopes()
		}
		src, err := newOAuthSource(orgURL, cfg.ClientID, cfg.PrivateKeyID, scopes, sk, mode)
		if err != nil {
			return nil, err
		}
		src.next, src.now, src.log, src.redact = paced, c.clock.Now, c.log, c.redact
		src.resetOf = c.pacer.localReset
		hc.Transport = &oauthTransport{next: paced, src: src}
		c.oauth = src
		// The SDK sends the placeholder; oauthTransport replaces it.
		setters = append(setters, okta.WithAuthorizationMode("Bearer"), okta.WithToken(sdkPlaceholder))
		c.secrets = append(c.secrets, key, rawKey)
		c.secrets = append(c.secrets, jwkSecrets(key)...)
	case token != "":
		setters = append(setters, okta.WithAuthorizationMode("SSWS"), okta.WithToken(token))
		c.secrets = append(c.secrets, token)
	default:
		return nil, offboard.Errorf(offboard.EINVALID, "okta: set okta.api_token, or okta.client_id and okta.private_key")
	}
	c.redactor = offboard.NewRedactor(c.secrets...)
	_, sdk, err := okta.NewClient(ctx, setters...)
	if err != nil {
		return nil, offboard.Errorf(offboard.EINVALID, "okta: %s", c.redact(err.Error()))
	}
	c.sdk = sdk
	return c, nil
}

// Ping checks the credentials with a cheap read (one user).
func (c *Client) Ping(ctx context.Context) error {
	ctx, rec := withRecorder(ctx)
	_, _, err := c.sdk.User.ListUsers(ctx, query.NewQueryParams(query.WithLimit(1)))
	if err != nil {
		return c.classify(err, rec, "list users")
	}
	return nil
}

func (c *Client) now() time.Time { return c.clock.Now() }

// redact removes the token and private key from s, in every form an
// echoing proxy or the SDK could write them (URL-encoded, base64, PEM
// lines).
func (c *Client) redact(s string) string {
	s = c.redactor.String(s)
	if c.oauth != nil {
		s = c.oauth.scrub(s)
	}
	return s
}

// classify turns an SDK error into the connectors error contract.
func (c *Client) classify(err error, rec *recorder, what string) error {
	if err == nil {
		return nil
	}
	if pe, ok := errors.AsType[*paceError](err); ok {
		return &offboard.RateLimitError{API: BucketAPI(pe.bucket), Reset: pe.reset, Err: errors.New(pe.Error())}
	}
	// The OAuth transport already classified a refused token request.
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return rl
	}
	if oe, ok := errors.AsType[*offboard.Error](err); ok {
		return offboard.Errorf(oe.Code, "%s (%s)", oe.Message, what)
	}
	status, header, reqID := rec.last()
	if status == http.StatusTooManyRequests && rec.wasConcurrent() {
		// Okta's limit on requests at once, not a spent bucket: wait
		// Okta's estimate (a second or two), not a window.
		reset, ok := c.pacer.localReset(header)
		if !ok || !reset.After(c.now()) {
			reset = c.now().Add(time.Second)
		}
		return &offboard.RateLimitError{API: "okta", Reset: reset, Err: fmt.Errorf("okta: %s: too many concurrent requests in the Okta org", what)}
	}
	oe, isAPI := errors.AsType[*okta.Error](err)
	msg := c.redact(offboard.TransportErrorText(err))
	if isAPI {
		// Okta's summary may quote the request; the secrets go before
		// the cut, so no part of one stays.
		msg = offboard.UpstreamText([]byte(c.redact(oktaMessage(oe))))
	}
	if status == http.StatusTooManyRequests || msg == "too many requests" {
		// Okta's X-Rate-Limit-Reset says when the bucket refills (bounded:
		// see maxResetAhead); without it, wait a minute (Okta's windows
		// are per minute).
		reset, ok := c.pacer.localReset(header)
		if !ok {
			reset = c.now().Add(60 * time.Second)
		} else if !reset.After(c.now()) {
			reset = c.now().Add(time.Second)
		}
		return &offboard.RateLimitError{API: BucketAPI(rec.lastBucket()), Reset: reset, Err: fmt.Errorf("okta: %s: %s", what, msg)}
	}
	// An error without an HTTP status is a network error or a timeout.
	if !isAPI || status == 0 {
		return fmt.Errorf("okta: %s: %s", what, msg)
	}
	suffix := ""
	if reqID != "" {
		suffix = " (request " + reqID + ")"
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return offboard.Errorf(offboard.EFORBIDDEN, "Okta refused the credentials or the admin role lacks a permission: %s: %s%s", what, msg, suffix)
	case status == http.StatusNotFound:
		return offboard.Errorf(offboard.ENOTFOUND, "Okta: %s: not found: %s%s", what, msg, suffix)
	case status == http.StatusConflict:
		return offboard.Errorf(offboard.ECONFLICT, "Okta: %s: %s%s", what, msg, suffix)
	case status >= 500:
		return fmt.Errorf("okta: %s: HTTP %d: %s%s", what, status, msg, suffix)
	case status >= 400:
		return offboard.Errorf(offboard.EINVALID, "Okta rejected %s: HTTP %d: %s%s", what, status, msg, suffix)
	}
	return fmt.Errorf("okta: %s: HTTP %d: %s", what, status, msg)
}

func oktaMessage(e *okta.Error) string {
	s := e.ErrorSummary
	if s == "" {
		s = e.ErrorDescription
	}
	switch {
	case s == "" && e.ErrorMessage == "":
		s = "no error summary"
	case s == "":
		s = e.ErrorMessage // an OAuth error such as "invalid_client"
	case e.ErrorMessage != "":
		s = e.ErrorMessage + ": " + s
	}
	if e.ErrorCode != "" {
		s = e.ErrorCode + " " + s
	}
	return s
}

func isNotFound(err error) bool {
	e, ok := errors.AsType[*offboard.Error](err)
	return ok && e.Code == offboard.ENOTFOUND
}

func isRateLimit(err error) bool {
	_, ok := errors.AsType[*offboard.RateLimitError](err)
	return ok
}
