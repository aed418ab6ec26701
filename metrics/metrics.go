// Package metrics is the Prometheus adapter of offboard.Metrics: it keeps
// its own registry (never the library's global one, so a test or a
// library user gets no shared state), exposes the Go and process
// collectors beside offboard's figures, and serves them at /metrics
// behind the guard in guard.go. It is the only package that imports
// github.com/prometheus/client_golang; the parts that report figures
// speak the root interface.
//
// Every figure is a count or a duration. Labels are case statuses, job
// states, system names and chat platforms, never a person, an email or a
// case id.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/offboard-dev/offboard"
)

// Queue is the outbox as a scrape sees it.
type Queue struct {
	// Queued wait for a worker (due or not yet), Leased are held by one,
	// Dead are in the dead letters waiting for a person.
	Queued, Leased, Dead int
	// OldestDue is how long the longest-waiting due job has waited since
	// it became due; zero when none is due.
	OldestDue time.Duration
}

// Options configure the adapter. CaseCounts and Queue are required.
type Options struct {
	// CaseCounts counts cases by status (the store's status index). It is
	// called on a scrape only when a command committed since the last
	// count, so an idle offboard with 100,000 closed cases walks nothing.
	CaseCounts func(ctx context.Context) (map[offboard.CaseStatus]int, error)
	// Queue reads the outbox; it is a few key seeks and counts of the
	// (small) job buckets, read on every scrape because ages grow.
	Queue func(ctx context.Context, now time.Time) (Queue, error)
	// Token, when set, is the bearer token a scraper must present (from
	// any address). Unset, only loopback scrapes that came through no
	// proxy are served (guard.go).
	Token string
	// Audit records refused scrapes, one event a minute at most with a
	// count (nil: logged only).
	Audit  offboard.AuditLog
	Now    func() time.Time
	Logger *slog.Logger
}

// Buckets of the time to revocation: an involuntary exit takes well under
// a second, a voluntary one waits for someone's click, a scheduled one
// for the revocation hour.
var revocationBuckets = []float64{0.25, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 8 * 3600, 24 * 3600, 72 * 3600}

// Buckets of a chat ack: the budget is 50 ms, Slack gives up at 3 s.
var ackBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// Metrics implements offboard.Metrics and serves the registry.
type Metrics struct {
	reg        *prometheus.Registry
	revocation prometheus.Histogram
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	throttled  *prometheus.CounterVec
	ack        *prometheus.HistogramVec
	handler    http.Handler
	guard      *guard
	// changed marks the case counts stale.
	changed func()
}

var _ offboard.Metrics = (*Metrics)(nil)

// New builds the registry with offboard's figures and the Go and process
// collectors.
func New(o Options) (*Metrics, error) {
	if o.CaseCounts == nil || o.Queue == nil {
		return nil, errors.New("metrics: case counts and queue readers are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		revocation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "offboard_time_to_revocation_seconds",
			Help:    "Time from a case's clock start (HR's effective time or the notice) until every revocation was done and verified, for cases revoked since this process started.",
			Buckets: revocationBuckets,
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "offboard_connector_requests_total",
			Help: "HTTP requests sent to an outside system, by system.",
		}, []string{"system"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "offboard_connector_errors_total",
			Help: "Requests to an outside system that got no answer or a 5xx, by system.",
		}, []string{"system"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "offboard_connector_throttled_total",
			Help: "Requests an outside system answered 429 Too Many Requests, by system.",
		}, []string{"system"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "offboard_chat_ack_seconds",
			Help:    "Time from a chat platform's input reaching offboard until it was acknowledged, by platform.",
			Buckets: ackBuckets,
		}, []string{"platform"}),
		guard: newGuard(o.Token, o.Logger, o.Audit, o.Now),
	}
	state := &storeCollector{counts: o.CaseCounts, queue: o.Queue, now: o.Now, log: o.Logger, dirty: true}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.revocation, m.requests, m.errors, m.throttled, m.ack, state,
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.changed = state.markDirty
	// A failing store read leaves its metric out of that scrape (and says
	// why in the log); the rest is still served.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, ErrorLog: slogPrinter{o.Logger},
	})
	return m, nil
}

// Handler serves the registry in Prometheus' text format to an allowed
// scraper (see guard.go).
func (m *Metrics) Handler() http.Handler { return m.guard.wrap(m.handler) }

// Registry is the registry served, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// CasesChanged marks the case counts stale; the next scrape recounts.
func (m *Metrics) CasesChanged() { m.changed() }

// Revoked observes one case's time to revocation.
func (m *Metrics) Revoked(after time.Duration) { m.revocation.Observe(max(after, 0).Seconds()) }

// APIRequest counts one request to system and its outcome.
func (m *Metrics) APIRequest(system string, status int, err error) {
	m.requests.WithLabelValues(system).Inc()
	switch {
	case err != nil || status == 0 || status >= 500:
		m.errors.WithLabelValues(system).Inc()
	case status == http.StatusTooManyRequests:
		m.throttled.WithLabelValues(system).Inc()
	}
}

// ChatAck observes one acknowledgement on platform.
func (m *Metrics) ChatAck(platform string, took time.Duration) {
	m.ack.WithLabelValues(platform).Observe(max(took, 0).Seconds())
}

// slogPrinter is promhttp's error log on slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: a scrape could not read every figure", "err", errors.New(fmt.Sprint(v...)))
}

// storeCollector reads the case counts and the outbox at scrape time.
type storeCollector struct {
	counts func(context.Context) (map[offboard.CaseStatus]int, error)
	queue  func(context.Context, time.Time) (Queue, error)
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex
	dirty  bool
	cached map[offboard.CaseStatus]int
}

var (
	casesDesc = prometheus.NewDesc("offboard_cases", "Cases by status.", []string{"status"}, nil)
	jobsDesc  = prometheus.NewDesc("offboard_jobs", "Jobs in the outbox by state: queued (waiting for a worker, due or scheduled), leased (held by a worker), dead (in the dead letters).", []string{"state"}, nil)
	oldestDue = prometheus.NewDesc("offboard_jobs_oldest_due_seconds", "How long the longest-waiting due job has waited since it became due (0 when none is due).", nil, nil)
)

// statuses are always reported, zero or not, so a graph has no gaps.
var statuses = []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled}

func (c *storeCollector) markDirty() {
	c.mu.Lock()
	c.dirty = true
	c.mu.Unlock()
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- casesDesc
	ch <- jobsDesc
	ch <- oldestDue
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if counts, err := c.caseCounts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(casesDesc, err)
	} else {
		for _, s := range statuses {
			ch <- prometheus.MustNewConstMetric(casesDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
		for s, n := range counts {
			if !known(s) { // a status this build does not name, still counted
				ch <- prometheus.MustNewConstMetric(casesDesc, prometheus.GaugeValue, float64(n), string(s))
			}
		}
	}
	q, err := c.queue(ctx, c.now())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(q.Queued), "queued")
	ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(q.Leased), "leased")
	ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(q.Dead), "dead")
	ch <- prometheus.MustNewConstMetric(oldestDue, prometheus.GaugeValue, q.OldestDue.Seconds())
}

// caseCounts recounts only when a command committed since the last
// count. The flag is cleared before reading, so a commit during the read
// marks it stale again.
func (c *storeCollector) caseCounts(ctx context.Context) (map[offboard.CaseStatus]int, error) {
	c.mu.Lock()
	if !c.dirty && c.cached != nil {
		defer c.mu.Unlock()
		return c.cached, nil
	}
	c.dirty = false
	c.mu.Unlock()
	counts, err := c.counts(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.dirty = true
		return nil, err
	}
	c.cached = counts
	return counts, nil
}

func known(s offboard.CaseStatus) bool {
	for _, k := range statuses {
		if s == k {
			return true
		}
	}
	return false
}
