package runner_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/runner"
)

// BenchmarkRunner_InvoluntaryToFirstAction measures the budget "involuntary
// notice received → first Okta revocation request sent" (p99 < 250 ms)
// from the runner's side: from Engine.Apply(OpenCase) returning and Wake
// to the first okta action starting. The runner polls rarely, so the
// figure is the Wake path. Each case's jobs finish before the next opens.
func BenchmarkRunner_InvoluntaryToFirstAction(b *testing.B) {
	e := newEnv(b, envOptions{})
	type start struct {
		caseID offboard.CaseID
		at     time.Time
	}
	starts := make(chan start, 64)
	reg := connectors.NewRegistry()
	for _, id := range oktaconn.ActionIDs() {
		if err := reg.Register(id, connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
			select {
			case starts <- start{req.CaseID, time.Now()}:
			default:
			}
			return connectors.Result{Verified: true}, nil
		})); err != nil {
			b.Fatal(err)
		}
	}
	r, _ := e.start(runner.Options{Actions: reg, Poll: time.Hour, Workers: 4, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res, err := e.engine.Apply(ctx, offboard.OpenCase{
			By:       offboard.System("bench"),
			Employee: offboard.Employee{Email: fmt.Sprintf("p%d@example.com", i)},
			Kind:     offboard.Involuntary,
		})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		r.Wake()
		for s := range starts {
			if s.caseID == res.Case.ID {
				lat = append(lat, s.at.Sub(t0))
				break
			}
		}
		b.StopTimer()
		waitFor(b, "jobs done", func() bool { return len(e.jobs(res.Case.ID)) == 0 }, nil)
	drain:
		for {
			select {
			case <-starts:
			default:
				break drain
			}
		}
		b.StartTimer()
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	if p99 := pct(0.99); p99 > 250*time.Millisecond {
		b.Errorf("p99 %s over the 250 ms budget", p99)
	}
}
