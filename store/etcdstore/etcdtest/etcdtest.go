// Package etcdtest runs an etcd member inside a test process, so tests of
// any package (the store, serve end to end) can use a real etcd without
// an installed server. Tests only: it pulls in etcd's server.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MaxTxnOps is the --max-txn-ops the members run with, as a deployment
// with real playbooks needs (etcd's default, 128, is too few).
const MaxTxnOps = 1024

// Member is one running etcd member.
type Member struct {
	etcd *embed.Etcd
	stop sync.Once
}

// Endpoint is the member's client address (host:port).
func (m *Member) Endpoint() string { return m.etcd.Config().ListenClientUrls[0].Host }

// Stop closes the member; its clients' calls then fail. Safe to call
// more than once (the test's cleanup calls it again).
func (m *Member) Stop() { m.stop.Do(m.etcd.Close) }

// Start runs a single-member etcd on free ports of 127.0.0.1 with its
// data in a temporary directory, with --max-txn-ops MaxTxnOps; it is
// closed when the test ends.
func Start(t testing.TB) *Member {
	t.Helper()
	return StartMaxTxnOps(t, MaxTxnOps)
}

// StartMaxTxnOps is Start with the member's --max-txn-ops at n (etcd's
// default is 128), for tests of what a cluster set up so answers.
func StartMaxTxnOps(t testing.TB, n int) *Member {
	t.Helper()
	var e *embed.Etcd
	var err error
	// A free port found here may be taken before etcd binds it: try again.
	for try := 0; try < 3; try++ {
		if e, err = tryStart(t, n); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	m := &Member{etcd: e}
	t.Cleanup(m.Stop)
	return m
}

// Client returns a client of m, closed when the test ends.
func (m *Member) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	// The client's retry warnings after Stop are expected: not logged.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{m.Endpoint()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// StartClient is Start and a client of the member.
func StartClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return Start(t).Client(t)
}

func tryStart(t testing.TB, maxTxnOps int) (*embed.Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "panic" // its shutdown logs errors about closed listeners
	cfg.MaxTxnOps = uint(maxTxnOps)
	client, peer := FreePort(t), FreePort(t)
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

// FreePort returns a 127.0.0.1 address no one listened on a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}
