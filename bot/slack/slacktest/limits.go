package slacktest

import (
	"net/http"
	"time"
)

// Slack's Web API tiers, per method per workspace per app: Tier 2 allows
// about 20 requests a minute with occasional bursts, Tier 3 about 50.
// conversations.create is Tier 2: the fake enforces it by default, so a
// layoff that opens a private channel per person meets the same wall it
// would in Slack.
const (
	Tier2PerMinute = 20
	Tier3PerMinute = 50
)

// tierLimit is one method's workspace-wide limit.
type tierLimit struct {
	every time.Duration // one request per every, past the burst
	burst int
}

// defaultTiers are the method limits enforced from the start.
func defaultTiers() map[string]tierLimit {
	return map[string]tierLimit{
		"conversations.create": {every: time.Minute / Tier2PerMinute, burst: Tier2PerMinute},
	}
}

// SetMethodLimit sets a method's workspace-wide limit: burst requests at
// once, then perMinute a minute; 0 lifts it. Past it the answer is HTTP
// 429 with Retry-After, as Slack's.
func (s *Server) SetMethodLimit(method string, perMinute, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets, "method:"+method)
	if perMinute <= 0 {
		delete(s.tiers, method)
		return
	}
	s.tiers[method] = tierLimit{every: time.Minute / time.Duration(perMinute), burst: max(burst, 1)}
}

// Limited returns how many requests the fake answered 429 by its own
// limits (not FailNext's).
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// EarlySends returns how many requests came to a limited channel or
// method before the Retry-After the fake last gave for it had passed: a
// client that honours Retry-After makes none.
func (s *Server) EarlySends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// limit checks the fake's limits for one call and answers 429 when one
// is spent; it reports whether it answered. The caller holds s.mu.
func (s *Server) limit(w http.ResponseWriter, c *Call, now time.Time) bool {
	key, burst, every := "", 0, time.Duration(0)
	switch t, ok := s.tiers[c.Method]; {
	case c.Method == "chat.postMessage" && s.chatBurst > 0:
		key, burst, every = "chat:"+s.canonical(c.param("channel")), s.chatBurst, s.chatEvery
	case ok:
		key, burst, every = "method:"+c.Method, t.burst, t.every
	default:
		return false
	}
	if until, ok := s.retryAt[key]; ok && now.Before(until) {
		s.early++
	}
	wait, ok := s.take(key, burst, every, now)
	if ok {
		return false
	}
	secs := retryAfter(wait)
	s.retryAt[key] = now.Add(wholeSeconds(wait))
	s.limited++
	w.Header().Set("Retry-After", secs)
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	return true
}

// take takes a token from key's bucket; when none is left it returns how
// long until one is. The caller holds s.mu.
func (s *Server) take(key string, burst int, every time.Duration, now time.Time) (time.Duration, bool) {
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), at: now}
		s.buckets[key] = b
	}
	b.tokens = min(float64(burst), b.tokens+float64(now.Sub(b.at))/float64(every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) * float64(every)), false
}

// wholeSeconds is d rounded up to whole seconds, at least one: the wait
// the Retry-After header states.
func wholeSeconds(d time.Duration) time.Duration {
	return max((d+time.Second-1)/time.Second, 1) * time.Second
}
