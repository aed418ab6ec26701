package etcdstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/flows/runner"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

// testTTL is the session lease of the test replicas: short, yet long
// enough that a replica starved of CPU (tests run with -race on a busy
// machine) still confirms its lease in time and does not step down.
const testTTL = 3 * time.Second

// replica is one offboard process as the election sees it: its own etcd
// client, store and Leader.
type replica struct {
	name   string
	cli    *clientv3.Client
	store  *etcdstore.Store
	leader *etcdstore.Leader
	log    *slog.Logger
}

func newReplica(t *testing.T, endpoints []string, prefix, name string) *replica {
	t.Helper()
	// The client's own log would retell every call a killed replica makes.
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", name)
	s := newStore(t, cli, prefix)
	l := etcdstore.NewLeader(s, etcdstore.LeaderOptions{TTL: testTTL, Name: name, Logger: log})
	return &replica{name: name, cli: cli, store: s, leader: l, log: log}
}

// campaign runs the replica's election until the test ends.
func (r *replica) campaign(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.leader.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitUntil polls cond until it holds or d has passed.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// auditEvents reads the chain under prefix straight from etcd.
func auditEvents(t *testing.T, cli *clientv3.Client, prefix string) []offboard.AuditEvent {
	t.Helper()
	resp, err := cli.Get(context.Background(), prefix+"audit/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var out []offboard.AuditEvent
	for _, kv := range resp.Kvs {
		var ev offboard.AuditEvent
		if err := json.Unmarshal(kv.Value, &ev); err != nil {
			t.Fatalf("audit %q: %v", kv.Key, err)
		}
		out = append(out, ev)
	}
	return out
}

func hasEvent(evs []offboard.AuditEvent, action, target, detail string) bool {
	for _, ev := range evs {
		if ev.Action == action && (target == "" || ev.Target == target) && strings.Contains(ev.Detail, detail) {
			return true
		}
	}
	return false
}

// cutter forwards TCP to etcd until cut, when every connection through
// it drops: a replica's host gone or cut off, with no chance to revoke
// its lease on the way out.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
	t.Cleanup(c.cut)
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) cut() {
	_ = c.ln.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// TestLeader_Run_takeover: two replicas campaign, one leads; when the
// leader is cut off from etcd (its host gone), it stops leading before
// its lease ends, the other leads within the lease time, and never are
// both leading.
func TestLeader_Run_takeover(t *testing.T) {
	cli := startEtcd(t)
	link := newCutter(t, strings.TrimPrefix(cli.Endpoints()[0], "http://"))
	a := newReplica(t, []string{link.addr()}, "ha/", "a")
	a.campaign(t)
	waitUntil(t, 5*time.Second, "a leads", a.leader.Leading)
	b := newReplica(t, cli.Endpoints(), "ha/", "b")
	b.campaign(t)
	time.Sleep(testTTL) // b has campaigned, and must wait
	if b.leader.Leading() {
		t.Fatal("b leads while a does")
	}

	killed := time.Now()
	link.cut()
	waitUntil(t, testTTL+3*time.Second, "b leads", func() bool {
		if a.leader.Leading() && b.leader.Leading() {
			t.Error("both replicas lead")
		}
		return b.leader.Leading()
	})
	took := time.Since(killed)
	t.Logf("takeover time after the leader was cut off: %s (lease %s)", took.Round(time.Millisecond), testTTL)
	// etcd expires a lease at most one TTL after its last keep-alive,
	// checking every 500ms; the watch then hands the lead over.
	if took > testTTL+time.Second {
		t.Errorf("takeover took %s; want within the lease time %s (+1s)", took, testTTL)
	}
	waitUntil(t, 5*time.Second, "b's election is in the audit chain", func() bool {
		return hasEvent(auditEvents(t, cli, "ha/"), "leader.elected", "b", "replica b leads")
	})
}

// gatedAction is okta.suspend for the job test: each run counts, and the
// first two finish only when the test opens their gate, whatever their
// context says (a call in flight completes on the vendor's side).
type gatedAction struct {
	runs    atomic.Int32
	started chan int
	gates   [2]chan struct{}
}

func (g *gatedAction) action() connectors.Action {
	return connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		n := int(g.runs.Add(1))
		g.started <- n
		if n <= len(g.gates) {
			<-g.gates[n-1]
		}
		return connectors.Result{Verified: true, Summary: "suspended " + req.Target.Email}, nil
	})
}

// worker is a replica's engine and outbox runner.
type worker struct {
	engine flowstest.Engine
}

func startWorker(t *testing.T, r *replica, suspend connectors.Action) *worker {
	t.Helper()
	eng := flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: r.store})
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		t.Fatal(err)
	}
	var done connectors.Action = connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		return connectors.Result{Verified: true, Summary: req.Action + " done"}, nil
	})
	for _, id := range oktaconn.ActionIDs() {
		a := done
		if id == "okta.suspend" {
			a = suspend
		}
		if err := reg.Register(id, a); err != nil {
			t.Fatal(err)
		}
	}
	rn, err := runner.New(runner.Options{
		Jobs: r.store, Engine: eng, Actions: reg, Leadership: r.leader, Audit: r.store.AuditLog(nil),
		Poll: 50 * time.Millisecond, Logger: r.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = rn.Run(ctx, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return &worker{engine: eng}
}

// TestLeader_claims_comeBackOnce: the leader's lease ends while one of
// its actions is in flight (a pause longer than the lease, as a partition
// or a stalled host makes). The other replica takes over and runs the job
// once more; the first replica's late result is refused, as the engine
// records in the audit chain, and the new leader's result stands.
func TestLeader_claims_comeBackOnce(t *testing.T) {
	cli := startEtcd(t)
	suspend := &gatedAction{started: make(chan int, 4), gates: [2]chan struct{}{make(chan struct{}), make(chan struct{})}}
	a := newReplica(t, cli.Endpoints(), "jobs/", "a")
	b := newReplica(t, cli.Endpoints(), "jobs/", "b")
	wa := startWorker(t, a, suspend.action())
	wb := startWorker(t, b, suspend.action())
	a.campaign(t)
	waitUntil(t, 5*time.Second, "a leads", a.leader.Leading)
	b.campaign(t)
	// Released at the end, so no worker waits on a gate past the test.
	t.Cleanup(func() {
		for _, g := range suspend.gates {
			select {
			case <-g:
			default:
				close(g)
			}
		}
	})

	res, err := wa.engine.Apply(context.Background(), offboard.OpenCase{
		By:       offboard.System("test"),
		Employee: offboard.Employee{Name: "Jane Doe", Email: "jane@example.com", ManagerEmail: "boss@example.com"},
		Kind:     offboard.Involuntary, Source: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Case.ID
	if n := waitStarted(t, suspend.started); n != 1 {
		t.Fatalf("run %d started first", n)
	}
	if b.leader.Leading() {
		t.Fatal("b leads while a does")
	}

	// a's lease ends as if it had expired: a is alive but no longer
	// holds the lead nor its claims.
	ended := time.Now()
	if _, err := b.cli.Revoke(context.Background(), a.leader.SessionLease()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, testTTL+3*time.Second, "b leads", b.leader.Leading)
	t.Logf("takeover time after the leader's lease ended: %s", time.Since(ended).Round(time.Millisecond))
	if n := waitStarted(t, suspend.started); n != 2 {
		t.Fatalf("run %d started on b; want the second run", n)
	}
	if a.leader.Leading() {
		t.Error("a leads again while b does")
	}

	// a's call completes now: its result must not be recorded over b's claim.
	close(suspend.gates[0])
	waitUntil(t, 5*time.Second, "a's late result is refused and audited", func() bool {
		return hasEvent(auditEvents(t, cli, "jobs/"), "command.refused", "", "no longer holds the job")
	})
	suspendJob := func() *offboard.Job {
		var found *offboard.Job
		err := b.store.View(context.Background(), func(tx offboard.Tx) error {
			jobs, err := tx.JobsForCase(id)
			for _, j := range jobs {
				if j.Action == "okta.suspend" {
					found = j
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	if j := suspendJob(); j == nil || !j.Leased {
		t.Fatalf("after a's refused result the suspend job is %+v; want it still leased to b", j)
	}

	close(suspend.gates[1])
	waitUntil(t, 5*time.Second, "the suspension is done", func() bool {
		v, err := wb.engine.GetCase(context.Background(), offboard.System("test"), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range v.Tasks {
			if task.Action == "okta.suspend" {
				return task.Status == offboard.TaskDone
			}
		}
		return false
	})
	time.Sleep(500 * time.Millisecond) // time for a third run, which must not come
	if n := suspend.runs.Load(); n != 2 {
		t.Errorf("okta.suspend ran %d times; want 2 (a's, cut off, and b's once more)", n)
	}
	if j := suspendJob(); j != nil {
		t.Errorf("the suspend job is still queued: %+v", j)
	}
	evs := auditEvents(t, cli, "jobs/")
	if !hasEvent(evs, "leader.lost", "a", "lost the lead") || !hasEvent(evs, "leader.elected", "b", "") {
		t.Errorf("the leadership changes are not in the audit chain")
	}
	if v, err := b.store.VerifyAudit(context.Background()); err != nil || !v.OK {
		t.Errorf("VerifyAudit = %+v, %v", v, err)
	}
}

func waitStarted(t *testing.T, started <-chan int) int {
	t.Helper()
	select {
	case n := <-started:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no run of okta.suspend started within 10s")
		return 0
	}
}

// TestLeader_schedule_oneAtATime: two replicas' schedules share one
// election; a scheduled job runs only on the leader, and when the leader
// is cut off from etcd the other's runs start after its last one ended.
func TestLeader_schedule_oneAtATime(t *testing.T) {
	cli := startEtcd(t)
	var (
		mu      sync.Mutex
		running string
		runs    = map[string]int{}
	)
	probe := func(name string) func(ctx context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			if running != "" {
				t.Errorf("%s's scheduled job started while %s's runs", name, running)
			}
			running = name
			runs[name]++
			mu.Unlock()
			select { // work that takes a while, until the lead is lost
			case <-ctx.Done():
			case <-time.After(700 * time.Millisecond):
			}
			mu.Lock()
			running = ""
			mu.Unlock()
		}
	}
	ran := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return runs[name]
	}
	startSchedule := func(r *replica) {
		eng := flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: r.store})
		s, err := runner.NewSchedule(runner.ScheduleOptions{Engine: eng, Leadership: r.leader, Logger: r.log})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddFunc("@every 1s", "probe", probe(r.name)); err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Stop(ctx)
		})
	}
	link := newCutter(t, strings.TrimPrefix(cli.Endpoints()[0], "http://"))
	a := newReplica(t, []string{link.addr()}, "sched/", "a")
	b := newReplica(t, cli.Endpoints(), "sched/", "b")
	startSchedule(a)
	startSchedule(b)
	a.campaign(t)
	waitUntil(t, 5*time.Second, "a leads", a.leader.Leading)
	b.campaign(t)
	waitUntil(t, 5*time.Second, "a's job ran twice", func() bool { return ran("a") >= 2 })
	if ran("b") != 0 {
		t.Fatalf("b's job ran %d times while a led", ran("b"))
	}
	link.cut() // a's host is cut off from etcd: it must stop before b starts
	waitUntil(t, testTTL+5*time.Second, "b's job ran twice", func() bool { return ran("b") >= 2 })
}

// TestLeader_WatchQueue: a job queued through another replica's store
// wakes the watcher at once.
func TestLeader_WatchQueue(t *testing.T) {
	cli := startEtcd(t)
	a := newReplica(t, cli.Endpoints(), "watch/", "a")
	b := newReplica(t, cli.Endpoints(), "watch/", "b")
	woken := make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.leader.WatchQueue(ctx, func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(200 * time.Millisecond) // the watch is open
	select {
	case <-woken:
		t.Fatal("woken before any job was queued")
	default:
	}
	// A job queued before the watch was open is not its to see: queue
	// until one wakes it.
	for i := range 10 {
		putJobs(t, b.store, fmt.Sprintf("j%d", i))
		select {
		case <-woken:
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
	t.Fatal("jobs queued on b did not wake a's watcher")
}
