package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/client"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
)

// DefaultLoginURL is where a single-tenant bot gets its tokens:
// <login>/<tenant>/oauth2/v2.0/token; the fallback for an empty LoginURL,
// as serve passes teams.login_url (the same by default).
const DefaultLoginURL = "https://login.microsoftonline.com"

// DefaultOpenIDMetadataURL is where the Bot Framework publishes the keys
// that sign the activities Teams sends.
const DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// botScope is the scope of tokens for the Bot Connector service.
const botScope = "https://api.botframework.com/.default"

// defaultRetryAfter is the pause after a 429 without Retry-After.
const defaultRetryAfter = 30 * time.Second

// connector calls the Bot Connector REST API with a bot token from the
// tenant's token endpoint. msbotbuilder-go's own client asks the
// multi-tenant endpoint (new bots are single-tenant), ignores contexts,
// has no timeouts and races on its token cache.
type connector struct {
	appID, password, tokenURL string
	http                      *http.Client
	now                       func() time.Time
	// redact removes the password from what the token endpoint says: an
	// endpoint or proxy that quotes the request quotes the form with it.
	redact *offboard.Redactor

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newConnector(appID, password, loginURL, tenantID string, hc *http.Client, now func() time.Time) *connector {
	return &connector{appID: appID, password: password, http: hc, now: now, redact: offboard.NewRedactor(password),
		tokenURL: strings.TrimSuffix(loginURL, "/") + "/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token"}
}

// bearer returns a cached token, or a fresh one a minute before expiry.
// The lock is held through the fetch so concurrent sends ask once.
func (c *connector) bearer(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires.Add(-time.Minute)) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.appID},
		"client_secret": {c.password}, "scope": {botScope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", offboard.Errorf(offboard.EUNAVAILABLE, "teams: token: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The body says why (AADSTS…), but may quote the request, secret
		// included: keep the reason only, without the secret (removed
		// before cutting, so no part of it stays), cut to size.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		why := c.redact.String(tokenError([]byte(c.redact.String(string(b)))))
		return "", offboard.Errorf(offboard.EUNAVAILABLE, "teams: token endpoint answered %s: %s", resp.Status, why)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", offboard.Errorf(offboard.EUNAVAILABLE, "teams: token endpoint sent no token")
	}
	c.token, c.expires = tok.AccessToken, c.now().Add(time.Duration(tok.ExpiresIn)*time.Second)
	return c.token, nil
}

// tokenError is the reason in an OAuth error answer ("error:
// error_description"), or the start of any other answer.
func tokenError(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if e.Description != "" {
			return offboard.UpstreamText([]byte(e.Error + ": " + e.Description))
		}
		return offboard.UpstreamText([]byte(e.Error))
	}
	return offboard.UpstreamText(body)
}

// do sends one REST call; out, when set, receives the JSON answer.
func (c *connector) do(ctx context.Context, method, target string, body, out any) error {
	token, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return offboard.Errorf(offboard.EUNAVAILABLE, "teams: %s %s: %v", method, pathOf(target), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := defaultRetryAfter
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		return &offboard.RateLimitError{API: "teams", Reset: c.now().Add(wait),
			Err: fmt.Errorf("teams: %s %s: 429", method, pathOf(target))}
	case resp.StatusCode == http.StatusUnauthorized:
		c.mu.Lock()
		c.token = "" // a revoked or rotated secret: ask again next time
		c.mu.Unlock()
		return offboard.Errorf(offboard.EUNAVAILABLE, "teams: %s %s: %s", method, pathOf(target), resp.Status)
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		// MessageSizeTooBig: sending it again cannot help.
		return offboard.Errorf(offboard.EINVALID, "teams: %s %s: the message is over Teams' size limit (%s)", method, pathOf(target), resp.Status)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return offboard.Errorf(offboard.ENOTFOUND, "teams: %s %s: %s", method, pathOf(target), resp.Status)
	case resp.StatusCode >= 300:
		return offboard.Errorf(offboard.EUNAVAILABLE, "teams: %s %s: %s", method, pathOf(target), resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("teams: %s %s: %w", method, pathOf(target), err)
	}
	return nil
}

// pathOf keeps logs free of hosts' query strings.
func pathOf(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.Path
	}
	return "?"
}

// endpoint joins a service URL and a /v3 path, escaping the ids.
func endpoint(serviceURL string, parts ...string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(serviceURL, "/"))
	b.WriteString("/v3")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// turnClient is the connector bound to one request's context, in the
// shape msbotbuilder-go's adapter calls (client.Client).
type turnClient struct {
	ctx context.Context
	c   *connector
}

var _ client.Client = turnClient{}

func (t turnClient) Post(u url.URL, a schema.Activity) error {
	return t.c.do(t.ctx, http.MethodPost, u.String(), a, nil)
}

func (t turnClient) Put(u url.URL, a schema.Activity) error {
	return t.c.do(t.ctx, http.MethodPut, u.String(), a, nil)
}

func (t turnClient) Delete(u url.URL, _ schema.Activity) error {
	return t.c.do(t.ctx, http.MethodDelete, u.String(), nil, nil)
}
