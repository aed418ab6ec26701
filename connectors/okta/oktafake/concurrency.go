package oktafake

import (
	"net/http"
	"strconv"
	"time"
)

// DefaultConcurrency is Okta's documented limit on an org's simultaneous
// requests for Workforce Identity orgs (API and other non-Microsoft 365
// traffic; "Concurrency limits").
const DefaultConcurrency = 75

// Concurrency sets how many requests the fake serves at once; the next
// one is answered 429 at once, the way Okta answers a request over its
// concurrent limit: E0000047, with X-Rate-Limit-Limit the concurrent limit,
// X-Rate-Limit-Remaining 0 and X-Rate-Limit-Reset an estimate a second
// ahead (Okta's documentation calls it only an estimate). limit <= 0
// restores DefaultConcurrency. A refused request does not count against
// its per-minute bucket (unverified: Okta does not say).
func (s *Server) Concurrency(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.concMax = limit
}

// MaxInFlight is the most requests the fake had in progress at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// InFlight is how many requests the fake has in progress now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// ConcurrencyRejections counts the requests answered 429 for exceeding
// the concurrent limit.
func (s *Server) ConcurrencyRejections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.concRejected
}

// enter counts a request in flight and reports whether it is over the
// concurrent limit, setting the headers Okta sends then; s.mu is held.
func (s *Server) enter(now time.Time, h http.Header) bool {
	limit := s.concMax
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	if s.inFlight <= limit {
		return false
	}
	s.concRejected++
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", "0")
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(ceilUnix(now.Add(time.Second+s.skew)), 10))
	return true
}

// leave counts a request out of flight.
func (s *Server) leave() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
}
