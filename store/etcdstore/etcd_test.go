package etcdstore_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

// testMaxTxnOps is the limit the test member runs with, as a deployment
// with real playbooks would (etcd's default, 128, is too few).
const testMaxTxnOps = 1024

// startEtcd runs a single-member etcd in this process on free ports of
// 127.0.0.1 with its data in a temporary directory, and returns a client
// of it; both are closed when the test ends.
func startEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	var e *embed.Etcd
	var err error
	// A free port found here may be taken before etcd binds it: try again.
	for try := 0; try < 3; try++ {
		if e, err = tryStartEtcd(t); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(e.Close)
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{e.Config().ListenClientUrls[0].Host},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func tryStartEtcd(t *testing.T) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "panic" // its shutdown logs errors about closed listeners
	cfg.MaxTxnOps = testMaxTxnOps
	client, peer := freePort(t), freePort(t)
	cu, _ := url.Parse("http://" + client)
	pu, _ := url.Parse("http://" + peer)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, fmt.Errorf("etcd was not ready within 30s")
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

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
