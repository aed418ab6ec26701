package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/metrics"
)

// fakeStore counts how often the adapter reads it.
type fakeStore struct {
	open      atomic.Int64
	countRuns atomic.Int64
	fail      atomic.Bool
}

func (f *fakeStore) counts(context.Context) (map[offboard.CaseStatus]int, error) {
	f.countRuns.Add(1)
	if f.fail.Load() {
		return nil, errors.New("store closed")
	}
	return map[offboard.CaseStatus]int{offboard.CaseOpen: int(f.open.Load()), offboard.CaseCompleted: 7}, nil
}

func (f *fakeStore) queue(context.Context, time.Time) (metrics.Queue, error) {
	return metrics.Queue{Queued: 3, Leased: 1, Dead: 2, OldestDue: 90 * time.Second}, nil
}

func newMetrics(t *testing.T, token string) (*metrics.Metrics, *fakeStore) {
	t.Helper()
	fs := &fakeStore{}
	m, err := metrics.New(metrics.Options{CaseCounts: fs.counts, Queue: fs.queue, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return m, fs
}

// scrape fetches /metrics over a real loopback connection.
func scrape(t *testing.T, h http.Handler, header map[string]string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustHave(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("scrape lacks %q", l)
		}
	}
}

func TestMetrics_Handler(t *testing.T) {
	m, fs := newMetrics(t, "")
	fs.open.Store(2)
	status, body := scrape(t, m.Handler(), nil)
	if status != http.StatusOK {
		t.Fatalf("loopback scrape: %d %s", status, body)
	}
	mustHave(t, body,
		`offboard_cases{status="open"} 2`, `offboard_cases{status="completed"} 7`, `offboard_cases{status="cancelled"} 0`,
		`offboard_jobs{state="queued"} 3`, `offboard_jobs{state="leased"} 1`, `offboard_jobs{state="dead"} 2`,
		`offboard_jobs_oldest_due_seconds 90`)
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, family) {
			t.Errorf("scrape lacks the %s collector", family)
		}
	}

	// Nothing committed: the counts are not read again.
	fs.open.Store(5)
	_, body = scrape(t, m.Handler(), nil)
	mustHave(t, body, `offboard_cases{status="open"} 2`)
	if n := fs.countRuns.Load(); n != 1 {
		t.Errorf("case counts read %d times for two scrapes with no change, want 1", n)
	}
	// A commit: the next scrape recounts.
	m.CasesChanged()
	_, body = scrape(t, m.Handler(), nil)
	mustHave(t, body, `offboard_cases{status="open"} 5`)

	// A store that fails leaves the counts out and serves the rest.
	fs.fail.Store(true)
	m.CasesChanged()
	status, body = scrape(t, m.Handler(), nil)
	if status != http.StatusOK || strings.Contains(body, "offboard_cases{") {
		t.Errorf("failing counts: status %d, cases in body: %v", status, strings.Contains(body, "offboard_cases{"))
	}
	mustHave(t, body, `offboard_jobs{state="queued"} 3`)
}

func TestMetrics_APIRequest(t *testing.T) {
	m, _ := newMetrics(t, "")
	m.APIRequest("okta", 200, nil)
	m.APIRequest("okta", 429, nil)
	m.APIRequest("okta", 503, nil)
	m.APIRequest("jamf", 0, errors.New("connection refused"))
	m.Revoked(3 * time.Second)
	m.Revoked(2 * time.Hour)
	m.ChatAck("slack", 12*time.Millisecond)
	_, body := scrape(t, m.Handler(), nil)
	mustHave(t, body,
		`offboard_connector_requests_total{system="okta"} 3`, `offboard_connector_throttled_total{system="okta"} 1`,
		`offboard_connector_errors_total{system="okta"} 1`, `offboard_connector_errors_total{system="jamf"} 1`,
		`offboard_time_to_revocation_seconds_count 2`, `offboard_time_to_revocation_seconds_bucket{le="5"} 1`,
		`offboard_time_to_revocation_seconds_bucket{le="10800"} 2`,
		`offboard_chat_ack_seconds_bucket{platform="slack",le="0.025"} 1`, `offboard_chat_ack_seconds_count{platform="slack"} 1`)
	if strings.Contains(body, `offboard_connector_throttled_total{system="jamf"}`) {
		t.Error("a refused connection counted as a 429")
	}
}

func TestMetrics_Guard(t *testing.T) {
	t.Run("loopback only without a token", func(t *testing.T) {
		m, _ := newMetrics(t, "")
		// From another address.
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = "203.0.113.9:4711"
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "offboard_cases") {
			t.Errorf("remote scrape without a token: %d %s", w.Code, w.Body)
		}
		// Through a proxy on the same machine.
		status, body := scrape(t, m.Handler(), map[string]string{"X-Forwarded-For": "203.0.113.9"})
		if status != http.StatusForbidden || !strings.Contains(body, "metrics.token") {
			t.Errorf("proxied scrape without a token: %d %s", status, body)
		}
		// IPv6 loopback is loopback.
		r = httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = "[::1]:4711"
		w = httptest.NewRecorder()
		m.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("[::1] scrape: %d", w.Code)
		}
	})
	t.Run("bearer token", func(t *testing.T) {
		m, _ := newMetrics(t, "s3cret-scrape")
		for _, auth := range []string{"", "Bearer wrong", "s3cret-scrape", "Basic s3cret-scrape"} {
			status, body := scrape(t, m.Handler(), map[string]string{"Authorization": auth})
			if status != http.StatusUnauthorized || strings.Contains(body, "offboard_") {
				t.Errorf("Authorization %q: %d", auth, status)
			}
		}
		status, body := scrape(t, m.Handler(), map[string]string{"Authorization": "Bearer s3cret-scrape"})
		if status != http.StatusOK || !strings.Contains(body, "offboard_cases") {
			t.Errorf("right token: %d", status)
		}
		// The token is good from anywhere, proxy or not.
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = "203.0.113.9:4711"
		r.Header.Set("Authorization", "Bearer s3cret-scrape")
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("remote scrape with the token: %d", w.Code)
		}
	})
}

// A scraper refused every 15 s leaves one warning and one audit event a
// minute, counting the refusals since the last.
func TestMetrics_GuardAudit(t *testing.T) {
	var events []offboard.AuditEvent
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	fs := &fakeStore{}
	m, err := metrics.New(metrics.Options{CaseCounts: fs.counts, Queue: fs.queue, Token: "s3cret-scrape-0123",
		Now: func() time.Time { return now },
		Audit: offboard.AuditFunc(func(_ context.Context, e offboard.AuditEvent) error {
			events = append(events, e)
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	refuse := func() {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.Header.Set("Authorization", "Bearer near-miss")
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("refused scrape answered %d", w.Code)
		}
	}
	for range 3 {
		refuse()
		now = now.Add(15 * time.Second)
	}
	if len(events) != 1 || events[0].Action != "metrics.refused" || events[0].Outcome != offboard.OutcomeRefused || events[0].Evidence["refused"] != "1" {
		t.Fatalf("after 3 refusals in 45 s: %+v", events)
	}
	now = now.Add(time.Minute)
	refuse()
	if len(events) != 2 || events[1].Evidence["refused"] != "3" {
		t.Fatalf("a minute later: %+v, want a second event counting 3", events)
	}
	for _, e := range events {
		if strings.Contains(fmt.Sprint(e), "near-miss") {
			t.Errorf("the audit event quotes the presented token: %+v", e)
		}
	}
}
