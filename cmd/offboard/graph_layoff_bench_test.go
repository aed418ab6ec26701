package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphfake"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// BenchmarkGraphLayoff opens 200 involuntary exits at once through serve
// against a fake Graph that spends the identity service's documented
// budget (ResourceUnits per application+tenant pair, at Microsoft's
// per-request costs), and measures the time until every Entra revocation
// is done against the bound the budget sets (ResourceUnits spent ÷ the
// refill rate).
//
// The budget is a small tenant's 3,500 RU per 10 s divided by
// OFFBOARD_GRAPH_SCALE (default 5, so 700 RU per 10 s): at the full
// budget a 200-person layoff (about 18 RU an exit) nearly fits in the
// bucket's first fill and barely meets the limit, so the figure would say
// little about throttling; the scale makes the budget the bottleneck
// while keeping the run under a minute. The bucket starts full, so no run
// can beat floor-s, (RU spent − one fill) ÷ rate; bound-s is RU spent ÷
// rate. OFFBOARD_GRAPH_EXITS changes the count.
func BenchmarkGraphLayoff(b *testing.B) {
	exits := envInt("OFFBOARD_GRAPH_EXITS", 200)
	scale := envInt("OFFBOARD_GRAPH_SCALE", 5)
	budget := graphfake.IdentityRUSmall / scale
	const window = 10 * time.Second
	for range b.N {
		fake := graphtest.New(b)
		ids := make([]string, exits)
		for i := range exits {
			ids[i] = fake.AddUser(graphtest.User{UserPrincipalName: fmt.Sprintf("p%d@example.com", i), Mail: fmt.Sprintf("p%d@example.com", i),
				AccountEnabled: true, Methods: []graphtest.Method{{Type: "microsoftAuthenticatorAuthenticationMethod"}, {Type: "phoneAuthenticationMethod"}}})
			fake.AddGrant(graphtest.Grant{PrincipalID: ids[i], ClientID: "app", Scope: "Mail.Read"})
		}
		cfg := writeConfig(b, b.TempDir(), entraSecretYAML(fake.URL))
		app := startApp(b, cfg, wireOptions{})
		before := len(fake.Requests())
		fake.LimitIdentity(budget)

		b.ResetTimer()
		began := time.Now()
		postLayoff(b, app.url, exits)
		revoked := func() int {
			n := 0
			for _, id := range ids {
				u, _ := fake.User(id)
				if !u.AccountEnabled && !u.SessionsValidFrom.IsZero() && len(u.Methods) == 0 && len(fake.GrantsOf(id)) == 0 {
					n++
				}
			}
			return n
		}
		deadline := time.Now().Add(3 * time.Minute)
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
		spent, throttled := fake.ResourceUnits()
		// HTTP requests to Graph since the limit (a $batch is one), and
		// the 429s among them and their batched items.
		graph, rejected := 0, 0
		for _, r := range fake.Requests()[before:] {
			if !strings.HasPrefix(r.Path, "/v1.0/") {
				continue
			}
			if !r.Batched {
				graph++
			}
			if r.Status == 429 {
				rejected++
			}
		}
		rate := float64(budget) / window.Seconds()
		bound := float64(spent) / rate
		floor := max(float64(spent-budget), 0) / rate
		b.ReportMetric(float64(exits), "exits")
		b.ReportMetric(float64(budget), "RU/10s")
		b.ReportMetric(float64(spent), "RU-spent")
		b.ReportMetric(took.Seconds(), "total-s")
		b.ReportMetric(bound, "bound-s")
		b.ReportMetric(took.Seconds()/bound, "x-bound")
		b.ReportMetric(floor, "floor-s")
		if floor > 0 {
			b.ReportMetric(took.Seconds()/floor, "x-floor")
		}
		b.ReportMetric(float64(rejected), "graph-429s")
		b.ReportMetric(float64(throttled), "RU-throttled")
		b.ReportMetric(float64(graph)/float64(exits), "graph-requests/exit")
		if os.Getenv("OFFBOARD_GRAPH_VERBOSE") != "" {
			b.Logf("%d exits, %d RU spent, %d throttled, %s", exits, spent, throttled, took)
		}
		app.stop()
	}
}
