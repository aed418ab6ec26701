package etcdstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

func putJobs(t *testing.T, s *etcdstore.Store, ids ...string) {
	t.Helper()
	err := s.Update(context.Background(), func(tx offboard.Tx) error {
		for _, id := range ids {
			if err := tx.PutJob(&offboard.Job{ID: id, Kind: offboard.JobAction, Priority: offboard.PriorityRevocation, NotBefore: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readyIDs(t *testing.T, s *etcdstore.Store) []string {
	t.Helper()
	var ids []string
	err := s.View(context.Background(), func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(t0, 0, nil)
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func isClaimLost(err error) bool {
	var lost *offboard.ClaimLostError
	return errors.As(err, &lost)
}

// TestStore_ClaimJobs_boundToLease: a claim is a key bound to the
// claimer's session lease. When the lease ends the job is ready again,
// the old holder's settle, retry and release change nothing, and the new
// holder's settle stands.
func TestStore_ClaimJobs_boundToLease(t *testing.T) {
	cli := startEtcd(t)
	a := newReplica(t, cli.Endpoints(), "claims/", "a")
	a.campaign(t)
	waitUntil(t, 5*time.Second, "a leads", a.leader.Leading)
	b := newReplica(t, cli.Endpoints(), "claims/", "b")
	b.campaign(t)
	ctx := context.Background()
	putJobs(t, a.store, "j1")

	got, err := a.store.ClaimJobs(ctx, t0, 10, nil)
	if err != nil || len(got) != 1 || !got[0].Leased {
		t.Fatalf("a's ClaimJobs = %v, %v; want j1, leased", got, err)
	}
	kv, err := cli.Get(ctx, "claims/claims/j1")
	if err != nil || len(kv.Kvs) != 1 || clientv3.LeaseID(kv.Kvs[0].Lease) != a.leader.SessionLease() {
		t.Fatalf("claim key = %v, %v; want one bound to a's lease %x", kv.Kvs, err, a.leader.SessionLease())
	}
	if ids := readyIDs(t, b.store); len(ids) != 0 {
		t.Fatalf("ready while claimed: %v", ids)
	}

	if _, err := cli.Revoke(ctx, a.leader.SessionLease()); err != nil {
		t.Fatal(err)
	}
	if ids := readyIDs(t, b.store); len(ids) != 1 || ids[0] != "j1" {
		t.Fatalf("after a's lease ended ReadyJobs = %v; want j1 back", ids)
	}
	if err := a.store.SettleJob(ctx, "j1"); !isClaimLost(err) {
		t.Fatalf("a's settle after its lease ended = %v; want ClaimLostError", err)
	}

	waitUntil(t, 5*time.Second, "b leads", b.leader.Leading)
	if got, err := b.store.ClaimJobs(ctx, t0, 10, nil); err != nil || len(got) != 1 {
		t.Fatalf("b's ClaimJobs = %v, %v; want j1", got, err)
	}
	if err := a.store.RetryJob(ctx, "j1", offboard.JobFailure{Error: "late", Counted: true}, t0); !isClaimLost(err) {
		t.Errorf("a's late retry = %v; want ClaimLostError", err)
	}
	if err := a.store.DeadLetterJob(ctx, "j1", offboard.JobFailure{Error: "late"}, t0); !isClaimLost(err) {
		t.Errorf("a's late dead letter = %v; want ClaimLostError", err)
	}
	if err := a.store.ReleaseJobs(ctx, []string{"j1"}, time.Time{}); err != nil {
		t.Errorf("a's release of a job it no longer holds = %v; want it left alone", err)
	}
	kv, _ = cli.Get(ctx, "claims/claims/j1")
	if len(kv.Kvs) != 1 || clientv3.LeaseID(kv.Kvs[0].Lease) != b.leader.SessionLease() {
		t.Fatalf("after a's late writes the claim is %v; want b's", kv.Kvs)
	}
	if err := b.store.SettleJob(ctx, "j1"); err != nil {
		t.Fatalf("b's settle: %v", err)
	}
	err = b.store.View(ctx, func(tx offboard.Tx) error {
		if _, err := tx.Job("j1"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("settled job: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kv, _ := cli.Get(ctx, "claims/claims/j1"); len(kv.Kvs) != 0 {
		t.Errorf("the settled job's claim is still there")
	}
}

// TestStore_ClaimJobs_noSession: a replica whose store is bound to an
// election claims nothing without a live session.
func TestStore_ClaimJobs_noSession(t *testing.T) {
	cli := startEtcd(t)
	a := newReplica(t, cli.Endpoints(), "nosession/", "a") // never campaigns
	putJobs(t, a.store, "j1")
	if got, err := a.store.ClaimJobs(context.Background(), t0, 10, nil); err == nil || len(got) != 0 {
		t.Fatalf("ClaimJobs without a session = %v, %v; want an error", got, err)
	}
	if ids := readyIDs(t, a.store); len(ids) != 1 {
		t.Errorf("ReadyJobs = %v; want j1 still ready", ids)
	}
}

// TestStore_RecoverLeases: claims made without a session (no lease ends
// them) are released at start; claims under a live lease are left alone.
func TestStore_RecoverLeases(t *testing.T) {
	cli := startEtcd(t)
	plain := newStore(t, cli, "recover/")
	putJobs(t, plain, "solo")
	if got, err := plain.ClaimJobs(context.Background(), t0, 10, nil); err != nil || len(got) != 1 {
		t.Fatalf("ClaimJobs = %v, %v", got, err)
	}
	a := newReplica(t, cli.Endpoints(), "recover/", "a")
	a.campaign(t)
	waitUntil(t, 5*time.Second, "a leads", a.leader.Leading)
	putJobs(t, a.store, "leased")
	if got, err := a.store.ClaimJobs(context.Background(), t0, 10, nil); err != nil || len(got) != 1 || got[0].ID != "leased" {
		t.Fatalf("a's ClaimJobs = %v, %v; want the new job", got, err)
	}
	n, err := plain.RecoverLeases(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("RecoverLeases = %d, %v; want the one claim without a lease", n, err)
	}
	if ids := readyIDs(t, plain); len(ids) != 1 || ids[0] != "solo" {
		t.Errorf("ReadyJobs after recovery = %v; want solo alone (leased is a's)", ids)
	}
}
