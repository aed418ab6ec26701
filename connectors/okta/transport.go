package okta

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder keeps what the transport saw for one SDK call: the status and
// headers of its last HTTP response and how many requests it sent. The SDK
// drops the response on 429, so the connector reads the rate-limit
// headers from here.
type recorder struct {
	mu        sync.Mutex
	status    int
	header    http.Header
	requestID string
	requests  int
}

func (r *recorder) last() (status int, header http.Header, requestID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.header, r.requestID
}

type recorderKey struct{}

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	rec := &recorder{}
	return context.WithValue(ctx, recorderKey{}, rec), rec
}

// paceError is returned by the transport, without calling Okta, when
// offboard has used its share of a rate-limit bucket.
type paceError struct {
	reset  time.Time
	bucket string
}

func (e *paceError) Error() string {
	return fmt.Sprintf("offboard's share of the Okta rate limit for %s is used up until %s", e.bucket, e.reset.UTC().Format(time.RFC3339))
}

// bucketState is the last X-Rate-Limit-* reading of one bucket.
type bucketState struct {
	limit, remaining int
	reset            time.Time
}

// pacer tracks Okta's rate-limit headers per bucket (method and path
// template) and refuses requests once offboard's share is used.
type pacer struct {
	share float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucketState
}

// blocked reports whether any bucket is over offboard's share and until
// when. All buckets are checked, not only the request's own, because the
// outbox pauses every Okta job on a rate limit anyway.
func (p *pacer) blocked() (time.Time, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var until time.Time
	var which string
	for k, b := range p.buckets {
		if !now.Before(b.reset) {
			delete(p.buckets, k)
			continue
		}
		floor := int(math.Ceil(float64(b.limit) * (1 - p.share)))
		if b.remaining <= floor && b.reset.After(until) {
			until, which = b.reset, k
		}
	}
	return until, which, !until.IsZero()
}

// spend counts a request against its bucket before the response says
// how many remain, so parallel jobs do not all pass the check at once.
func (p *pacer) spend(bucket string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.buckets[bucket]; ok && b.remaining > 0 {
		b.remaining--
	}
}

func (p *pacer) observe(bucket string, h http.Header) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	reset, ok := resetOf(h)
	if err1 != nil || err2 != nil || !ok || limit <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buckets[bucket] = &bucketState{limit: limit, remaining: remaining, reset: reset}
}

// resetOf reads X-Rate-Limit-Reset (UTC epoch seconds).
func resetOf(h http.Header) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("X-Rate-Limit-Reset"))
	if v == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// idSegments are path segments followed by an id in Okta's API.
var idSegments = map[string]bool{"users": true, "groups": true, "apps": true, "factors": true, "grants": true, "clients": true}

// bucketOf names the rate-limit bucket of a request: GETs and writes of
// the same path template are separate buckets in Okta.
func bucketOf(req *http.Request) string {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	for i := 1; i < len(segs); i++ {
		if idSegments[segs[i-1]] && segs[i] != "me" {
			segs[i] = "{id}"
		}
	}
	method := "GET"
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		method = "WRITE"
	}
	return method + " /" + strings.Join(segs, "/")
}

// transport wraps the HTTP transport: it paces requests and records each
// response's headers for the call that sent it.
type transport struct {
	base  http.RoundTripper
	pacer *pacer
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bucket := bucketOf(req)
	if until, which, ok := t.pacer.blocked(); ok {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &paceError{reset: until, bucket: which}
	}
	t.pacer.spend(bucket)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.pacer.observe(bucket, resp.Header)
	if rec, ok := req.Context().Value(recorderKey{}).(*recorder); ok {
		rec.mu.Lock()
		rec.status = resp.StatusCode
		rec.header = resp.Header.Clone()
		rec.requestID = resp.Header.Get("X-Okta-Request-Id")
		rec.requests++
		rec.mu.Unlock()
	}
	return resp, nil
}
