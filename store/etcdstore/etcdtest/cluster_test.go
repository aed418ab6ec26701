package etcdtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// TestStartCluster: three members start, elect a leader, serve writes
// through each of them; a stopped member misses writes and catches up
// when restarted.
func TestStartCluster(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	t.Logf("started in %s", c.StartupTime())
	if c.Leader() < 0 {
		t.Fatal("no leader after start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range c.Size() {
		if _, err := c.Client(i).Put(ctx, "k", string(rune('a'+i))); err != nil {
			t.Fatalf("put through member %d: %v", i, err)
		}
	}
	c.Stop(1)
	if _, err := c.Client(0).Put(ctx, "k", "while-1-was-down"); err != nil {
		t.Fatalf("put with one member down: %v", err)
	}
	began := time.Now()
	c.Restart(1)
	t.Logf("restarted in %s", time.Since(began))
	resp, err := c.Client(1).Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "while-1-was-down" {
		t.Errorf("member 1 after restart reads %v", resp.Kvs)
	}
	if len(c.Endpoints()) != 3 || c.Endpoints()[1] != c.Endpoint(1) {
		t.Errorf("endpoints %v", c.Endpoints())
	}
}
