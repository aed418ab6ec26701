package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// Two replicas of serve (child processes) on a three-member etcd
// cluster; a layoff is sent half to each; the leading replica is killed
// with SIGKILL while it revokes. The other takes over: every exit is
// revoked, each revocation task is recorded done exactly once in the
// chain, Okta suspends each person once, and the chain verifies.
func TestHA_LeaderKilledDuringLayoff(t *testing.T) {
	const exits = 30
	c := etcdtest.StartCluster(t, 3)
	fake := haOkta(t, exits, 40*time.Millisecond)
	cfgPath := writeHAConfig(t, t.TempDir(), c, oktaExtra(fake.URL()))
	replicas := []*childReplica{startChildReplica(t, cfgPath), startChildReplica(t, cfgPath)}
	waitFor(t, "one replica to lead", 30*time.Second, func() bool {
		_, _, ok := leaderOf(t, replicas)
		return ok
	})

	// The layoff: half of it through each replica, at once.
	var wg sync.WaitGroup
	for i := range exits {
		wg.Go(func() {
			r := replicas[i%2]
			if resp := call(t, "POST", r.url+"/api/v1/cases", hrToken, haExit(i)); resp.status != http.StatusCreated {
				t.Errorf("exit %d through replica %d: %d %s", i, i%2, resp.status, resp.body)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Kill the leader mid-way: some people revoked, not all.
	waitFor(t, "the leader to revoke a few people", 60*time.Second, func() bool { return haRevoked(fake, exits) >= 3 })
	// The lead may have moved under load (a 2 s lease): kill the replica
	// that leads now.
	var leader, survivor *childReplica
	waitFor(t, "one replica to lead", 30*time.Second, func() bool {
		var ok bool
		leader, survivor, ok = leaderOf(t, replicas)
		return ok
	})
	killed := time.Now()
	leader.kill()
	atKill := haRevoked(fake, exits)
	if atKill == exits {
		t.Fatalf("the leader revoked all %d people before it was killed: nothing was taken over", exits)
	}
	t.Logf("leader killed with %d of %d people revoked", atKill, exits)

	// A bound against a hang only: on a loaded 2-core machine the
	// survivor and three members share the cores with the rest of the suite.
	waitFor(t, "the survivor to revoke everyone", 3*time.Minute, func() bool { return haRevoked(fake, exits) == exits })
	took, err := takeoverTime(fake, survivor, killed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("takeover: leader killed → the survivor's first job reached Okta in %s (lease 2s)", took.Round(time.Millisecond))
	if !leads(t, survivor.url) {
		t.Error("the survivor does not say it leads")
	}

	// Every case's clock stopped, and each revocation is done once in the
	// chain, though the killed leader may have run some of them.
	s := haStore(t, c)
	waitFor(t, "every case's revocation recorded", 30*time.Second, func() bool {
		done, _ := tasksDone(t, s)
		n := 0
		for _, tasks := range done {
			if tasks["okta_suspend"] > 0 && tasks["okta_revoke_grants"] > 0 && tasks["okta_reset_mfa"] > 0 && tasks["okta_clear_sessions"] > 0 {
				n++
			}
		}
		return n == exits
	})
	time.Sleep(500 * time.Millisecond) // a duplicate, were there one, would show
	done, opened := tasksDone(t, s)
	if opened != exits || len(done) != exits {
		t.Fatalf("%d cases opened, %d with tasks done; want %d", opened, len(done), exits)
	}
	for id, tasks := range done {
		for _, k := range revocationKeys {
			if tasks[k] != 1 {
				t.Errorf("%s: %s recorded done %d times in the chain, want once", id, k, tasks[k])
			}
		}
	}
	ok, other := suspendsByUser(fake)
	if len(ok) != exits {
		t.Errorf("Okta suspended %d users, want %d", len(ok), exits)
	}
	extra := 0
	for user, n := range ok {
		if n != 1 {
			t.Errorf("Okta suspended %s %d times", user, n)
		}
		extra += other[user]
	}
	t.Logf("suspend calls answered as already done: %d", extra)
	err = s.View(context.Background(), func(tx offboard.Tx) error {
		ids, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil {
			return err
		}
		for _, id := range ids {
			cs, err := tx.Case(id)
			if err != nil {
				return err
			}
			if cs.RevokedAt == nil {
				t.Errorf("%s: its clock did not stop", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify after the takeover: %d %s %s", code, out, errOut)
	}
}

// oktaExtra is the okta: section for the fake at url.
func oktaExtra(url string) string {
	return "okta:\n  org_url: \"" + url + "\"\n  api_token: \"" + oktatest.Token + "\"\n  insecure_http_for_tests: true\n"
}

// Two replicas receive the same person's exit at the same instant
// through the REST API: one case opens; the other caller is told of it
// (409 naming the case), never given a second one.
func TestHA_SameExitOnTwoReplicas(t *testing.T) {
	const people = 5
	c := etcdtest.StartCluster(t, 3)
	fake := haOkta(t, people, 0)
	cfgPath := writeHAConfig(t, t.TempDir(), c, oktaExtra(fake.URL()))
	apps := []*liveApp{startApp(t, cfgPath, wireOptions{}), startApp(t, cfgPath, wireOptions{})}
	for i := range people {
		var wg sync.WaitGroup
		start := make(chan struct{})
		resps := make([]apiResponse, len(apps))
		for k, a := range apps {
			wg.Go(func() {
				<-start
				resps[k] = call(t, "POST", a.url+"/api/v1/cases", hrToken, haExit(i))
			})
		}
		close(start)
		wg.Wait()
		created, refused := -1, -1
		for k, r := range resps {
			switch r.status {
			case http.StatusCreated:
				created = k
			case http.StatusConflict:
				refused = k
			}
		}
		if created < 0 || refused < 0 {
			t.Fatalf("%s on both replicas at once: %d %s / %d %s; want one 201 and one 409", haEmail(i),
				resps[0].status, resps[0].body, resps[1].status, resps[1].body)
		}
		id := resps[created].view(t).Case.ID
		if !strings.Contains(string(resps[refused].body), string(id)) {
			t.Errorf("the refusal does not name the open case %s: %s", id, resps[refused].body)
		}
	}
	s := haStore(t, c)
	err := s.View(context.Background(), func(tx offboard.Tx) error {
		ids, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, id := range ids {
			cs, err := tx.Case(id)
			if err != nil {
				return err
			}
			if seen[cs.Employee.Email] {
				t.Errorf("a second case for %s: %s", cs.Employee.Email, id)
			}
			seen[cs.Employee.Email] = true
		}
		if len(ids) != people {
			t.Errorf("%d open cases, want %d", len(ids), people)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// One etcd member (the raft leader) stops during intake: the replicas'
// clients move to the other two, every command still commits, the
// revocations run and the chain verifies.
func TestHA_MemberStoppedDuringIntake(t *testing.T) {
	const exits = 10
	c := etcdtest.StartCluster(t, 3)
	fake := haOkta(t, exits, 0)
	cfgPath := writeHAConfig(t, t.TempDir(), c, oktaExtra(fake.URL()))
	apps := []*liveApp{startApp(t, cfgPath, wireOptions{}), startApp(t, cfgPath, wireOptions{})}
	// The exits arrive one every 20 ms, so that the member stops while
	// commands are in flight.
	var wg sync.WaitGroup
	for i := range exits {
		if i == exits/2 {
			stopped := c.Leader()
			if stopped < 0 {
				t.Fatal("the cluster has no leader")
			}
			c.Stop(stopped)
			t.Logf("etcd member %d (the raft leader) stopped after %d exits were sent", stopped, i)
		}
		wg.Go(func() {
			if r := call(t, "POST", apps[i%2].url+"/api/v1/cases", hrToken, haExit(i)); r.status != http.StatusCreated {
				t.Errorf("exit %d with a member stopping: %d %s", i, r.status, r.body)
			}
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	waitFor(t, "every exit revoked with a member down", 60*time.Second, func() bool { return haRevoked(fake, exits) == exits })
	s := haStore(t, c)
	waitFor(t, "every revocation recorded", 30*time.Second, func() bool {
		done, _ := tasksDone(t, s)
		n := 0
		for _, tasks := range done {
			if tasks["okta_suspend"] == 1 && tasks["okta_revoke_grants"] == 1 && tasks["okta_reset_mfa"] == 1 && tasks["okta_clear_sessions"] == 1 {
				n++
			}
		}
		return n == exits
	})
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify with a member down: %d %s %s", code, out, errOut)
	}
}
