package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServer_CreateCase measures the ack of POST /api/v1/cases over
// real HTTP, a real engine and a real bbolt store (fsync on every
// commit), with about 50 callers at once. p99-ms is the figure that the
// ack budget (p99 < 50 ms with 50 concurrent users) is held to.
func BenchmarkServer_CreateCase(b *testing.B) {
	h := newHarness(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()
	lastDay := daysFromNow(30)
	var n atomic.Int64
	var mu sync.Mutex
	var all []time.Duration

	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((50 + procs - 1) / procs) // goroutines = parallelism × GOMAXPROCS ≥ 50
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			body, _ := json.Marshal(map[string]any{
				"employee": map[string]string{"email": fmt.Sprintf("bench%d@example.com", n.Add(1))},
				"kind":     "voluntary", "last_day": lastDay,
			})
			req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/cases", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+hrToken)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(start))
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(float64(len(all))*p))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
