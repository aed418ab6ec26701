package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// BenchmarkEntraExit opens involuntary exits one after another against
// the fake Graph and reports, internally (loopback, no Graph latency),
// the time from the notice to the Entra account disabled (p50, p99) and
// the Graph requests per exit until the four revocations are done (HTTP
// requests, and the operations they carry: a $batch is one request).
// OFFBOARD_ENTRA_EXITS changes the count (default 50),
// OFFBOARD_ENTRA_GRANTS each person's consent grants (default 1).
func BenchmarkEntraExit(b *testing.B) {
	exits := envInt("OFFBOARD_ENTRA_EXITS", 50)
	grants := envInt("OFFBOARD_ENTRA_GRANTS", 1)
	for range b.N {
		fake := graphtest.New(b)
		ids := make([]string, exits)
		for i := range exits {
			ids[i] = fake.AddUser(graphtest.User{UserPrincipalName: fmt.Sprintf("p%d@example.com", i), Mail: fmt.Sprintf("p%d@example.com", i),
				AccountEnabled: true, Methods: []graphtest.Method{{Type: "microsoftAuthenticatorAuthenticationMethod"}, {Type: "phoneAuthenticationMethod"}}})
			for range grants {
				fake.AddGrant(graphtest.Grant{PrincipalID: ids[i], ClientID: "app", Scope: "Mail.Read"})
			}
		}
		cfg := writeConfig(b, b.TempDir(), entraSecretYAML(fake.URL))
		app := startApp(b, cfg, wireOptions{})
		b.ResetTimer()
		lat := timeExits(b, app, exits, "disabled", func(i int) (time.Time, bool) {
			u, _ := fake.User(ids[i])
			return time.Time{}, !u.AccountEnabled
		})
		// Wait until every exit's four revocations are done, then count.
		eventually(b, "every revocation done", func() bool {
			for _, id := range ids {
				u, _ := fake.User(id)
				if len(u.Methods) != 0 || len(fake.GrantsOf(id)) != 0 || u.SessionsValidFrom.IsZero() {
					return false
				}
			}
			return true
		})
		b.StopTimer()
		// HTTP requests to Graph (a $batch is one), and the operations
		// they carried (a $batch's items, not the batch itself). The
		// directory's reads at start are in both.
		graph, ops := 0, 0
		for _, r := range fake.Requests() {
			if !strings.HasPrefix(r.Path, "/v1.0/") {
				continue
			}
			if !r.Batched {
				graph++
			}
			if r.Path != "/v1.0/$batch" {
				ops++
			}
		}
		reportLatency(b, lat, "disabled")
		b.ReportMetric(float64(graph)/float64(exits), "graph-requests/exit")
		b.ReportMetric(float64(ops)/float64(exits), "graph-operations/exit")
		b.ReportMetric(float64(fake.TokensIssued()), "tokens")
		app.stop()
	}
}
