package bot

import (
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// Recent remembers the last ids it was shown, so a chat platform acts
// once on an event its service delivers again (Slack retries envelopes
// within minutes, Bot Framework activities within seconds). It is safe
// for concurrent use.
type Recent struct {
	mu    sync.Mutex
	max   int
	seen  map[string]bool
	order []string // oldest first, to forget them
}

// NewRecent remembers up to max ids.
func NewRecent(max int) *Recent { return &Recent{max: max, seen: map[string]bool{}} }

// Seen reports whether id was shown before, and remembers it. An empty id
// is never seen: without one there is nothing to recognise.
func (r *Recent) Seen(id string) bool {
	if id == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		return true
	}
	r.seen[id] = true
	r.order = append(r.order, id)
	if len(r.order) > r.max {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	return false
}

// Pause is a chat API's pause (its last Retry-After), shared by every
// notice of that platform so the ones already in flight wait too. It is
// safe for concurrent use.
type Pause struct {
	API   string // named in the RateLimitError: "chat", "teams"
	mu    sync.Mutex
	until time.Time
}

// Until extends the pause to t (never shortens it).
func (p *Pause) Until(t time.Time) {
	p.mu.Lock()
	if t.After(p.until) {
		p.until = t
	}
	p.mu.Unlock()
}

// Err is the pause as the outbox's RateLimitError while it runs at now,
// else nil.
func (p *Pause) Err(now time.Time) error {
	p.mu.Lock()
	until := p.until
	p.mu.Unlock()
	if now.Before(until) {
		return &offboard.RateLimitError{API: p.API, Reset: until}
	}
	return nil
}
