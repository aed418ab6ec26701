package okta

import (
	"context"
	"fmt"
	"io"
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
	bucket    string // of the last request
	// concurrent says the last 429 was Okta's concurrent limit, not a
	// spent bucket.
	concurrent bool
}

func (r *recorder) last() (status int, header http.Header, requestID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.header, r.requestID
}

func (r *recorder) lastBucket() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bucket
}

func (r *recorder) wasConcurrent() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.concurrent
}

type recorderKey struct{}

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	rec := &recorder{}
	return context.WithValue(ctx, recorderKey{}, rec), rec
}

// paceError is returned by the transport, without calling Okta, when
// offboard has used its share of the request's rate-limit bucket.
type paceError struct {
	reset  time.Time
	bucket string
}

func (e *paceError) Error() string {
	return fmt.Sprintf("offboard's share of the Okta rate limit for %s is used up until %s", e.bucket, e.reset.UTC().Format(time.RFC3339))
}

// bucketState is the reading of one bucket in its current window; reset
// is in Okta's clock, as the header gave it, so that readings of one
// window compare equal whatever the skew estimate did in between.
type bucketState struct {
	limit, remaining int
	reset            time.Time
}

// noResetWait is how long a bucket is closed after a 429 that gave no
// readable reset: Okta's windows are per minute.
const noResetWait = time.Minute

// pacer tracks Okta's rate-limit headers per bucket and holds a request
// back once offboard's share of its own bucket is used: a spent bucket
// never holds back a request to another one.
type pacer struct {
	share float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucketState
	// skew estimates how far Okta's clock is ahead of ours, from the
	// Date header of its answers (see observeDate).
	skew      time.Duration
	skewKnown bool
}

// maxSkewDrop is how far a Date reading may fall below the estimate
// before it is taken as our clock having stepped: readings of a steady
// clock lie within the header's second (plus the answer's latency).
const maxSkewDrop = 2 * time.Second

// observeDate updates the skew estimate from an answer's Date header,
// read at now; p.mu is held. Date is truncated to the second and stamped
// before we read it, so each reading is at most the true skew: the
// largest reading is the closest, and using it never places a reset
// before Okta's.
func (p *pacer) observeDate(h http.Header, now time.Time) {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	reading := date.Sub(now)
	if !p.skewKnown || reading > p.skew || reading < p.skew-maxSkewDrop {
		p.skew, p.skewKnown = reading, true
	}
}

// local turns a time in Okta's clock into ours; p.mu is held.
func (p *pacer) local(okta time.Time) time.Time { return okta.Add(-p.skew) }

// maxResetAhead bounds how far ahead a reset is believed. Okta's windows
// are per minute, so a reset further away is no window's: a broken proxy,
// a hostile answer, or a Date header far in the past (which makes every
// reset look far ahead in our clock). Believed, it would pause revocation
// for as long as it says; past this bound a request finds out again.
const maxResetAhead = 2 * time.Minute

// bounded is reset (Okta's clock) no further than maxResetAhead from
// Okta's now by the skew estimate; p.mu is held.
func (p *pacer) bounded(reset, now time.Time) time.Time {
	if limit := now.Add(p.skew + maxResetAhead); reset.After(limit) {
		return limit
	}
	return reset
}

// localReset reads X-Rate-Limit-Reset in our clock, bounded by
// maxResetAhead; without it, a Retry-After (seconds or an HTTP date, as
// RFC 9110 allows; Okta documents neither, a proxy in front may send one).
func (p *pacer) localReset(h http.Header) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.observeDate(h, now)
	if reset, ok := resetOf(h); ok {
		return p.local(p.bounded(reset, now)), true
	}
	return p.retryAfter(h, now)
}

// retryAfter reads a Retry-After header in our clock, bounded by
// maxResetAhead; p.mu is held.
func (p *pacer) retryAfter(h http.Header, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		return now.Add(min(time.Duration(min(secs, 1<<30))*time.Second, maxResetAhead)), true
	}
	date, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	// An HTTP date is in the sender's clock, as the Date header is.
	return p.local(p.bounded(date, now)), true
}

// blocked reports whether bucket is over offboard's share, and until
// when.
func (p *pacer) blocked(bucket string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.buckets[bucket]
	if !ok {
		return time.Time{}, false
	}
	until := p.local(b.reset)
	if !p.now().Before(until) {
		delete(p.buckets, bucket)
		return time.Time{}, false
	}
	floor := int(math.Ceil(float64(b.limit) * (1 - p.share)))
	if b.remaining <= floor {
		return until, true
	}
	return time.Time{}, false
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

// observe takes a response's X-Rate-Limit-* reading for its bucket. It
// reports whether a 429 was Okta's concurrent limit rather than the
// bucket: Okta then reports the concurrent limit in the same headers
// ("Rate limit best practices"), so a 429 whose limit differs from a live
// reading of the bucket that still had requests left is not the bucket's.
// Such a 429 leaves the bucket's reading alone; without a reading, a 429
// is taken as the bucket's (the safe side: it waits for the reset). A
// 429 whose headers are missing, or whose reset has passed by our clock,
// still closes the bucket (for noResetWait, or a second): else every
// other job would send into it at once.
func (p *pacer) observe(bucket string, status int, h http.Header) (concurrent bool) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	reset, ok := resetOf(h)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.observeDate(h, now)
	b, known := p.buckets[bucket]
	live := known && now.Before(p.local(b.reset))
	refused := status == http.StatusTooManyRequests
	if err1 != nil || err2 != nil || !ok || limit <= 0 {
		switch {
		case refused && live:
			b.remaining = 0
		case refused:
			wait := now.Add(noResetWait)
			if at, ok := p.retryAfter(h, now); ok {
				wait = maxTime(at, now.Add(time.Second))
			}
			p.buckets[bucket] = &bucketState{reset: wait.Add(p.skew)}
		}
		return false
	}
	reset = p.bounded(reset, now)
	if refused {
		if live && b.limit != limit && b.remaining > 0 {
			return true
		}
		remaining = 0
		if !now.Before(p.local(reset)) {
			reset = now.Add(time.Second + p.skew)
		}
	}
	switch {
	case !live || reset.After(b.reset):
		// A new window (or the first reading).
		p.buckets[bucket] = &bucketState{limit: limit, remaining: remaining, reset: reset}
	case reset.Equal(b.reset):
		// Answers of one window arrive out of order; the fewest left is
		// the latest count.
		b.remaining = min(b.remaining, remaining)
		b.limit = limit
	}
	// An answer from an earlier window than the reading is stale.
	return false
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

// maxPaceWait is the longest the transport holds a request back for its
// bucket's reset (or a concurrent-limit retry) itself; a longer wait is
// returned as a rate limit, so that the outbox releases the worker.
const maxPaceWait = 2 * time.Second

// transport wraps the HTTP transport: it caps the requests in flight,
// paces each request by its bucket and records each response's headers
// for the call that sent it.
type transport struct {
	base  http.RoundTripper
	pacer *pacer
	// slots holds one token per request in flight (okta.max_concurrent).
	slots chan struct{}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bucket := bucketOf(req)
	for attempt := 0; ; attempt++ {
		if until, ok := t.pacer.blocked(bucket); ok {
			if attempt > 0 || !t.wait(req.Context(), until) {
				closeBody(req)
				return nil, &paceError{reset: until, bucket: bucket}
			}
			// The reset has passed: look again, as another request may
			// have opened a new window.
			continue
		}
		resp, concurrent, err := t.send(req, bucket)
		if err != nil || !concurrent {
			return resp, err
		}
		// Okta's concurrent limit: others in the org fill it. One retry
		// after Okta's estimate, when short and the body can be sent
		// again; else the caller gets the 429.
		reset, ok := t.pacer.localReset(resp.Header)
		if attempt > 0 || !ok || (req.Body != nil && req.GetBody == nil) || !t.wait(req.Context(), reset) {
			return resp, nil
		}
		again := req.Clone(req.Context())
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return resp, nil
			}
			again.Body = body
		}
		drain(resp)
		resp, _, err = t.send(again, bucket)
		return resp, err
	}
}

// send makes one request in a concurrency slot and records its answer.
func (t *transport) send(req *http.Request, bucket string) (*http.Response, bool, error) {
	if t.slots != nil {
		select {
		case t.slots <- struct{}{}:
		case <-req.Context().Done():
			closeBody(req)
			return nil, false, req.Context().Err()
		}
	}
	t.pacer.spend(bucket)
	resp, err := t.base.RoundTrip(req)
	// Okta has done its work once the answer's headers are here; holding
	// the slot until the body is closed would lose it to any caller that
	// never closes one (the SDK leaves some 401 bodies open).
	t.release()
	if err != nil {
		return nil, false, err
	}
	concurrent := t.pacer.observe(bucket, resp.StatusCode, resp.Header)
	if rec, ok := req.Context().Value(recorderKey{}).(*recorder); ok {
		rec.mu.Lock()
		rec.status = resp.StatusCode
		rec.header = resp.Header.Clone()
		rec.requestID = resp.Header.Get("X-Okta-Request-Id")
		rec.concurrent = concurrent
		rec.bucket = bucket
		rec.requests++
		rec.mu.Unlock()
	}
	return resp, concurrent, nil
}

func (t *transport) release() {
	if t.slots != nil {
		<-t.slots
	}
}

// wait sleeps until until when that is at most maxPaceWait away and
// before ctx's deadline; false means the caller should not wait.
func (t *transport) wait(ctx context.Context, until time.Time) bool {
	d := until.Sub(t.pacer.now())
	if d > maxPaceWait {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(time.Now().Add(d)) {
		return false
	}
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}
