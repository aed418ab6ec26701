package etcdstore_test

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// testMaxTxnOps is the limit the test member runs with, as a deployment
// with real playbooks would (etcd's default, 128, is too few).
const testMaxTxnOps = etcdtest.MaxTxnOps

// startEtcd runs a single-member etcd in this process (etcdtest) and
// returns a client of it; both are closed when the test ends.
func startEtcd(t *testing.T) *clientv3.Client { return etcdtest.StartClient(t) }

// newStore returns a store under its own prefix of cli's cluster.
func newStore(t *testing.T, cli *clientv3.Client, prefix string) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.New(context.Background(), cli, etcdstore.Options{Prefix: prefix, MaxTxnOps: testMaxTxnOps})
	if err != nil {
		t.Fatalf("etcdstore.New: %v", err)
	}
	return s
}

var _ offboard.Store = (*etcdstore.Store)(nil)
