package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// DefaultCacheTTL is how long the case lists behind the index and
// analytics pages are reused. A thousand case summaries cost a few
// milliseconds to read; a wall board
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

// summaries is Engine.CaseSummaries through the cache. The cases are
// shared between requests: callers must not change them.
func (s *server) summaries(ctx context.Context, st offboard.CaseStatus, since time.Time) ([]*offboard.Case, error) {
	viewer := viewerOf(ctx)
	// One entry per viewer: what Finance may see is not what HR may.
	key := "sum:" + viewerKey(viewer) + ":" + string(st) + ":" + since.UTC().Format(time.RFC3339)
	v, err := s.cache.get(key, func() (any, error) {
		return s.o.Engine.CaseSummaries(ctx, viewer, st, since, listLimit)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*offboard.Case), nil
}
