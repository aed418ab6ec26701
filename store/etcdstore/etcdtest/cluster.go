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

// ClusterOptions tune StartClusterWith; the zero value is StartCluster's.
type ClusterOptions struct {
	// MaxTxnOps is each member's --max-txn-ops; 0 means MaxTxnOps.
	MaxTxnOps uint
	// Fsync keeps etcd's fsyncs. Tests leave them off (a test's data dir
	// dies with it, and fsyncs on a shared machine cost seconds);
	// benchmarks that compare commit latency with bbolt turn them on.
	Fsync bool
}

// Cluster is an in-process etcd cluster on 127.0.0.1: each member has
// its own ports and data directory, and can be stopped and restarted on
// the same ones, as a host failure and its recovery would.
type Cluster struct {
	t       testing.TB
	opts    ClusterOptions
	mu      sync.Mutex
	members []*clusterMember
	startup time.Duration
}

type clusterMember struct {
	name       string
	dir        string
	client     url.URL
	peer       url.URL
	etcd       *embed.Etcd // nil while stopped
	everJoined bool
}

// StartCluster starts an n-member cluster with MaxTxnOps and
// returns once it has a leader. It is closed when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartClusterWith(t, n, ClusterOptions{})
}

// StartClusterWith is StartCluster with options.
func StartClusterWith(t testing.TB, n int, opts ClusterOptions) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest: a cluster needs a member, not %d", n)
	}
	if opts.MaxTxnOps == 0 {
		opts.MaxTxnOps = MaxTxnOps
	}
	began := time.Now()
	var err error
	// A free port found here may be taken before etcd binds it: start
	// again on new ports.
	for try := 0; try < 3; try++ {
		c := &Cluster{t: t, opts: opts}
		if err = c.start(n); err == nil {
			c.startup = time.Since(began)
			t.Cleanup(c.close)
			return c
		}
		c.close()
	}
	t.Fatalf("etcdtest: start a %d-member cluster: %v", n, err)
	return nil
}

func (c *Cluster) start(n int) error {
	c.members = make([]*clusterMember, n)
	for i := range c.members {
		client, err := loopbackURL()
		if err != nil {
			return err
		}
		peer, err := loopbackURL()
		if err != nil {
			return err
		}
		c.members[i] = &clusterMember{name: fmt.Sprintf("m%d", i), dir: c.t.TempDir(), client: client, peer: peer}
	}
	// Every member must be started before any can elect a leader.
	for i := range c.members {
		if err := c.launch(i); err != nil {
			return err
		}
	}
	for i := range c.members {
		if err := c.waitReady(i); err != nil {
			return err
		}
	}
	return nil
}

// launch starts member i without waiting for it to be ready.
func (c *Cluster) launch(i int) error {
	m := c.members[i]
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.LogLevel = "panic" // shutdowns log errors about closed listeners
	cfg.MaxTxnOps = c.opts.MaxTxnOps
	cfg.UnsafeNoFsync = !c.opts.Fsync
	// Shorter than the 100 ms / 1 s defaults so a lost leader is replaced
	// quickly, long enough that a busy 2-core machine does not see
	// heartbeats missed and elections flap.
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.client}, []url.URL{m.client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peer}, []url.URL{m.peer}
	cfg.InitialCluster = c.initialCluster()
	cfg.InitialClusterToken = "offboard-test"
	cfg.ClusterState = embed.ClusterStateFlagNew
	if m.everJoined {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("member %s: %w", m.name, err)
	}
	m.etcd, m.everJoined = e, true
	return nil
}

func (c *Cluster) waitReady(i int) error {
	m := c.members[i]
	select {
	case <-m.etcd.Server.ReadyNotify():
		return nil
	case err := <-m.etcd.Err():
		return fmt.Errorf("member %s: %w", m.name, err)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("member %s was not ready within 30s", m.name)
	}
}

func (c *Cluster) initialCluster() string {
	s := ""
	for i, m := range c.members {
		if i > 0 {
			s += ","
		}
		s += m.name + "=" + m.peer.String()
	}
	return s
}

// StartupTime is how long StartCluster took, retries included.
func (c *Cluster) StartupTime() time.Duration { return c.startup }

// Size is the number of members, running or stopped.
func (c *Cluster) Size() int { return len(c.members) }

// Endpoint is member i's client address (host:port).
func (c *Cluster) Endpoint(i int) string { return c.members[i].client.Host }

// Endpoints are every member's client addresses, stopped ones included,
// as a deployment's configuration would list them.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i := range c.members {
		out[i] = c.Endpoint(i)
	}
	return out
}

// Client returns a client of the given members (every member when none
// is named), closed when the test ends.
func (c *Cluster) Client(members ...int) *clientv3.Client {
	c.t.Helper()
	eps := c.Endpoints()
	if len(members) > 0 {
		eps = eps[:0]
		for _, i := range members {
			eps = append(eps, c.Endpoint(i))
		}
	}
	// A quiet client: its retries while members are down are the test's
	// point, not news.
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.t.Fatalf("etcdtest: client of %v: %v", eps, err)
	}
	c.t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Stop shuts member i down, keeping its data directory and ports for
// Restart.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.etcd == nil {
		c.t.Fatalf("etcdtest: member %s is already stopped", m.name)
	}
	m.etcd.Close()
	m.etcd = nil
}

// Restart starts a stopped member i again on its data and ports and
// waits until it has rejoined (which needs a quorum of members up).
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.etcd != nil {
		c.t.Fatalf("etcdtest: member %s is running", m.name)
	}
	var err error
	// The closed listeners' ports can take a moment to be free again.
	for try := 0; try < 20; try++ {
		if err = c.launch(i); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("etcdtest: restart member %s: %v", m.name, err)
	}
	if err := c.waitReady(i); err != nil {
		c.t.Fatalf("etcdtest: restart: %v", err)
	}
}

// Leader is the index of the member that leads, or -1 when none of the
// running members knows one.
func (c *Cluster) Leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.etcd == nil {
			continue
		}
		lead := m.etcd.Server.Leader()
		for j, o := range c.members {
			if o.etcd != nil && uint64(o.etcd.Server.MemberID()) == uint64(lead) && lead != 0 {
				return j
			}
		}
	}
	return -1
}

// close stops every running member. (One at a time: stopped at once,
// members wait out each other's request timeouts, seconds longer.)
func (c *Cluster) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m != nil && m.etcd != nil {
			m.etcd.Close()
			m.etcd = nil
		}
	}
}

// loopbackURL is http:// on a port of 127.0.0.1 free right now.
func loopbackURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}
