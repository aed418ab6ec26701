package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// minRequestsPerExit is the fewest Okta requests that revoke one person
// with the default set and read each effect back: find the user, suspend,
// read back, clear sessions, reset factors, list factors, revoke grants,
// list grants. Per bucket of Okta's documented limits (oktafake's model):
// two reads of one user, six under the user's update bucket.
var minRequestsPerExit = map[string]int{
	oktatest.BucketGetUser:   2,
	oktatest.BucketUserWrite: 6,
}

// revocationActions are the default revocation set, whose requests per
// exit have a budget of maxRevocationRequestsPerExit (issue 19); the
// rest of a layoff's requests (the app report, listing people) are
// reported beside it.
var revocationActions = map[string]bool{
	"okta.suspend": true, "okta.clear_sessions": true, "okta.reset_factors": true, "okta.revoke_grants": true,
}

const maxRevocationRequestsPerExit = 8.5

// BenchmarkMassLayoff opens many involuntary exits at once against a fake
// Okta with Okta's per-endpoint buckets and concurrent limit, and measures
// how long until every revocation is done and verified against the bound
// the limits set for the MINIMUM requests (minRequestsPerExit): the bucket
// that binds is the user-update bucket, 6 × exits ÷ 600 a window. Budget:
// within 1.15× that bound, and no request to a bucket between its 429 and
// the reset the 429 gave (the benchmark fails on one).
//
// Defaults: 1,000 exits; each bucket's per-minute limit per 6 s (time
// compressed tenfold; the ratio is what counts); the product's default
// runner.workers. OFFBOARD_LAYOFF_EXITS, OFFBOARD_LAYOFF_WINDOW (a Go
// duration, 1m for real time) and OFFBOARD_LAYOFF_WORKERS change them;
// OFFBOARD_LAYOFF_TRACE=1 logs the requests sent each second.
func BenchmarkMassLayoff(b *testing.B) {
	exits := envInt("OFFBOARD_LAYOFF_EXITS", 1000)
	window := 6 * time.Second
	if w, err := time.ParseDuration(os.Getenv("OFFBOARD_LAYOFF_WINDOW")); err == nil && w > 0 {
		window = w
	}
	for range b.N {
		fake := oktatest.New(b)
		for i := range exits {
			fake.AddUser(oktatest.User{Login: fmt.Sprintf("p%d@example.com", i), Email: fmt.Sprintf("p%d@example.com", i),
				Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"g"}, Sessions: 1})
		}
		extra := fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n  rate_share: 1\n",
			fake.URL(), oktatest.Token)
		if w := envInt("OFFBOARD_LAYOFF_WORKERS", 0); w > 0 {
			extra += fmt.Sprintf("runner:\n  workers: %d\n", w)
		}
		cfg := layoffConfig(b, b.TempDir(), extra)
		app := startApp(b, cfg, wireOptions{})
		fake.BucketWindow(window)
		// Bound: the slowest bucket at the minimum requests.
		var bound time.Duration
		for bucket, n := range minRequestsPerExit {
			windows := float64(n*exits) / float64(oktatest.DocumentedLimit(bucket))
			bound = max(bound, time.Duration(windows*float64(window)))
		}

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
			time.Sleep(100 * time.Millisecond)
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
		reqs := fake.Requests()
		perAction := map[string]int{}
		rejected := 0
		for _, r := range reqs {
			perAction[layoffAction(r)]++
			if r.Status == 429 {
				rejected++
			}
		}
		b.ReportMetric(float64(exits), "exits")
		b.ReportMetric(float64(len(reqs)), "okta-requests")
		b.ReportMetric(float64(len(reqs))/float64(exits), "req/exit")
		revocation := 0
		for action, n := range perAction {
			b.ReportMetric(float64(n)/float64(exits), action+"-req/exit")
			if revocationActions[action] {
				revocation += n
			}
		}
		perExit := float64(revocation) / float64(exits)
		b.ReportMetric(perExit, "revocation-req/exit")
		if perExit > maxRevocationRequestsPerExit {
			b.Errorf("%.2f Okta requests per exit for the revocations (budget %.1f)", perExit, maxRevocationRequestsPerExit)
		}
		b.ReportMetric(took.Seconds(), "total-s")
		b.ReportMetric(bound.Seconds(), "bound-s")
		ratio := took.Seconds() / bound.Seconds()
		b.ReportMetric(ratio, "x-bound")
		b.ReportMetric(intake.Seconds(), "intake-s")
		b.ReportMetric(float64(rejected), "okta-429s")
		b.ReportMetric(float64(fake.ConcurrencyRejections()), "concurrent-429s")
		b.ReportMetric(float64(fake.MaxInFlight()), "max-in-flight")
		b.ReportMetric(float64(fake.Violations()), "early-requests")
		if v := fake.Violations(); v != 0 {
			b.Errorf("%d requests reached a bucket before the reset its 429 gave", v)
		}
		if ratio > 1.15 {
			b.Logf("over budget: %.2f× the bound the minimum requests set (budget 1.15×)", ratio)
		}
		if os.Getenv("OFFBOARD_LAYOFF_TRACE") != "" {
			b.Logf("requests per second since the first notice: %s", perSecond(reqs, began))
		}
		app.stop()
	}
}

// layoffAction names the revocation a request of the layoff belongs to.
func layoffAction(r oktatest.Request) string {
	segs := strings.Split(strings.Trim(r.Path, "/"), "/")
	switch {
	case len(segs) == 4 && r.Method == "GET":
		return "okta.suspend" // find, and the read-back
	case len(segs) == 3 && r.Method == "GET" && strings.Contains(r.Query, "search="):
		// The search by profile.email when the login is not the email:
		// the first action's lookup, counted with the revocations.
		return "okta.suspend"
	case len(segs) < 5:
		return "other"
	}
	switch segs[4] {
	case "lifecycle":
		if len(segs) > 5 && segs[5] == "reset_factors" {
			return "okta.reset_factors"
		}
		return "okta.suspend"
	case "factors":
		return "okta.reset_factors"
	case "sessions":
		return "okta.clear_sessions"
	case "grants":
		return "okta.revoke_grants"
	case "appLinks":
		// The default playbook's app report for Finance: not a
		// revocation, run after them (its jobs rank lower).
		return "okta.app_report"
	}
	return "other"
}

// perSecond is a histogram of the requests by second since began.
func perSecond(reqs []oktatest.Request, began time.Time) string {
	var counts []int
	for _, r := range reqs {
		s := int(math.Max(0, r.At.Sub(began).Seconds()))
		for len(counts) <= s {
			counts = append(counts, 0)
		}
		counts[s]++
	}
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " ")
}

// layoffConfig is the configuration of a layoff run: the product's
// defaults for the runner (workers), the tick's schedule and the log
// level, not the e2e tests' (two workers, a tick every second, debug
// logs), so the figure is the one a deployment gets.
func layoffConfig(b *testing.B, dir, extra string) string {
	b.Helper()
	cfg := fmt.Sprintf(`company:
  name: Test Corp
  time_zone: UTC
store:
  path: %q
http:
  listen: "127.0.0.1:0"
api:
  tokens:
    - name: hris-sync
      token: %q
      role: hr
roles:
  hr: [hana.hr@example.com]
  it: [ivan.it@example.com]
  admin: [ada.admin@example.com]
%s`, filepath.Join(dir, "offboard.db"), hrToken, extra)
	path := filepath.Join(dir, "offboard.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
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
