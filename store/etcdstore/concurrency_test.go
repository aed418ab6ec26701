package etcdstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// replicas are two stores on one prefix through two clients: what two
// offboard processes sharing a cluster are to each other.
func replicas(t *testing.T, prefix string) (*etcdstore.Store, *etcdstore.Store, *clientv3.Client) {
	t.Helper()
	cli := startEtcd(t)
	other, err := clientv3.New(clientv3.Config{Endpoints: cli.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	return newStore(t, cli, prefix), newStore(t, other, prefix), cli
}

// meet makes the first run of fn in each of n goroutines wait for the
// others at the point it is called, so all have read before any commits.
type meet struct {
	wg sync.WaitGroup
}

func newMeet(n int) *meet {
	m := &meet{}
	m.wg.Add(n)
	return m
}

func (m *meet) once(run int) {
	if run == 1 {
		m.wg.Done()
		m.wg.Wait()
	}
}

// TestStore_AppendAudit_concurrentReplicas: two replicas append on the
// same head at once; one commit wins, the other runs again on the new
// head, and the chain stays one chain.
func TestStore_AppendAudit_concurrentReplicas(t *testing.T) {
	a, b, _ := replicas(t, "audit/")
	ctx := context.Background()
	m := newMeet(2)
	seqs := make([]uint64, 2)
	var wg sync.WaitGroup
	for i, s := range []*etcdstore.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := 0
			err := s.Update(ctx, func(tx offboard.Tx) error {
				run++
				e := offboard.AuditEvent{Time: t0, Action: "test.append", Outcome: "ok", Detail: "replica"}
				if err := tx.AppendAudit(&e); err != nil {
					return err
				}
				seqs[i] = e.Seq
				m.once(run)
				return nil
			})
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if seqs[0] == seqs[1] || seqs[0]+seqs[1] != 3 {
		t.Errorf("the replicas' events have seqs %v; want 1 and 2", seqs)
	}
	if a.Conflicts()+b.Conflicts() != 1 {
		t.Errorf("conflicts = %d + %d; want exactly one loser", a.Conflicts(), b.Conflicts())
	}
	storetest.AssertChainOK(t, a, 2)

	// And under load: four writers, through the AuditLog port.
	var load sync.WaitGroup
	for w := range 4 {
		s := []*etcdstore.Store{a, b}[w%2]
		log := s.AuditLog(nil)
		load.Add(1)
		go func() {
			defer load.Done()
			for range 10 {
				if err := log.Append(ctx, offboard.AuditEvent{Time: t0, Action: "test.load", Outcome: "ok"}); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}()
	}
	load.Wait()
	storetest.AssertChainOK(t, b, 42)
	t.Logf("conflicts retried: %d", a.Conflicts()+b.Conflicts())
}

// openOnce opens a case for a dedupe key unless one is recorded, as the
// engine's intake does.
func openOnce(tx offboard.Tx, key, email string) (offboard.CaseID, error) {
	if id, ok, err := tx.Dedupe(key); err != nil || ok {
		return id, err
	}
	id, err := tx.NextCaseID()
	if err != nil {
		return "", err
	}
	if err := tx.PutCase(storetest.NewCase(id, email)); err != nil {
		return "", err
	}
	if err := tx.PutDedupe(key, id, t0); err != nil {
		return "", err
	}
	e := offboard.AuditEvent{Time: t0, Action: "case.opened", CaseID: id, Outcome: "ok"}
	return id, tx.AppendAudit(&e)
}

// TestStore_Update_sameDedupeKeyAtOnce: two replicas receive the same HR
// event at the same instant; both find the key absent, one commits, the
// other runs again, finds the first's case, and opens none.
func TestStore_Update_sameDedupeKeyAtOnce(t *testing.T) {
	a, b, _ := replicas(t, "dedupe/")
	ctx := context.Background()
	m := newMeet(2)
	ids := make([]offboard.CaseID, 2)
	var wg sync.WaitGroup
	for i, s := range []*etcdstore.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := 0
			err := s.Update(ctx, func(tx offboard.Tx) error {
				run++
				_, found, err := tx.Dedupe("bamboohr:evt-42")
				if err != nil {
					return err
				}
				if !found {
					m.once(run) // both saw it absent
				}
				ids[i], err = openOnce(tx, "bamboohr:evt-42", "dana@example.com")
				return err
			})
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ids[0] != ids[1] || ids[0] == "" {
		t.Fatalf("the replicas opened %v; want one case for both", ids)
	}
	err := a.View(ctx, func(tx offboard.Tx) error {
		n, err := tx.LastCaseNumber()
		if err != nil {
			return err
		}
		byEmail, err := tx.CaseIDsByEmail("dana@example.com")
		if n != 1 || len(byEmail) != 1 {
			t.Errorf("case numbers used %d, cases of the email %v; want one case", n, byEmail)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.AssertChainOK(t, a, 1)
}

// TestStore_Update_retriesOnConflict: a write by another replica to a key
// fn read, between fn's read and its commit, makes fn run again on the
// new state, and the other write is kept, not overwritten.
func TestStore_Update_retriesOnConflict(t *testing.T) {
	a, b, _ := replicas(t, "retry/")
	ctx := context.Background()
	id := offboard.FormatCaseID(1)
	if err := a.Update(ctx, func(tx offboard.Tx) error { return tx.PutCase(storetest.NewCase(id, "dana@example.com")) }); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err := a.Update(ctx, func(tx offboard.Tx) error {
		runs++
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if runs == 1 {
			// Another replica changes the case meanwhile.
			err := b.Update(ctx, func(tx offboard.Tx) error {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				c.Notes = "set by the other replica"
				return tx.PutCase(c)
			})
			if err != nil {
				return err
			}
		}
		c.Status = offboard.CaseCompleted
		return tx.PutCase(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("fn ran %d times; want 2", runs)
	}
	err = a.View(ctx, func(tx offboard.Tx) error {
		c, err := tx.Case(id)
		if err == nil && (c.Notes != "set by the other replica" || c.Status != offboard.CaseCompleted) {
			t.Errorf("case after both writes: notes %q, status %s; want both kept", c.Notes, c.Status)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStore_Update_rangeReadConflicts: an index entry removed from a range
// fn scanned (a case leaving the open list) conflicts too, though a
// removed key has no revision to compare: removal writes a tombstone.
func TestStore_Update_rangeReadConflicts(t *testing.T) {
	a, b, cli := replicas(t, "range/")
	ctx := context.Background()
	id := offboard.FormatCaseID(1)
	if err := a.Update(ctx, func(tx offboard.Tx) error { return tx.PutCase(storetest.NewCase(id, "dana@example.com")) }); err != nil {
		t.Fatal(err)
	}
	runs := 0
	var seen []offboard.CaseID
	err := a.Update(ctx, func(tx offboard.Tx) error {
		runs++
		open, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil {
			return err
		}
		if runs == 1 {
			err := b.Update(ctx, func(tx offboard.Tx) error {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				c.Status = offboard.CaseCancelled
				return tx.PutCase(c)
			})
			if err != nil {
				return err
			}
		}
		seen = open
		return tx.PutDedupe("digest", "", t0) // any write, so there is a commit
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 || len(seen) != 0 {
		t.Errorf("fn ran %d times and last saw open cases %v; want 2 runs, none open", runs, seen)
	}
	// That second run saw the tombstone unchanged and dropped it.
	resp, err := cli.Get(ctx, "range/idx/status/open\x00"+string(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Errorf("the tombstone of the open index entry is still stored: %q", resp.Kvs[0].Value)
	}
}

// TestStore_Update_tooManyCompares: past MaxTxnOps a commit compares the
// whole store, so any other write conflicts with it (stricter, never
// wrong); a command writing more keys than that fails and says why.
func TestStore_Update_tooManyCompares(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	small, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "small/", MaxTxnOps: 4})
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	err = small.Update(ctx, func(tx offboard.Tx) error {
		runs++
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			if _, _, err := tx.Dedupe(k); err != nil {
				return err
			}
		}
		if runs == 1 {
			if _, err := cli.Put(ctx, "small/unrelated", "x"); err != nil {
				return err
			}
		}
		return tx.PutDedupe("a", "OFF-0001", t0)
	})
	if err != nil || runs != 2 {
		t.Errorf("Update = %v after %d runs; want a retry after the unrelated write", err, runs)
	}
	err = small.Update(ctx, func(tx offboard.Tx) error {
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			if err := tx.PutDedupe(k, "OFF-0001", t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "--max-txn-ops") {
		t.Errorf("a command writing 5 keys with a limit of 4: %v; want the limit named", err)
	}
}

// TestStore_VerifyAudit_detectsTampering: an event rewritten in etcd by
// someone with write access to the cluster fails verification.
func TestStore_VerifyAudit_detectsTampering(t *testing.T) {
	cli := startEtcd(t)
	s := newStore(t, cli, "tamper/")
	ctx := context.Background()
	log := s.AuditLog(nil)
	for range 3 {
		if err := log.Append(ctx, offboard.AuditEvent{Time: t0, Action: "test", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	storetest.AssertChainOK(t, s, 3)
	key := "tamper/audit/\x00\x00\x00\x00\x00\x00\x00\x02"
	resp, err := cli.Get(ctx, key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("event 2: %v %v", resp, err)
	}
	var e offboard.AuditEvent
	if err := json.Unmarshal(resp.Kvs[0].Value, &e); err != nil {
		t.Fatal(err)
	}
	e.Outcome = "failed"
	raw, _ := json.Marshal(e)
	if _, err := cli.Put(ctx, key, string(raw)); err != nil {
		t.Fatal(err)
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.OK || res.BadSeq != 2 {
		t.Errorf("VerifyAudit after tampering = %+v, %v; want event 2 bad", res, err)
	}
}

// TestNew_refusesNewerSchema: a prefix written by a newer offboard is
// refused, not misread.
func TestNew_refusesNewerSchema(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	if _, err := cli.Put(ctx, "future/meta/schema_version", "99"); err != nil {
		t.Fatal(err)
	}
	_, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "future/"})
	if err == nil || !strings.Contains(err.Error(), "newer offboard") {
		t.Errorf("New on schema 99: %v", err)
	}
	if _, err := etcdstore.New(ctx, cli, etcdstore.Options{Prefix: "fresh/"}); err != nil {
		t.Errorf("New on an empty prefix: %v", err)
	}
}

// TestStore_View_oneRevision: a View sees one moment, even when another
// replica commits between two of its reads.
func TestStore_View_oneRevision(t *testing.T) {
	a, b, _ := replicas(t, "view/")
	ctx := context.Background()
	id := offboard.FormatCaseID(1)
	if err := a.Update(ctx, func(tx offboard.Tx) error { return tx.PutCase(storetest.NewCase(id, "dana@example.com")) }); err != nil {
		t.Fatal(err)
	}
	err := a.View(ctx, func(tx offboard.Tx) error {
		if _, err := tx.Case(id); err != nil {
			return err
		}
		err := b.Update(ctx, func(tx offboard.Tx) error {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			c.Status = offboard.CaseCancelled
			return tx.PutCase(c)
		})
		if err != nil {
			return err
		}
		open, err := tx.CaseIDsByStatus(offboard.CaseOpen)
		if err != nil {
			return err
		}
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if len(open) != 1 || c.Status != offboard.CaseOpen {
			t.Errorf("the View saw open cases %v and status %s after another replica's commit; want its first moment", open, c.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
