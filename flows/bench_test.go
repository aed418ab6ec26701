package flows_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/storetest"
)

// BenchmarkEngine_OpenCase measures one Apply of OpenCase (authorize,
// playbook, 17 tasks, approvals, audit events and jobs, one fsynced
// commit). Budget: p99 < 5 ms.
func BenchmarkEngine_OpenCase(b *testing.B) {
	h := newHarness(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		cmd := offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
			Employee: offboard.Employee{Name: "Bench Person", Email: fmt.Sprintf("p%d@example.com", i), ManagerEmail: manager.Email}}
		t0 := time.Now()
		if _, err := h.engine.Apply(h.ctx, cmd); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkEngine_FindCases_100k is `status jane@…` with 100,000
// historical cases in the store: the email index, the case, its tasks and
// approvals, and the visibility rule. Budget: < 5 ms.
func BenchmarkEngine_FindCases_100k(b *testing.B) {
	h := newHarness(b)
	const total = 100_000
	tpl := h.open(offboard.Voluntary, "2026-12-31") // a real case to copy tasks from
	var tasks []*offboard.Task
	h.db.View(h.ctx, func(tx offboard.Tx) error { tasks, _ = tx.Tasks(tpl.ID); return nil })
	err := storetest.Write(h.ctx, h.db, storetest.History{Template: tpl, Tasks: tasks, N: total - 1,
		First: start.Add(-2 * 365 * 24 * time.Hour), Step: 10 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		email := fmt.Sprintf("person%d@example.com", (i*7919)%(total-1))
		t0 := time.Now()
		views, err := h.engine.FindCases(h.ctx, hr, email)
		if err != nil || len(views) != 1 || len(views[0].Tasks) != len(tasks) {
			b.Fatalf("find %s: %d views, %v", email, len(views), err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}
