package okta

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestBucketOf(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/users/00u1", "users: get one"},
		{"GET", "/api/v1/users/jane@example.com", "users: get one"},
		{"POST", "/api/v1/users/00u1/lifecycle/suspend", "users: update, delete, sub-resources"},
		{"DELETE", "/api/v1/users/00u1/sessions", "users: update, delete, sub-resources"},
		{"GET", "/api/v1/users/00u1/factors", "users: update, delete, sub-resources"},
		{"GET", "/api/v1/users", "users: create, list"},
		{"DELETE", "/api/v1/groups/00g1/users/00u1", "groups: one group"},
		{"GET", "/api/v1/groups", "groups: create, list"},
		{"POST", "/oauth2/v1/token", "token"},
		{"GET", "/api/v1/apps/0oa1", "apps: one app"},
		{"GET", "/api/v1/apps", "apps: create, list, other"},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if got := bucketOf(r); got != c.want {
			t.Errorf("bucketOf(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func rateHeader(limit, remaining int, reset time.Time) http.Header {
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Unix(), 10))
	return h
}

func TestPacer_Share(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &pacer{share: 0.5, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	reset := now.Add(30 * time.Second)
	p.observe("a", 200, rateHeader(100, 51, reset))
	if _, blocked := p.blocked("a"); blocked {
		t.Fatal("blocked with 51 of 100 left and share 0.5")
	}
	p.spend("a") // 50 left: offboard's half is used
	until, blocked := p.blocked("a")
	if !blocked || !until.Equal(reset) {
		t.Fatalf("blocked = %v %v", blocked, until)
	}
	// Another bucket is paced by its own reading only.
	p.observe("b", 200, rateHeader(100, 99, reset))
	if _, blocked := p.blocked("b"); blocked {
		t.Fatal("a spent bucket held back another")
	}
	if _, blocked := p.blocked("never-seen"); blocked {
		t.Fatal("a bucket without a reading is held back")
	}
	// A late answer of the same window with more left does not reopen it.
	p.observe("a", 200, rateHeader(100, 80, reset))
	if _, blocked := p.blocked("a"); !blocked {
		t.Fatal("an out-of-order answer reopened a spent bucket")
	}
	// After the reset the reading expires.
	now = now.Add(31 * time.Second)
	if _, blocked := p.blocked("a"); blocked {
		t.Fatal("still blocked after the reset")
	}
	// Missing headers are ignored.
	p.observe("c", 200, http.Header{})
	if _, ok := p.buckets["c"]; ok {
		t.Fatalf("buckets = %v", p.buckets)
	}
}

// A 429 closes the bucket until its reset, whatever the share; a 429
// reporting another limit while the bucket's live reading has requests
// left is Okta's concurrent limit and leaves the bucket open.
func TestPacer_Observe429(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &pacer{share: 1, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	reset := now.Add(40 * time.Second)
	p.observe("w", 200, rateHeader(600, 300, reset))
	if concurrent := p.observe("w", 429, rateHeader(75, 0, now.Add(time.Second))); !concurrent {
		t.Fatal("a 429 with the concurrent limit taken for the bucket")
	}
	if _, blocked := p.blocked("w"); blocked {
		t.Fatal("a concurrent-limit 429 closed the bucket")
	}
	if concurrent := p.observe("w", 429, rateHeader(600, 0, reset)); concurrent {
		t.Fatal("the bucket's own 429 taken for the concurrent limit")
	}
	if until, blocked := p.blocked("w"); !blocked || !until.Equal(reset) {
		t.Fatalf("after the bucket's 429: blocked %v until %v, want %v", blocked, until, reset)
	}
	// Without a reading a 429 is the bucket's: safe, it waits.
	if concurrent := p.observe("x", 429, rateHeader(75, 0, now.Add(2*time.Second))); concurrent {
		t.Fatal("a 429 without a reading taken for the concurrent limit")
	}
	if _, blocked := p.blocked("x"); !blocked {
		t.Fatal("a 429 without a reading left the bucket open")
	}
}

// A 429 Okta answers without rate-limit headers, or with a reset that
// has already passed by our clock, still closes the bucket: else every
// other job sends into it at once.
func TestPacer_Observe429WithoutReset(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &pacer{share: 1, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	p.observe("bare", 429, http.Header{})
	if until, blocked := p.blocked("bare"); !blocked || !until.Equal(now.Add(noResetWait)) {
		t.Fatalf("after a 429 without headers: blocked %v until %v, want %v", blocked, until, now.Add(noResetWait))
	}
	// With a live reading, a bare 429 spends the rest of its window.
	reset := now.Add(20 * time.Second)
	p.observe("live", 200, rateHeader(600, 300, reset))
	p.observe("live", 429, http.Header{})
	if until, blocked := p.blocked("live"); !blocked || !until.Equal(reset) {
		t.Fatalf("after a bare 429 with a live reading: blocked %v until %v, want %v", blocked, until, reset)
	}
	p.observe("past", 429, rateHeader(600, 0, now.Add(-5*time.Second)))
	if until, blocked := p.blocked("past"); !blocked || !until.Equal(now.Add(time.Second)) {
		t.Fatalf("after a 429 whose reset has passed: blocked %v until %v, want a second", blocked, until)
	}
	now = now.Add(61 * time.Second)
	for _, b := range []string{"bare", "live", "past"} {
		if _, blocked := p.blocked(b); blocked {
			t.Errorf("%s still blocked after its wait", b)
		}
	}
}

// The skew estimate is the largest Date reading (Date is truncated to
// the second, so readings lie at or below the true skew), and follows a
// step of our clock.
func TestPacer_ObserveDate(t *testing.T) {
	now := time.Unix(1_800_000_000, 600_000_000)
	p := &pacer{now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	h := http.Header{}
	date := func(t time.Time) { h.Set("Date", t.UTC().Format(http.TimeFormat)) }
	date(now.Add(30 * time.Second)) // Okta 30.x s ahead, truncated
	p.observeDate(h, now)
	if p.skew != 30*time.Second-600*time.Millisecond {
		t.Fatalf("skew %v", p.skew)
	}
	now = now.Add(400 * time.Millisecond) // at a whole second
	date(now.Add(30 * time.Second))
	p.observeDate(h, now)
	if p.skew != 30*time.Second {
		t.Fatalf("skew %v, want the larger reading", p.skew)
	}
	// Our clock steps 10 s forward: the estimate follows down.
	now = now.Add(10 * time.Second)
	date(now.Add(20 * time.Second))
	p.observeDate(h, now)
	if p.skew != 20*time.Second {
		t.Fatalf("skew %v after our clock stepped", p.skew)
	}
	reset := now.Add(25 * time.Second) // Okta's clock
	if got := p.local(reset); !got.Equal(now.Add(5 * time.Second)) {
		t.Fatalf("local reset %v", got)
	}
}

// A 429 from a broken or hostile upstream cannot pause a bucket for
// longer than maxResetAhead: a reset a day or centuries ahead, or an
// honest one read through a Date header far in the past, is bounded; a
// negative one is no reset; a Retry-After stands in for a missing reset,
// in seconds or as an HTTP date, bounded alike and never less than a
// second (a 0 must not make every job send at once).
func TestPacer_HostileReset(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &pacer{share: 1, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	check := func(bucket string, want time.Time) {
		t.Helper()
		if until, blocked := p.blocked(bucket); !blocked || !until.Equal(want) {
			t.Errorf("%s: blocked %v until %v, want until %v", bucket, blocked, until, want)
		}
	}
	p.observe("day", 429, rateHeader(600, 0, now.Add(24*time.Hour)))
	check("day", now.Add(maxResetAhead))
	h := rateHeader(600, 0, now)
	h.Set("X-Rate-Limit-Reset", "99999999999") // the year 5138
	p.observe("far", 429, h)
	check("far", now.Add(maxResetAhead))
	// A spent share with a far reset is bounded too.
	p.observe("share", 200, rateHeader(600, 0, now.Add(365*24*time.Hour)))
	check("share", now.Add(maxResetAhead))
	h = rateHeader(600, 0, now)
	h.Set("X-Rate-Limit-Reset", "-5")
	p.observe("negative", 429, h)
	check("negative", now.Add(noResetWait))

	for _, c := range []struct {
		name, retryAfter string
		want             time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"zero", "0", time.Second},
		{"hour", "3600", maxResetAhead},
		{"date", now.Add(20 * time.Second).UTC().Format(http.TimeFormat), 20 * time.Second},
		{"garbage", "soon", noResetWait},
		{"minus", "-3", noResetWait},
	} {
		h := http.Header{}
		h.Set("Retry-After", c.retryAfter)
		p.observe("retry-"+c.name, 429, h)
		check("retry-"+c.name, now.Add(c.want))
	}

	// Okta's Date far in the past makes an honest reset look decades
	// ahead in our clock: bounded, and the next honest Date heals it.
	q := &pacer{share: 1, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	h = rateHeader(600, 0, now.Add(30*time.Second))
	h.Set("Date", time.Unix(0, 0).UTC().Format(http.TimeFormat))
	q.observe("w", 429, h)
	if until, blocked := q.blocked("w"); !blocked || until.After(now.Add(maxResetAhead)) {
		t.Errorf("with a 1970 Date: blocked %v until %v, want at most %v", blocked, until, now.Add(maxResetAhead))
	}
	if reset, ok := q.localReset(h); !ok || reset.After(now.Add(maxResetAhead)) {
		t.Errorf("localReset with a 1970 Date = %v, %v; want at most %v", reset, ok, now.Add(maxResetAhead))
	}
	h = rateHeader(600, 0, now.Add(24*time.Hour))
	if reset, ok := p.localReset(h); !ok || !reset.Equal(now.Add(maxResetAhead)) {
		t.Errorf("localReset of a reset a day ahead = %v, %v; want %v", reset, ok, now.Add(maxResetAhead))
	}
}
