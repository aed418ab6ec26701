package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/internal/metered"
	"github.com/offboard-dev/offboard/metrics"
)

// newMetrics builds the Prometheus adapter over the store's counts, or
// returns nil when metrics.enabled is off. Its guard is metrics.token or
// loopback (metrics/guard.go).
func newMetrics(cfg *config.Config, db storeBackend, audit offboard.AuditLog, log *slog.Logger) (*metrics.Metrics, error) {
	if !cfg.Metrics.Enabled {
		return nil, nil
	}
	return metrics.New(metrics.Options{
		CaseCounts: func(ctx context.Context) (map[offboard.CaseStatus]int, error) {
			return db.CaseCounts(ctx)
		},
		Queue: func(ctx context.Context, now time.Time) (metrics.Queue, error) {
			f, err := db.QueueFigures(ctx, now)
			return metrics.Queue{Queued: f.Queued, Leased: f.Leased, Dead: f.Dead, OldestDue: f.OldestDue}, err
		},
		Token:  cfg.Metrics.Token.Reveal(),
		Audit:  audit,
		Logger: log.With("component", "metrics"),
	})
}

// defaultRequestTimeout is a connector's request timeout when the config
// gives none (config's defaults always do).
const defaultRequestTimeout = 30 * time.Second

// meteredHTTP is the HTTP client a connector is given so that its
// requests are counted under system; nil (the connector builds its own)
// when nothing counts.
func meteredHTTP(timeout time.Duration, system string, m offboard.Metrics) *http.Client {
	if m == nil {
		return nil
	}
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	return metered.Client(&http.Client{Timeout: timeout}, system, m)
}
