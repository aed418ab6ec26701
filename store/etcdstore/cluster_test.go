package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

var (
	hrActor = offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com", Platform: "test"}
	hrisBot = offboard.System("hris")
)

func clusterRoles(email string) []offboard.Role {
	if email == hrActor.Email {
		return []offboard.Role{offboard.RoleHR}
	}
	return nil
}

// clusterStore is a store through cli under prefix, with the cluster's
// transaction limit.
func clusterStore(t testing.TB, cli *clientv3.Client, prefix string) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.New(context.Background(), cli, etcdstore.Options{Prefix: prefix, MaxTxnOps: etcdtest.MaxTxnOps})
	if err != nil {
		t.Fatalf("etcdstore.New: %v", err)
	}
	return s
}

// replicaEngine is one offboard replica's engine over s: the default
// playbook with Okta as the identity system.
func replicaEngine(t testing.TB, s offboard.Store) flowstest.Engine {
	return flowstest.New(t, flowstest.Options{Store: s, Roles: clusterRoles, Location: time.UTC,
		Connectors: offboard.Connectors{oktaconn.Declaration()}})
}

func openFor(email string) offboard.OpenCase {
	return offboard.OpenCase{By: hrActor, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Name: "Person " + email, Email: email, ManagerEmail: "mona.manager@example.com"}}
}

// casesOf returns the ids of email's cases as s sees them.
func casesOf(t *testing.T, s *etcdstore.Store, email string) []offboard.CaseID {
	t.Helper()
	var ids []offboard.CaseID
	if err := s.View(context.Background(), func(tx offboard.Tx) error {
		var err error
		ids, err = tx.CaseIDsByEmail(email)
		return err
	}); err != nil {
		t.Fatalf("cases of %s: %v", email, err)
	}
	return ids
}

func verifyChain(t *testing.T, s *etcdstore.Store) offboard.AuditVerifyResult {
	t.Helper()
	res, err := s.VerifyAudit(context.Background())
	if err != nil || !res.OK {
		t.Fatalf("the audit chain does not verify: %+v, %v", res, err)
	}
	return res
}

// TestCluster_commitsThroughAnyMember: three replicas, each talking to a
// different member, open a case each; every replica sees all three and
// one chain.
func TestCluster_commitsThroughAnyMember(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	t.Logf("3-member cluster started in %s", c.StartupTime())
	ctx := context.Background()
	stores := make([]*etcdstore.Store, c.Size())
	for i := range stores {
		stores[i] = clusterStore(t, c.Client(i), "any/")
		email := fmt.Sprintf("p%d@example.com", i)
		if _, err := replicaEngine(t, stores[i]).Apply(ctx, openFor(email)); err != nil {
			t.Fatalf("open through member %d: %v", i, err)
		}
	}
	for i, s := range stores {
		for j := range stores {
			if ids := casesOf(t, s, fmt.Sprintf("p%d@example.com", j)); len(ids) != 1 {
				t.Errorf("member %d sees %v for the case opened through member %d", i, ids, j)
			}
		}
	}
	a, b := verifyChain(t, stores[0]), verifyChain(t, stores[2])
	if a.Events != b.Events || a.HeadHash != b.HeadHash || a.Events < 3 {
		t.Errorf("members disagree on the chain: %+v vs %+v", a, b)
	}
}

// TestCluster_partition: with one member of three down commands commit;
// with two down an Update fails within its deadline saying the cluster
// has no quorum, writes nothing, and commits resume when a member is back.
func TestCluster_partition(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	s := clusterStore(t, c.Client(), "part/")
	eng := replicaEngine(t, s)
	ctx := context.Background()
	open := func(email string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := eng.Apply(ctx, openFor(email))
		return err
	}
	if err := open("before@example.com", 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// The leader goes: the others elect a new one and go on.
	lead := c.Leader()
	if lead < 0 {
		t.Fatal("no leader")
	}
	c.Stop(lead)
	if err := open("one-down@example.com", 15*time.Second); err != nil {
		t.Fatalf("one member of three down: %v", err)
	}
	before := verifyChain(t, s)

	// A second member goes: no quorum, no commit.
	second := (lead + 1) % 3
	c.Stop(second)
	const deadline = 3 * time.Second
	began := time.Now()
	err := open("no-quorum@example.com", deadline)
	took := time.Since(began)
	if err == nil {
		t.Fatal("a command committed with two members of three down")
	}
	if took > deadline+2*time.Second {
		t.Errorf("the failed command took %s, past its %s deadline", took, deadline)
	}
	if !strings.Contains(err.Error(), "quorum") || !errors.Is(err, etcdstore.ErrUnavailable) {
		t.Errorf("error %q does not say the cluster lost its quorum", err)
	}
	t.Logf("without quorum: %v (after %s)", err, took.Round(time.Millisecond))

	c.Restart(second)
	if err := open("after@example.com", 15*time.Second); err != nil {
		t.Fatalf("a member back: %v", err)
	}
	c.Restart(lead)
	if ids := casesOf(t, s, "no-quorum@example.com"); len(ids) != 0 {
		t.Errorf("the refused command left cases %v", ids)
	}
	for _, email := range []string{"before@example.com", "one-down@example.com", "after@example.com"} {
		if ids := casesOf(t, s, email); len(ids) != 1 {
			t.Errorf("%s has cases %v, want one", email, ids)
		}
	}
	after := verifyChain(t, s)
	// One command committed since "before": the refused one added nothing.
	if one := eventsOfOneOpening(t, c); after.Events-before.Events != one {
		t.Errorf("events: %d before the partition, %d after; one opening writes %d", before.Events, after.Events, one)
	}
	var open3 []offboard.CaseID
	if err := s.View(ctx, func(tx offboard.Tx) error {
		var err error
		open3, err = tx.CaseIDsByStatus(offboard.CaseOpen)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(open3) != 3 {
		t.Errorf("open cases by the status index: %v, want 3", open3)
	}
}

// eventsOfOneOpening is the chain length after one opening in a fresh
// prefix of c, so the partition test compares against what a command
// really writes instead of a number that would go stale.
func eventsOfOneOpening(t *testing.T, c *etcdtest.Cluster) uint64 {
	t.Helper()
	s := clusterStore(t, c.Client(), "one/")
	if _, err := replicaEngine(t, s).Apply(context.Background(), openFor("one@example.com")); err != nil {
		t.Fatal(err)
	}
	return verifyChain(t, s).Events
}

// TestCluster_sameInstantOpen: two replicas on different members open a
// case for one person at the same instant, once under one HR event id
// (the dedupe key) and once as two people typing /offboard (the engine's
// one-open-case-per-person rule); each time one case is opened.
func TestCluster_sameInstantOpen(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	ctx := context.Background()
	a := clusterStore(t, c.Client(0), "race/")
	b := clusterStore(t, c.Client(2), "race/")
	engines := []flowstest.Engine{replicaEngine(t, a), replicaEngine(t, b)}

	race := func(cmd offboard.OpenCase) ([]*offboard.Result, []error) {
		results, errs := make([]*offboard.Result, 2), make([]error, 2)
		var ready, wg sync.WaitGroup
		ready.Add(1)
		for i, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready.Wait()
				results[i], errs[i] = e.Apply(ctx, cmd)
			}()
		}
		ready.Done()
		wg.Wait()
		return results, errs
	}

	// One HR event delivered to both replicas.
	event := openFor("dup@example.com")
	event.By, event.DedupeKey, event.Source = hrisBot, "bamboohr:evt-42", "bamboohr"
	results, errs := race(event)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if results[0].Case.ID != results[1].Case.ID {
		t.Errorf("one event opened %s and %s", results[0].Case.ID, results[1].Case.ID)
	}
	if ids := casesOf(t, a, "dup@example.com"); len(ids) != 1 {
		t.Errorf("cases for the event: %v", ids)
	}

	// Two people, no event id: one opens, the other is told.
	results, errs = race(openFor("twice@example.com"))
	opened, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil && results[i].Case != nil:
			opened++
		case offboard.ErrorCode(err) == offboard.ECONFLICT && strings.Contains(err.Error(), "already has an open offboarding case"):
			refused++
		default:
			t.Errorf("replica %d: %v", i, err)
		}
	}
	if opened != 1 || refused != 1 {
		t.Errorf("opened %d, refused %d; want one of each", opened, refused)
	}
	if ids := casesOf(t, b, "twice@example.com"); len(ids) != 1 {
		t.Errorf("cases for twice@: %v", ids)
	}
	verifyChain(t, a)
	t.Logf("conflicts retried: %d and %d", a.Conflicts(), b.Conflicts())
}
