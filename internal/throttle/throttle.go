// Package throttle is what offboard's outside-API clients (Microsoft
// Graph, Jamf Pro) do alike when an API says "slow down": read its
// Retry-After, and keep one pause for the whole client so that no request
// goes out before the reset. It imports only the standard library.
package throttle

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxRetryAfter is the longest Retry-After taken: a day or more is a
// broken or hostile answer, and the caller's default applies instead.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After value: seconds, whole or fractional
// (Microsoft's throttling guide shows "2.128"; fractions are waited out
// to the millisecond), or an HTTP date, counted from now. An empty,
// unreadable, negative or day-long value is not taken (false).
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f >= maxRetryAfter.Seconds() || math.IsNaN(f) {
			return 0, false
		}
		return time.Duration(math.Ceil(f*1000)) * time.Millisecond, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := max(t.Sub(now), 0)
		if d >= maxRetryAfter {
			return 0, false
		}
		return d, true
	}
	return 0, false
}

// Gate is a client's pause: it holds the latest reset any answer gave.
// The zero value is open.
type Gate struct {
	mu    sync.Mutex
	until time.Time
}

// Until is the reset and whether it is still ahead of now.
func (g *Gate) Until(now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until, g.until.After(now)
}

// Extend closes the gate until until, unless it is already closed
// longer.
func (g *Gate) Extend(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.until) {
		g.until = until
	}
}
