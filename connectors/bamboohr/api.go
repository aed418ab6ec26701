// Package bamboohr is the BambooHR API client: terminations since a time
// (for reconciliation), one employee by id (for event-based webhooks,
// which carry no values) and the employee directory. It implements
// offboard.HRSource; the webhooks themselves are connectors/hris's. It
// imports the root package, config and the standard library only.
package bamboohr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/internal/jsontext"
)

// DefaultBaseURL is BambooHR's API gateway; the subdomain follows.
const DefaultBaseURL = "https://api.bamboohr.com/api/gateway.php/"

// bambooFields are the employee fields Terminated and HRRecord read.
const bambooFields = "firstName,lastName,workEmail,status,employmentHistoryStatus,terminationDate,terminationType,supervisorEmail," +
	"jobTitle,department,location"

// maxAPIBody bounds one BambooHR API answer.
const maxAPIBody = 8 << 20

var subdomainRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

// Client reads employees from the BambooHR REST API. It is safe for
// concurrent use.
type Client struct {
	base      string // ends in "/"
	subdomain string
	key       string
	hc        *http.Client
	clock     offboard.Clock
	loc       *time.Location
	kinds     *offboard.TerminationTypes
}

// Option changes a Client.
type Option func(*Client)

// WithBaseURL replaces DefaultBaseURL (for tests and proxies).
func WithBaseURL(u string) Option {
	return func(b *Client) { b.base = strings.TrimRight(u, "/") + "/" }
}

// WithHTTPClient replaces the default client (which has timeouts).
func WithHTTPClient(hc *http.Client) Option {
	return func(b *Client) {
		if hc != nil {
			b.hc = hc
		}
	}
}

// WithTransport wraps the default client's transport (its timeouts stay):
// serve counts the requests for its metrics this way.
func WithTransport(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(b *Client) {
		if wrap != nil && b.hc != nil {
			hc := *b.hc
			hc.Transport = wrap(hc.Transport)
			b.hc = &hc
		}
	}
}

// WithClock sets the clock "today" is read from.
func WithClock(c offboard.Clock) Option {
	return func(b *Client) {
		if c != nil {
			b.clock = c
		}
	}
}

// WithLocation sets the company time zone "today" is read in (default UTC).
func WithLocation(l *time.Location) Option {
	return func(b *Client) {
		if l != nil {
			b.loc = l
		}
	}
}

// New validates cfg.APIKey and cfg.Subdomain. It makes no network call.
func New(cfg config.BambooHR, opts ...Option) (*Client, error) {
	key := strings.TrimSpace(cfg.APIKey.Reveal())
	if key == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "bamboohr: hris.bamboohr.api_key is required")
	}
	sub := strings.TrimSpace(cfg.Subdomain)
	if !subdomainRe.MatchString(sub) {
		return nil, offboard.Errorf(offboard.EINVALID, "bamboohr: hris.bamboohr.subdomain %q is not a BambooHR company subdomain like \"acme\"", sub)
	}
	b := &Client{
		base: DefaultBaseURL, subdomain: sub, key: key, clock: offboard.WallClock(), loc: time.UTC,
		hc: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: 20 * time.Second,
				IdleConnTimeout:       90 * time.Second,
				MaxIdleConnsPerHost:   4,
			},
		},
	}
	for _, o := range opts {
		o(b)
	}
	if u, err := url.Parse(b.base); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, offboard.Errorf(offboard.EINVALID, "bamboohr: base URL %q is not an http(s) URL", b.base)
	}
	kinds, err := cfg.TerminationKinds()
	if err != nil {
		return nil, fmt.Errorf("bamboohr: %w", err)
	}
	b.kinds = kinds
	return b, nil
}

// Terminated lists the employees changed since since and returns those
// terminated: employmentHistoryStatus "Terminated", status "Inactive",
// or a termination date on or before today. Employees deleted or gone
// (404) are skipped. A refused key is a permanent EFORBIDDEN; 429 is a
// *offboard.RateLimitError; 5xx and network errors are plain (retryable).
func (b *Client) Terminated(ctx context.Context, since time.Time) ([]offboard.Termination, error) {
	ids, err := b.changed(ctx, since)
	if err != nil {
		return nil, err
	}
	today := b.clock.Now().In(b.loc).Format(time.DateOnly)
	var out []offboard.Termination
	for _, id := range ids {
		f, err := b.employee(ctx, id)
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if t, ok := b.termination(id, f, today); ok {
			out = append(out, t)
		}
	}
	return out, nil
}

func (b *Client) termination(id string, f map[string]string, today string) (offboard.Termination, bool) {
	date := f["terminationDate"]
	if emptyDate(date) {
		date = ""
	} else if d, _, ok := offboard.ParseHRDate(date); ok {
		date = d
	}
	terminated := strings.EqualFold(f["employmentHistoryStatus"], "Terminated") ||
		strings.EqualFold(f["status"], "Inactive") || (date != "" && date <= today)
	if !terminated {
		return offboard.Termination{}, false
	}
	kind, mapped := b.kinds.Resolve(f["terminationType"])
	return offboard.Termination{
		EmployeeID: id, Email: f["workEmail"],
		Name:         strings.TrimSpace(f["firstName"] + " " + f["lastName"]),
		ManagerEmail: f["supervisorEmail"], TerminationDate: date,
		Kind: kind, KindMapped: mapped, Type: f["terminationType"],
	}, true
}

// changed returns the ids of employees changed since since, sorted.
func (b *Client) changed(ctx context.Context, since time.Time) ([]string, error) {
	q := url.Values{"since": {since.UTC().Format(time.RFC3339)}}
	var body struct {
		Latest    string `json:"latest"`
		Employees map[string]struct {
			ID     any `json:"id"`
			Action any `json:"action"`
		} `json:"employees"`
	}
	if err := b.get(ctx, "v1/employees/changed/", q, "list changed employees", &body); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(body.Employees))
	for key, e := range body.Employees {
		if strings.EqualFold(jsontext.Scalar(e.Action), "Deleted") {
			continue
		}
		id := jsontext.Scalar(e.ID)
		if id == "" {
			id = key
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, errA := strconv.Atoi(ids[i])
		c, errC := strconv.Atoi(ids[j])
		if errA == nil && errC == nil {
			return a < c
		}
		return ids[i] < ids[j]
	})
	return ids, nil
}

// employee reads the fields of one employee, trimmed, nulls as "".
func (b *Client) employee(ctx context.Context, id string) (map[string]string, error) {
	var raw map[string]any
	if err := b.get(ctx, "v1/employees/"+url.PathEscape(id)+"/", url.Values{"fields": {bambooFields}},
		"read employee "+id, &raw); err != nil {
		return nil, err
	}
	f := make(map[string]string, len(raw))
	for k, v := range raw {
		f[k] = strings.TrimSpace(jsontext.Scalar(v))
	}
	return f, nil
}

// get sends one authenticated GET and decodes the JSON answer into v.
func (b *Client) get(ctx context.Context, path string, q url.Values, what string, v any) error {
	return b.do(ctx, http.MethodGet, path, q, nil, what, v)
}

// do sends one authenticated request (with a JSON body when in is not
// nil) and decodes the JSON answer into v.
func (b *Client) do(ctx context.Context, method, path string, q url.Values, in any, what string, v any) error {
	u := b.base + url.PathEscape(b.subdomain) + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var reqBody io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("bamboohr: %s: %v", what, err)
		}
		reqBody = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reqBody)
	if err != nil {
		return fmt.Errorf("bamboohr: %s: %v", what, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(b.key, "x")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "offboard")
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("bamboohr: %s: %s", what, b.redact(offboard.TransportErrorText(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	if err != nil {
		return fmt.Errorf("bamboohr: %s: reading the answer: %v", what, err)
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return offboard.Errorf(offboard.EFORBIDDEN,
			"BambooHR refused the API key (HTTP %d) to %s: check hris.bamboohr.api_key and that its user may read employee status and termination fields", s, what)
	case s == http.StatusNotFound:
		return offboard.Errorf(offboard.ENOTFOUND, "BambooHR: %s: not found (check hris.bamboohr.subdomain)", what)
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		reset := b.clock.Now().Add(time.Minute)
		if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
			reset = b.clock.Now().Add(time.Duration(secs) * time.Second)
		}
		return &offboard.RateLimitError{API: "bamboohr", Reset: reset, Err: fmt.Errorf("bamboohr: %s: HTTP %d", what, s)}
	case s >= 500:
		return fmt.Errorf("bamboohr: %s: HTTP %d", what, s)
	case s != http.StatusOK:
		return offboard.Errorf(offboard.EINVALID, "BambooHR rejected %s: HTTP %d", what, s)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bamboohr: %s: the answer is not the expected JSON: %s", what, jsontext.ErrorText(err))
	}
	return nil
}

// redact removes the API key from s, in every form (Basic auth sends it
// base64-encoded).
func (b *Client) redact(s string) string {
	return offboard.NewRedactor(b.key).String(s)
}
