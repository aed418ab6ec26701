package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// DefaultCacheTTL is how long the case lists and the digest behind the
// index and analytics pages are reused. Reading every open case with its
// tasks costs tens of milliseconds per thousand cases; a wall board
// refreshing every few seconds, or several people looking at once, read
// the store once per TTL. Case pages and the audit trail are never
// cached.
const DefaultCacheTTL = 5 * time.Second

type cacheEntry struct {
	mu    sync.Mutex
	at    time.Time
	val   any
	valid bool
}

// cache memoizes engine reads for ttl of wall time. Concurrent readers of
// one key wait for a single load. ttl <= 0 disables it.
type cache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

func (c *cache) get(key string, load func() (any, error)) (any, error) {
	if c.ttl <= 0 {
		return load()
	}
	c.mu.Lock()
	e := c.entries[key]
	if e == nil {
		e = &cacheEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.valid && time.Since(e.at) < c.ttl {
		return e.val, nil
	}
	v, err := load()
	if err != nil {
		e.valid = false
		return nil, err
	}
	e.at, e.val, e.valid = time.Now(), v, true
	return v, nil
}

// listCases is Engine.ListCases through the cache. The views are shared:
// callers must not modify them.
func (s *server) listCases(ctx context.Context, st offboard.CaseStatus) ([]*flows.CaseView, error) {
	v, err := s.cache.get("list:"+string(st), func() (any, error) {
		return s.o.Engine.ListCases(ctx, s.o.Viewer, st, listLimit)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*flows.CaseView), nil
}

func (s *server) digest(ctx context.Context, now time.Time) (flows.Digest, error) {
	v, err := s.cache.get("digest", func() (any, error) {
		return s.o.Engine.Digest(ctx, now)
	})
	if err != nil {
		return flows.Digest{}, err
	}
	return v.(flows.Digest), nil
}
