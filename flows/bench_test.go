package flows_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// BenchmarkEngine_OpenCase measures one Apply of OpenCase (authorize,
// playbook, 16 tasks, approvals, audit events and jobs, one fsynced
// commit). Budget: p99 < 5 ms.
func BenchmarkEngine_OpenCase(b *testing.B) {
	h := newHarness(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		cmd := flows.OpenCase{By: hr, Kind: offboard.Involuntary,
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
