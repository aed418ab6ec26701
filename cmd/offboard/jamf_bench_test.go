package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/jamf/jamftest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// BenchmarkJamfExit opens involuntary exits one after another against
// fake Okta and Jamf Pro servers and reports, internally (loopback, no
// vendor latency), the time from the notice to the DEVICE_LOCK reaching
// Jamf (p50, p99), and the Jamf requests and commands per device (each
// person has one Mac that never checks in, so every lock stays pending).
// OFFBOARD_JAMF_EXITS changes the count (default 50).
func BenchmarkJamfExit(b *testing.B) {
	exits := envInt("OFFBOARD_JAMF_EXITS", 50)
	for range b.N {
		okta := oktatest.New(b)
		jamf := jamftest.New(b)
		mids := make([]string, exits)
		for i := range exits {
			email := fmt.Sprintf("p%d@example.com", i)
			okta.AddUser(oktatest.User{Login: email, Email: email, FirstName: "P", LastName: fmt.Sprint(i)})
			mids[i] = jamf.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: fmt.Sprintf("C02P%04d", i), Email: email,
				LastContact: time.Now().Add(-time.Hour)}).ManagementID
		}
		cfg := writeConfig(b, b.TempDir(), fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n",
			okta.URL(), oktatest.Token)+jamfYAML(jamf))
		app := startApp(b, cfg, wireOptions{})
		b.ResetTimer()
		lat := timeExits(b, app, exits, "locked", func(i int) (time.Time, bool) {
			if cmds := jamf.Commands(mids[i]); len(cmds) > 0 {
				return cmds[0].DateSent, true
			}
			return time.Time{}, false
		})
		b.StopTimer()
		// Count once every exit's device read (a report, queued after the
		// revocations and the lock) and lock read-back have reached Jamf:
		// two inventory reads and two command reads per exit.
		eventually(b, "every device read and lock read-back done", func() bool {
			inventory, reads := 0, 0
			for _, r := range jamf.Requests() {
				switch {
				case r.Method == "GET" && r.Path == "/api/v1/computers-inventory":
					inventory++
				case r.Method == "GET" && r.Path == "/api/v2/mdm/commands":
					reads++
				}
			}
			return inventory >= 2*exits && reads >= 2*exits
		})
		requests, commands := 0, 0
		for _, r := range jamf.Requests() {
			if strings.HasPrefix(r.Path, "/api/v") {
				requests++
			}
		}
		for _, mid := range mids {
			commands += len(jamf.Commands(mid))
		}
		reportLatency(b, lat, "lock-sent")
		b.ReportMetric(float64(commands)/float64(exits), "commands/device")
		b.ReportMetric(float64(requests)/float64(exits), "jamf-requests/exit")
		b.ReportMetric(float64(jamf.TokensIssued()), "tokens")
		app.stop()
	}
}
