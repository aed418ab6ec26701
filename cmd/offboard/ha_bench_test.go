package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// BenchmarkHA_Takeover kills the leading replica of two (child processes
// of serve on a three-member etcd cluster, lease 2 s) while it revokes a
// few exits, five times over, starting a new replica after each kill. It
// reports the takeover time, from the kill to the survivor's first job
// at Okta: its median and its maximum. OFFBOARD_HA_KILLS changes the
// number of kills.
func BenchmarkHA_Takeover(b *testing.B) {
	kills := envInt("OFFBOARD_HA_KILLS", 5)
	const perRound = 8
	for range b.N {
		c := etcdtest.StartCluster(b, 3)
		fake := haOkta(b, kills*perRound, 40*time.Millisecond)
		cfgPath := writeHAConfig(b, b.TempDir(), c, oktaExtra(fake.URL()))
		replicas := []*childReplica{startChildReplica(b, cfgPath), startChildReplica(b, cfgPath)}
		var took []time.Duration
		for round := range kills {
			before := haRevoked(fake, kills*perRound)
			for i := round * perRound; i < (round+1)*perRound; i++ {
				if r := call(b, "POST", replicas[i%2].url+"/api/v1/cases", hrToken, haExit(i)); r.status != http.StatusCreated {
					b.Fatalf("exit %d: %d %s", i, r.status, r.body)
				}
			}
			waitFor(b, "the leader to start revoking", 60*time.Second, func() bool { return haRevoked(fake, kills*perRound) > before })
			var leader, survivor int
			waitFor(b, "one replica to lead", 30*time.Second, func() bool {
				l, _, ok := leaderOf(b, replicas)
				leader = slices.Index(replicas, l)
				survivor = 1 - leader
				return ok
			})
			killed := time.Now()
			replicas[leader].kill()
			waitFor(b, "the survivor to revoke the round", 60*time.Second, func() bool {
				return haRevoked(fake, kills*perRound) == (round+1)*perRound
			})
			d, err := takeoverTime(fake, replicas[survivor], killed)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("kill %d: takeover %s", round+1, d.Round(time.Millisecond))
			took = append(took, d)
			replicas[leader] = startChildReplica(b, cfgPath)
		}
		slices.Sort(took)
		b.ReportMetric(took[len(took)/2].Seconds(), "takeover-p50-s")
		b.ReportMetric(took[len(took)-1].Seconds(), "takeover-max-s")
		b.ReportMetric(2, "lease-s")
		b.ReportMetric(float64(len(took)), "kills")
	}
}

// BenchmarkHA_MassLayoff is BenchmarkMassLayoff with two replicas of
// serve (this process, the real wiring) on a three-member etcd cluster,
// the exits sent half to each: how long until every revocation is done
// against the bound Okta's limits set for the minimum requests
// (x-bound). OFFBOARD_LAYOFF_EXITS and OFFBOARD_LAYOFF_WINDOW as there;
// OFFBOARD_HA_REPLICAS=1 runs one replica, for comparison.
func BenchmarkHA_MassLayoff(b *testing.B) {
	exits := envInt("OFFBOARD_LAYOFF_EXITS", 1000)
	window := 6 * time.Second
	if w, err := time.ParseDuration(os.Getenv("OFFBOARD_LAYOFF_WINDOW")); err == nil && w > 0 {
		window = w
	}
	for range b.N {
		c := etcdtest.StartCluster(b, 3)
		fake := oktatest.New(b)
		for i := range exits {
			fake.AddUser(oktatest.User{Login: haEmail(i), Email: haEmail(i),
				Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"g"}, Sessions: 1})
		}
		extra := fmt.Sprintf("okta:\n  org_url: %q\n  api_token: %q\n  insecure_http_for_tests: true\n  rate_share: 1\n", fake.URL(), oktatest.Token)
		cfgPath := haLayoffConfig(b, b.TempDir(), c, extra)
		apps := make([]*liveApp, envInt("OFFBOARD_HA_REPLICAS", 2))
		urls := make([]string, len(apps))
		for i := range apps {
			apps[i] = startApp(b, cfgPath, wireOptions{})
			urls[i] = apps[i].url
		}
		fake.BucketWindow(window)
		var bound time.Duration
		for bucket, n := range minRequestsPerExit {
			windows := float64(n*exits) / float64(oktatest.DocumentedLimit(bucket))
			bound = max(bound, time.Duration(windows*float64(window)))
		}

		b.ResetTimer()
		began := time.Now()
		postLayoffTo(b, urls, exits)
		intake := time.Since(began)
		// Generous: on etcd, and with the cluster on the same cores, a
		// large layoff runs several times its bound.
		deadline := time.Now().Add(60*window + 20*time.Minute)
		for haRevoked(fake, exits) < exits {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d exits revoked", haRevoked(fake, exits), exits)
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(began)
		b.StopTimer()
		reqs := fake.Requests()
		rejected := 0
		for _, r := range reqs {
			if r.Status == 429 {
				rejected++
			}
		}
		b.ReportMetric(float64(exits), "exits")
		b.ReportMetric(float64(len(reqs))/float64(exits), "req/exit")
		b.ReportMetric(took.Seconds(), "total-s")
		b.ReportMetric(bound.Seconds(), "bound-s")
		b.ReportMetric(took.Seconds()/bound.Seconds(), "x-bound")
		b.ReportMetric(intake.Seconds(), "intake-s")
		b.ReportMetric(float64(rejected), "okta-429s")
		b.ReportMetric(float64(fake.Violations()), "early-requests")
		if v := fake.Violations(); v != 0 {
			b.Errorf("%d requests reached a bucket before the reset its 429 gave", v)
		}
		var conflicts uint64
		for _, a := range apps {
			if s, ok := a.app.db.(*etcdstore.Store); ok {
				conflicts += s.Conflicts()
			}
			a.stop()
		}
		b.ReportMetric(float64(conflicts), "etcd-conflicts")
		b.ReportMetric(float64(len(apps)), "replicas")
	}
}

// haLayoffConfig is layoffConfig (the product's runner defaults) with the
// store on the cluster c.
func haLayoffConfig(b *testing.B, dir string, c *etcdtest.Cluster, extra string) string {
	b.Helper()
	path := layoffConfig(b, dir, extra)
	eps := make([]string, 0, c.Size())
	for _, e := range c.Endpoints() {
		eps = append(eps, fmt.Sprintf("%q", e))
	}
	cfg := strings.Replace(readFile(b, path), "store:\n", fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %q\n    dial_timeout: 5s\n",
		strings.Join(eps, ", "), haPrefix), 1)
	writeFile(b, path, cfg)
	return path
}

// postLayoffTo opens n involuntary exits, sending exit i to urls[i mod
// len(urls)], 16 at a time.
func postLayoffTo(b *testing.B, urls []string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"employee":{"email":%q},"kind":"involuntary"}`, haEmail(i))
			if r := call(b, "POST", urls[i%len(urls)]+"/api/v1/cases", hrToken, body); r.status != http.StatusCreated {
				b.Errorf("create %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
}
