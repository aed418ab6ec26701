package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// haPrefix is where the replicas of the HA tests keep their store.
const haPrefix = "ha/"

// revocationKeys are the default playbook's Okta revocation tasks.
var revocationKeys = []string{"okta_suspend", "okta_clear_sessions", "okta_reset_mfa", "okta_revoke_grants"}

// writeHAConfig is writeConfig for replicas sharing the store on the
// cluster c, with a 2 s lease (a killed leader's claims end quickly) and
// /metrics on (offboard_leader says which replica leads). The dial
// timeout is long: a fresh cluster on a loaded machine under -race takes
// seconds to answer the first 1024-operation transaction.
func writeHAConfig(t testing.TB, dir string, c *etcdtest.Cluster, extra string) string {
	t.Helper()
	path := writeConfig(t, dir, fmt.Sprintf("metrics:\n  token: %q\n", metricsToken)+extra)
	eps := make([]string, 0, c.Size())
	for _, e := range c.Endpoints() {
		eps = append(eps, fmt.Sprintf("%q", e))
	}
	cfg := strings.Replace(readFile(t, path), "store:\n", fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %q\n    dial_timeout: 10s\n    lease: 2s\n",
		strings.Join(eps, ", "), haPrefix), 1)
	// The default debug level would log every request of a layoff.
	cfg = strings.Replace(cfg, "  level: debug\n", "  level: info\n", 1)
	writeFile(t, path, cfg)
	return path
}

// haOkta is a fake Okta with n people p<i>@example.com to revoke, each
// answer delayed by latency (so that a layoff is still running when its
// leader is killed).
func haOkta(t testing.TB, n int, latency time.Duration) *oktatest.Server {
	t.Helper()
	fake := oktatest.New(t)
	for i := range n {
		fake.AddUser(oktatest.User{Login: haEmail(i), Email: haEmail(i), FirstName: "P", LastName: fmt.Sprint(i),
			Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"g"}, Sessions: 1})
	}
	fake.Latency(latency)
	return fake
}

func haEmail(i int) string { return fmt.Sprintf("p%d@example.com", i) }

func haExit(i int) string {
	return fmt.Sprintf(`{"employee":{"email":%q,"name":"P %d"},"kind":"involuntary"}`, haEmail(i), i)
}

// haRevoked counts the people of the fake whose access is entirely gone.
func haRevoked(fake *oktatest.Server, n int) int {
	done := 0
	for i := range n {
		u, _ := fake.User(haEmail(i))
		if u.Status == "SUSPENDED" && u.Sessions == 0 && len(u.Factors) == 0 && len(u.Grants) == 0 {
			done++
		}
	}
	return done
}

// childReplica is offboard serve in a child process (the test binary
// playing offboard, process_test.go), so that it can be killed for real.
type childReplica struct {
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

var listeningRe = regexp.MustCompile(`msg=listening url=(http://\S+)`)

// startChildReplica runs serve on cfgPath in a child process and returns
// once it listens; it is killed when the test ends.
func startChildReplica(t testing.TB, cfgPath string) *childReplica {
	t.Helper()
	r := &childReplica{logs: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	r.cmd.Env = append(os.Environ(), "OFFBOARD_TEST_CHILD=serve", "OFFBOARD_TEST_CONFIG="+cfgPath)
	r.cmd.Stderr = r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(r.kill)
	waitFor(t, "a replica to listen", 30*time.Second, func() bool {
		select {
		case <-r.done:
			t.Fatalf("the replica exited before listening:\n%s", r.logs.String())
		default:
		}
		m := listeningRe.FindStringSubmatch(r.logs.String())
		if m != nil {
			r.url = m[1]
		}
		return m != nil
	})
	return r
}

// kill ends the replica with SIGKILL: no shutdown, no resignation, its
// running jobs cut off where they are.
func (r *childReplica) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// leads reports whether the replica says it leads (offboard_leader 1).
func leads(t testing.TB, url string) bool {
	t.Helper()
	m := call(t, "GET", url+"/metrics", metricsToken, "")
	return m.status == 200 && metricValue(string(m.body), "offboard_leader") == "1"
}

// leaderOf returns the one of two replicas that says it leads, and the
// other; ok is false while neither does. Both leading fails the test.
func leaderOf(t testing.TB, replicas []*childReplica) (leader, other *childReplica, ok bool) {
	t.Helper()
	a, b := leads(t, replicas[0].url), leads(t, replicas[1].url)
	switch {
	case a && b:
		t.Fatal("both replicas say they lead")
	case a:
		return replicas[0], replicas[1], true
	case b:
		return replicas[1], replicas[0], true
	}
	return nil, nil, false
}

// waitFor is eventually with a deadline of its own: a layoff on a loaded
// machine takes longer than eventually's ten seconds.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// haStore opens the replicas' store on the cluster, as a reader would.
func haStore(t testing.TB, c *etcdtest.Cluster) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.New(context.Background(), c.Client(), etcdstore.Options{Prefix: haPrefix, MaxTxnOps: etcdtest.MaxTxnOps})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tasksDone counts the task.done events in the chain per case and task,
// and the cases opened.
func tasksDone(t testing.TB, s *etcdstore.Store) (done map[offboard.CaseID]map[string]int, opened int) {
	t.Helper()
	done = map[offboard.CaseID]map[string]int{}
	err := s.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		switch e.Action {
		case "case.opened":
			opened++
		case "task.done":
			if done[e.CaseID] == nil {
				done[e.CaseID] = map[string]int{}
			}
			done[e.CaseID][e.Target]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return done, opened
}

// suspendsByUser counts the fake's suspend calls per user: answered 2xx,
// and answered otherwise (the user was suspended already).
func suspendsByUser(fake *oktatest.Server) (ok, other map[string]int) {
	ok, other = map[string]int{}, map[string]int{}
	for _, r := range fake.Requests() {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/lifecycle/suspend") {
			continue
		}
		user := strings.Split(strings.Trim(r.Path, "/"), "/")[3]
		if r.Status >= 200 && r.Status < 300 {
			ok[user]++
		} else {
			other[user]++
		}
	}
	return ok, other
}

// firstJobRequestAfter is when the fake Okta heard the first request
// about one user (a job's: not a directory listing, which any replica
// makes) that arrived after at; zero when none did.
func firstJobRequestAfter(fake *oktatest.Server, at time.Time) time.Time {
	var first time.Time
	for _, r := range fake.Requests() {
		if len(strings.Split(strings.Trim(r.Path, "/"), "/")) < 4 {
			continue
		}
		if r.At.After(at) && (first.IsZero() || r.At.Before(first)) {
			first = r.At
		}
	}
	return first
}

var leadsNowRe = regexp.MustCompile(`(?m)^time=(\S+) level=INFO msg="this replica leads now`)

// takeoverTime is how long after killed the survivor's first job reached
// the fake Okta: the first request about one user after the survivor
// said it leads. (Requests the killed leader had in flight can be heard
// after it died: they are not the survivor's.)
func takeoverTime(fake *oktatest.Server, survivor *childReplica, killed time.Time) (time.Duration, error) {
	m := leadsNowRe.FindAllStringSubmatch(survivor.logs.String(), -1)
	if m == nil {
		return 0, fmt.Errorf("the survivor never said it leads:\n%s", survivor.logs.String())
	}
	led, err := time.Parse(time.RFC3339Nano, m[len(m)-1][1])
	if err != nil {
		return 0, fmt.Errorf("the survivor's log time: %w", err)
	}
	first := firstJobRequestAfter(fake, led)
	if led.Before(killed) {
		return 0, fmt.Errorf("the survivor led since %s, before the kill at %s: the killed replica was not the leader", led, killed)
	}
	if first.IsZero() {
		return 0, fmt.Errorf("no job of the survivor reached Okta after it led at %s (killed %s)", led, killed)
	}
	return first.Sub(killed), nil
}
