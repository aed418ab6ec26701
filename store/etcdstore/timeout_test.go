package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
	"github.com/offboard-dev/offboard/store/storetest"
)

// With the cluster gone, a call without a deadline of its own fails
// after Options.CallTimeout instead of waiting for a connection for ever.
func TestStore_CallTimeout(t *testing.T) {
	member := etcdtest.Start(t)
	s, err := etcdstore.New(context.Background(), member.Client(t), etcdstore.Options{MaxTxnOps: etcdtest.MaxTxnOps, CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx offboard.Tx) error {
		return tx.PutCase(storetest.NewCase(offboard.FormatCaseID(1), "dana@example.com"))
	}
	if err := s.Update(context.Background(), put); err != nil {
		t.Fatalf("Update with etcd up: %v", err)
	}
	member.Stop()
	calls := map[string]func() error{
		"Update": func() error { return s.Update(context.Background(), put) },
		"View": func() error {
			return s.View(context.Background(), func(tx offboard.Tx) error { _, err := tx.Case("OFF-0001"); return err })
		},
		"Ping": func() error { return s.Ping(context.Background()) },
		"Delivered": func() error {
			_, err := s.Delivered(context.Background(), "slack", "n1")
			return err
		},
		"VerifyAudit": func() error {
			_, err := s.VerifyAudit(context.Background())
			return err
		},
		"AuditHashes": func() error {
			_, err := s.AuditHashes(context.Background(), []uint64{1})
			return err
		},
		"CaseCounts": func() error {
			_, err := s.CaseCounts(context.Background())
			return err
		},
	}
	for name, call := range calls {
		began := time.Now()
		err := call()
		if took := time.Since(began); err == nil || took > 3*time.Second {
			t.Errorf("%s with etcd gone: %v after %s; want an error within about 300ms", name, err, took)
		}
	}
}
