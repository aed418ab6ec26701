package dashboard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/storetest"
)

// seed opens n cases through the engine, a tenth of them involuntary
// and confidential.
func seed(b *testing.B, e *env, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		kind, conf := offboard.Voluntary, false
		if i%10 == 0 {
			kind, conf = offboard.Involuntary, true
		}
		_, err := e.engine.Apply(ctx, offboard.OpenCase{
			By:       offboard.System("bench"),
			Employee: offboard.Employee{Name: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.com", i), ManagerEmail: "boss@example.com"},
			Kind:     kind, LastDay: "2026-11-27", Confidential: &conf, Source: "bench",
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	e.now = base.Add(10 * 24 * time.Hour)
}

// benchPage measures path with 1,000 cases. Cold disables the cache, so
// every request reads the store; warm is the default cache.
func benchPage(b *testing.B, path string, cold bool) {
	ttl := time.Duration(0)
	if cold {
		ttl = -1
	}
	e := newEnvTTL(b, ttl)
	seed(b, e, 1000)
	if r := e.get(path); r.status != 200 {
		b.Fatalf("%s: %d", path, r.status)
	}
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		if r := e.get(path); r.status != 200 {
			b.Fatalf("%s: %d", path, r.status)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if per := b.Elapsed() / time.Duration(b.N); !cold && per > 100*time.Millisecond {
		b.Errorf("%s takes %s per request with 1,000 cases, over the 100 ms budget", path, per)
	}
}

func BenchmarkAnalytics_1000Cases(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchPage(b, "/analytics", false) })
	b.Run("cold", func(b *testing.B) { benchPage(b, "/analytics", true) })
}

func BenchmarkIndex_1000Cases(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchPage(b, "/", false) })
	b.Run("cold", func(b *testing.B) { benchPage(b, "/", true) })
}

// BenchmarkAnalytics_100kHistory is the budget's case: two years of
// history (100,000 closed cases, one every ten minutes or so) and 50
// open cases, analytics for the default last 30 days, no cache.
func BenchmarkAnalytics_100kHistory(b *testing.B) {
	e := newEnvTTL(b, -1)
	// The template is opened today (its last day must lie within the
	// engine's horizon); its copies are spread over the two years before.
	tpl := e.openCase("Template", "template@example.com", offboard.Voluntary, false).Case
	const total = 100_000
	err := storetest.Write(context.Background(), e.db, storetest.History{Template: tpl, N: total,
		First: base.Add(-2 * 365 * 24 * time.Hour), Step: 2 * 365 * 24 * time.Hour / total})
	if err != nil {
		b.Fatal(err)
	}
	seed(b, e, 50)
	var worst time.Duration
	for b.Loop() {
		t0 := time.Now()
		if r := e.get("/analytics"); r.status != 200 {
			b.Fatalf("analytics: %d", r.status)
		}
		worst = max(worst, time.Since(t0))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
