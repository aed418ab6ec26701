package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// BenchmarkMassLayoff opens many involuntary exits at once against a fake
// Okta that enforces a rate limit, and measures how long until every
// revocation is done and verified, against the bound the limit sets
// (requests made ÷ allowed rate). Budget: within 1.1× the bound.
//
// Defaults keep a run short: 200 exits, 600 requests per 6 s (Okta's
// 600/min with time compressed tenfold; the ratio is what counts).
// OFFBOARD_LAYOFF_EXITS and OFFBOARD_LAYOFF_WINDOW (a Go duration, 1m for
// real time) change them.
func BenchmarkMassLayoff(b *testing.B) {
	exits := envInt("OFFBOARD_LAYOFF_EXITS", 200)
	window := 6 * time.Second
	if w, err := time.ParseDuration(os.Getenv("OFFBOARD_LAYOFF_WINDOW")); err == nil {
		window = w
	}
	const limit = 600
	for range b.N {
		fake := oktatest.New(b)
		for i := range exits {
			fake.AddUser(oktatest.User{Login: fmt.Sprintf("p%d@example.com", i), Email: fmt.Sprintf("p%d@example.com", i),
				Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"g"}, Sessions: 1})
		}
		dir := b.TempDir()
		cfg := writeConfig(b, dir, fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n  rate_share: 1\n",
			fake.URL(), oktatest.Token))
		app := startApp(b, cfg, wireOptions{})
		fake.RateLimit(limit, window)

		b.ResetTimer()
		began := time.Now()
		postLayoff(b, app.url, exits)
		intake := time.Since(began)
		revoked := func() int {
			n := 0
			for i := range exits {
				u, _ := fake.User(fmt.Sprintf("p%d@example.com", i))
				if u.Status == "SUSPENDED" && u.Sessions == 0 && len(u.Factors) == 0 && len(u.Grants) == 0 {
					n++
				}
			}
			return n
		}
		deadline := time.Now().Add(30*window + time.Minute)
		for revoked() < exits {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d exits revoked", revoked(), exits)
			}
			time.Sleep(50 * time.Millisecond)
		}
		took := time.Since(began)
		b.StopTimer()
		// Every case's clock stopped: revocations done and verified.
		for i := range exits {
			id := string(offboard.FormatCaseID(uint64(i + 1)))
			eventually(b, id+"'s clock to stop", func() bool {
				return call(b, "GET", app.url+"/api/v1/cases/"+id, hrToken, "").view(b).Case.RevokedAt != nil
			})
		}
		requests := len(fake.Requests())
		bound := time.Duration(float64(requests) / float64(limit) * float64(window))
		b.ReportMetric(float64(exits), "exits")
		b.ReportMetric(float64(requests), "okta-requests")
		b.ReportMetric(took.Seconds(), "total-s")
		b.ReportMetric(bound.Seconds(), "bound-s")
		b.ReportMetric(took.Seconds()/bound.Seconds(), "x-bound")
		b.ReportMetric(intake.Seconds(), "intake-s")
		rejected := 0
		for _, req := range fake.Requests() {
			if req.Status == 429 {
				rejected++
			}
		}
		b.ReportMetric(float64(rejected), "okta-429s")
		app.stop()
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// postLayoff sends the involuntary notices of p0 … p(n-1)@example.com
// through the REST API, 16 at a time, as an HR system during a layoff.
func postLayoff(b *testing.B, url string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"employee":{"email":"p%d@example.com"},"kind":"involuntary"}`, i)
			if r := call(b, "POST", url+"/api/v1/cases", hrToken, body); r.status != 201 {
				b.Errorf("create %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
}
