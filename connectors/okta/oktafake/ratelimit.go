package oktafake

import (
	"net/http"
	"strconv"
	"time"
)

// Okta counts requests in per-minute buckets that differ per endpoint
// family ("Management rate limits", Workforce Identity column), and every
// response carries the X-Rate-Limit-* headers of the request's own bucket.
// Families and limits modelled here:
const (
	// The org authorization server's /oauth2/v1 ("Authentication/End-user
	// rate limits", Workforce Identity): 2,000.
	BucketToken     = "/oauth2/v1/token"
	BucketUsers     = "/api/v1/users"          // list and create: 600
	BucketGetUser   = "GET /api/v1/users/{id}" // read one user: 2000
	BucketUserWrite = "/api/v1/users/{id}"     // everything else under a user: 600
	BucketGroups    = "/api/v1/groups"         // list and create: 500
	BucketGroup     = "/api/v1/groups/{id}"    // one group and its members: 1000
	// Apps: /api/v1/apps and every /api/v1/apps/* but the app itself,
	// /api/v1/apps/{id}/* included: 100; exactly /api/v1/apps/{id}: 500.
	BucketApps   = "/api/v1/apps"
	BucketApp    = "/api/v1/apps/{id}"
	BucketLogs   = "/api/v1/logs"   // the System Log: 120
	BucketEvents = "/api/v1/events" // the old events API: 100
	BucketOther  = "/api/v1"        // most other endpoints: 1200
)

var documentedLimits = map[string]int{
	BucketToken: 2000, BucketUsers: 600, BucketGetUser: 2000, BucketUserWrite: 600,
	BucketGroups: 500, BucketGroup: 1000, BucketApps: 100, BucketApp: 500,
	BucketLogs: 120, BucketEvents: 100, BucketOther: 1200,
}

// BucketOf names the rate-limit bucket of a request.
func BucketOf(method, path string) string {
	seg := splitPath(path)
	switch {
	case len(seg) == 3 && seg[0] == "oauth2" && seg[2] == "token":
		return BucketToken
	case len(seg) < 3 || seg[0] != "api" || seg[1] != "v1":
		return BucketOther
	case seg[2] == "users" && len(seg) == 3:
		return BucketUsers
	case seg[2] == "users" && len(seg) == 4 && method == http.MethodGet:
		return BucketGetUser
	case seg[2] == "users":
		return BucketUserWrite
	case seg[2] == "groups" && len(seg) == 3:
		return BucketGroups
	case seg[2] == "groups":
		return BucketGroup
	case seg[2] == "apps" && len(seg) == 4:
		return BucketApp
	case seg[2] == "apps":
		return BucketApps
	case seg[2] == "logs" && len(seg) == 3:
		return BucketLogs
	case seg[2] == "events" && len(seg) == 3:
		return BucketEvents
	}
	return BucketOther
}

// rateWindow counts the requests of one bucket in its current window.
// refusedUntil is the reset a 429 of this bucket announced: a request to
// the bucket before it is a violation (the client did not wait).
type rateWindow struct {
	start        time.Time
	count        int
	refusedUntil time.Time
}

// BucketWindow compresses time for the per-endpoint buckets: each allows
// its per-minute figure per d instead (windows aligned to multiples of d
// on the clock). d <= 0 restores the minute.
func (s *Server) BucketWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketWindow = d
	s.buckets = nil
}

// ClockSkew sets Okta's clock d ahead of the machine's (behind when
// negative): the Date and X-Rate-Limit-Reset headers are in Okta's time,
// as a real org's are when the host running offboard has drifted.
// Violations are still counted in real time.
func (s *Server) ClockSkew(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew = d
}

func (s *Server) clockSkew() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skew
}

// Violations counts requests that reached a bucket after a 429 of that
// bucket and before the X-Rate-Limit-Reset the 429 announced: requests a
// client should have held back.
func (s *Server) Violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations
}

// ceilUnix is t in epoch seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	n := t.Unix()
	if t.After(time.Unix(n, 0)) {
		n++
	}
	return n
}

// BucketLimit sets the per-minute limit of one per-endpoint bucket
// (Bucket* constants), so tests can run one out without thousands of
// requests. limit <= 0 restores Okta's documented figure.
func (s *Server) BucketLimit(bucket string, limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bucketMax == nil {
		s.bucketMax = map[string]int{}
	}
	if limit <= 0 {
		delete(s.bucketMax, bucket)
		return
	}
	s.bucketMax[bucket] = limit
}

// spendRate counts r against its bucket, sets the rate-limit headers and
// reports whether the bucket was already used up; s.mu is held.
func (s *Server) spendRate(r *http.Request, now time.Time, h http.Header) bool {
	bucket, limit, window := "org", s.rlLimit, s.rlWindow
	if limit <= 0 {
		bucket = BucketOf(r.Method, r.URL.Path)
		limit, window = documentedLimits[bucket], time.Minute
		if s.bucketWindow > 0 {
			window = s.bucketWindow
		}
		if l, ok := s.bucketMax[bucket]; ok {
			limit = l
		}
	}
	if s.buckets == nil {
		s.buckets = map[string]*rateWindow{}
	}
	b := s.buckets[bucket]
	if b == nil {
		b = &rateWindow{}
		s.buckets[bucket] = b
	}
	if b.start.IsZero() || !now.Before(b.start.Add(window)) {
		// Windows are aligned to the clock, as Okta's per-minute windows
		// are to the minute, so the reset is exact.
		b.start, b.count = now.Truncate(window), 0
	}
	if now.Before(b.refusedUntil) {
		s.violations++
	}
	b.count++
	reset := ceilUnix(b.start.Add(window))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(max(limit-b.count, 0)))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(ceilUnix(b.start.Add(window+s.skew)), 10))
	if b.count > limit {
		b.refusedUntil = time.Unix(reset, 0)
		return true
	}
	return false
}

// DocumentedLimit is the per-minute limit of a bucket (Bucket*) in Okta's
// documentation, as the fake applies it unless BucketLimit changed it.
func DocumentedLimit(bucket string) int { return documentedLimits[bucket] }
