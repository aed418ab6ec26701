package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// BenchmarkGoogleExit opens involuntary exits one after another against
// the fake Google APIs and reports, internally (loopback, no Google
// latency), the time from the notice to the person signed out of every
// Google session (p50, p99) and the API and token requests per exit until
// the four revocations (suspend, sign-out, backup codes and app
// passwords, OAuth tokens) are done. OFFBOARD_GOOGLE_EXITS changes the
// count (default 50).
func BenchmarkGoogleExit(b *testing.B) {
	exits := envInt("OFFBOARD_GOOGLE_EXITS", 50)
	for range b.N {
		fake := googletest.New(b)
		dir := b.TempDir()
		ids := make([]string, exits)
		for i := range exits {
			ids[i] = fake.AddUser(googletest.User{PrimaryEmail: fmt.Sprintf("p%d@example.com", i), GivenName: "P", FamilyName: fmt.Sprint(i),
				Tokens:      []googletest.Token{{ClientID: "1234.apps.googleusercontent.com", DisplayText: "Some app", Scopes: []string{"email"}}},
				ASPs:        []googletest.ASP{{CodeID: 1, Name: "Thunderbird"}},
				BackupCodes: []string{"11111111", "22222222"}})
		}
		cfg := writeConfig(b, dir, googleSectionYAML(b, dir, fake))
		app := startApp(b, cfg, wireOptions{})
		b.ResetTimer()
		lat := timeExits(b, app, exits, "signed out", func(i int) (time.Time, bool) {
			u, _ := fake.User(ids[i])
			return time.Time{}, u.SignOuts > 0
		})
		eventually(b, "every revocation done", func() bool {
			for _, id := range ids {
				u, _ := fake.User(id)
				if !u.Suspended || u.SignOuts == 0 || len(u.Tokens) != 0 || len(u.ASPs) != 0 || len(u.BackupCodes) != 0 {
					return false
				}
			}
			return true
		})
		b.StopTimer()
		api := fake.APIRequests()
		tokens := len(fake.Requests()) - api
		reportLatency(b, lat, "signed-out")
		b.ReportMetric(float64(api)/float64(exits), "google-requests/exit")
		b.ReportMetric(float64(tokens), "token-requests")
		app.stop()
	}
}
