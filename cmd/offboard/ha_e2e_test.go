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
	var leader, survivor *childReplica
	waitFor(t, "one replica to lead", 30*time.Second, func() bool {
		a, b := leads(t, replicas[0].url), leads(t, replicas[1].url)
		switch {
		case a && b:
			t.Fatal("both replicas say they lead")
		case a:
			leader, survivor = replicas[0], replicas[1]
		case b:
			leader, survivor = replicas[1], replicas[0]
		}
		return a || b
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
	killed := time.Now()
	leader.kill()
	atKill := haRevoked(fake, exits)
	if atKill == exits {
		t.Fatalf("the leader revoked all %d people before it was killed: nothing was taken over", exits)
	}
	t.Logf("leader killed with %d of %d people revoked", atKill, exits)

	waitFor(t, "the survivor to revoke everyone", 60*time.Second, func() bool { return haRevoked(fake, exits) == exits })
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
