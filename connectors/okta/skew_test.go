package okta_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// Okta's X-Rate-Limit-Reset is in Okta's clock. When the host's clock is
// off, the connector places the reset by Okta's Date header: with a clock
// 30 s ahead, a spent bucket must not look refilled (and be hit again
// before its reset); with one 30 s behind, the wait must not grow by 30 s.
func TestClient_ClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-30 * time.Second, 30 * time.Second} {
		t.Run(fmt.Sprintf("okta%+v", skew), func(t *testing.T) {
			e := newEnv(t, func(o *okta.Options) { o.Config.RateShare = 1 })
			addJane(e.srv)
			e.srv.ClockSkew(skew)
			if time.Now().Second() >= 50 { // keep the run inside one clock minute
				time.Sleep(11 * time.Second)
			}
			e.srv.BucketLimit(oktatest.BucketUserWrite, 2)
			windowEnd := time.Now().Truncate(time.Minute).Add(time.Minute)
			for _, a := range []string{"okta.suspend", "okta.clear_sessions"} {
				if _, err := e.run(a, jane("jane@example.com")); err != nil {
					t.Fatalf("%s: %v", a, err)
				}
			}
			sent := len(e.srv.Requests())
			for range 3 {
				_, err := e.run("okta.reset_factors", jane("jane@example.com"))
				var rl *offboard.RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("err = %v, want a RateLimitError", err)
				}
				if d := rl.Reset.Sub(windowEnd); d < -time.Second || d > 2*time.Second {
					t.Errorf("Reset %v, want the bucket's window end %v in our clock", rl.Reset, windowEnd)
				}
			}
			if n := len(e.srv.Requests()); n != sent {
				t.Errorf("%d requests sent to a spent bucket", n-sent)
			}
			if v := e.srv.Violations(); v != 0 {
				t.Errorf("%d requests reached a bucket before the reset its 429 gave", v)
			}
		})
	}
}
