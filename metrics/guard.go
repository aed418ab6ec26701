package metrics

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// guard decides who may scrape. The figures carry no names, but case
// counts over time show a layoff coming, so they are not public:
//
//   - with metrics.token set, a scraper presents it as a bearer token
//     (Prometheus: authorization.credentials_file), from any address;
//   - without it, only a scrape from the loopback interface that came
//     through no proxy is served. A proxy on the same machine connects
//     from loopback too, so a request carrying a forwarding header
//     (X-Forwarded-For, X-Real-IP, Forwarded) is refused: it came from
//     somewhere else.
//
// Refusals are logged as warnings and audited (metrics.refused), at most
// once a minute with a count, so a misconfigured scraper every 15 s drowns
// neither the log nor the chain.
type guard struct {
	token []byte
	log   *slog.Logger
	audit offboard.AuditLog
	now   func() time.Time

	mu       sync.Mutex
	refused  int
	lastWarn time.Time
}

// refusalLogEvery spaces the warnings about refused scrapes.
const refusalLogEvery = time.Minute

func newGuard(token string, log *slog.Logger, audit offboard.AuditLog, now func() time.Time) *guard {
	g := &guard{log: log, audit: audit, now: now}
	if token != "" {
		g.token = []byte(token)
	}
	return g
}

func (g *guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if status, why := g.check(r); status != 0 {
			g.refuse(r, why)
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="offboard metrics"`)
			}
			http.Error(w, why, status)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// check returns 0 for an allowed scrape, else the status and the reason
// the scraper is told.
func (g *guard) check(r *http.Request) (int, string) {
	if g.token != nil {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), g.token) != 1 {
			return http.StatusUnauthorized, "metrics: a bearer token (metrics.token) is required"
		}
		return 0, ""
	}
	if !loopback(r.RemoteAddr) {
		return http.StatusForbidden, "metrics: served to loopback only; set metrics.token to scrape from elsewhere"
	}
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded"} {
		if r.Header.Get(h) != "" {
			return http.StatusForbidden, "metrics: a scrape through a proxy needs metrics.token"
		}
	}
	return 0, ""
}

func (g *guard) refuse(r *http.Request, why string) {
	g.mu.Lock()
	g.refused++
	now := g.now()
	if now.Sub(g.lastWarn) < refusalLogEvery {
		g.mu.Unlock()
		return
	}
	n := g.refused
	g.refused, g.lastWarn = 0, now
	g.mu.Unlock()
	// The address is the scraper's, never a person's data; no header is
	// logged (the Authorization header may hold a near-miss token).
	g.log.Warn("metrics: refused a scrape", "remote", r.RemoteAddr, "reason", why, "refused", n)
	if g.audit == nil {
		return
	}
	ev := offboard.AuditEvent{Time: now, Actor: offboard.System("metrics"), Action: "metrics.refused",
		Outcome: offboard.OutcomeRefused, Detail: why,
		Evidence: map[string]string{"remote": r.RemoteAddr, "refused": strconv.Itoa(n)}}
	if err := g.audit.Append(context.WithoutCancel(r.Context()), ev); err != nil {
		g.log.Error("metrics: could not audit a refused scrape", "err", err)
	}
}

func loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
