package main

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// timeExits opens an involuntary exit for p<i>@example.com, one after
// another, and waits for each to reach the point the benchmark measures:
// reached(i) says when (a zero time: now, when it was seen) and whether
// yet. It returns the latencies from each notice, or fails after 10 s.
func timeExits(b *testing.B, app *liveApp, exits int, what string, reached func(i int) (time.Time, bool)) []time.Duration {
	b.Helper()
	lat := make([]time.Duration, 0, exits)
	for i := range exits {
		began := time.Now()
		body := fmt.Sprintf(`{"employee":{"email":"p%d@example.com"},"kind":"involuntary"}`, i)
		if r := call(b, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			b.Fatalf("create %d: %d %s", i, r.status, r.body)
		}
		for {
			if at, ok := reached(i); ok {
				if at.IsZero() {
					at = time.Now()
				}
				lat = append(lat, at.Sub(began))
				break
			}
			if time.Since(began) > 10*time.Second {
				b.Fatalf("exit %d: not %s after 10s", i, what)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return lat
}

// reportLatency reports the p50 and p99 of lat in milliseconds, named
// "ms-p50-<name>" and "ms-p99-<name>".
func reportLatency(b *testing.B, lat []time.Duration, name string) {
	b.Helper()
	lat = slices.Sorted(slices.Values(lat))
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50-"+name)
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "ms-p99-"+name)
}
