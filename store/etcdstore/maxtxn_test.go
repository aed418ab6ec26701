package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
	jamfconn "github.com/offboard-dev/offboard/connectors/jamf"
	msconn "github.com/offboard-dev/offboard/connectors/microsoft"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store/etcdstore"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

// everySystem is the largest default playbook: every connector offboard
// ships, so every department gets its tasks.
var everySystem = offboard.Connectors{oktaconn.Declaration(), msconn.Declaration(), msconn.IntuneDeclaration(),
	googleconn.Declaration(), jamfconn.Declaration()}

var (
	adminActor = offboard.Actor{Kind: offboard.ActorPerson, Email: "ada.admin@example.com", Platform: "test"}
	scheduler  = offboard.System("scheduler")
)

func everyRole(email string) []offboard.Role {
	switch email {
	case hrActor.Email:
		return []offboard.Role{offboard.RoleHR}
	case adminActor.Email:
		return []offboard.Role{offboard.RoleAdmin}
	}
	return nil
}

// bigEngine is the engine with every system, a clock the test moves and
// a retention so that erasure can run.
func bigEngine(t testing.TB, s offboard.Store, clock *testclock.Clock) flowstest.Engine {
	return flowstest.New(t, flowstest.Options{Store: s, Clock: clock, Roles: everyRole, Location: time.UTC,
		Connectors: everySystem, Retention: 24 * time.Hour, TickBatch: etcdstore.TickBatch})
}

// layoffSize is a batch delivered at once with one last day: its cases'
// revocations all fall due in the same Tick.
const layoffSize = 50

// TestStore_largestCommands runs the biggest commands a default playbook
// produces — opening a case with every system, a layoff's cases coming
// due in one Tick, cancelling, erasing — on members with the
// --max-txn-ops production needs (etcdtest.MaxTxnOps), and
// reports how many operations each needed.
func TestStore_largestCommands(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) // a Monday

	s := clusterStore(t, c.Client(), "big/")
	eng := bigEngine(t, s, clock)
	// ops returns the largest commit of one command on a fresh Store
	// handle over the same keys, so each figure is that command's own.
	ops := func(name string, cmd offboard.Command) *offboard.Result {
		t.Helper()
		cli := c.Client()
		largest := countOps(cli)
		r, err := bigEngine(t, clusterStore(t, cli, "big/"), clock).Apply(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := int(largest.Load())
		t.Logf("%-40s %4d operations in one transaction", name, n)
		if n > etcdtest.MaxTxnOps {
			t.Errorf("%s needed %d operations, more than %d", name, n, etcdtest.MaxTxnOps)
		}
		if _, tick := cmd.(offboard.Tick); !tick && n < 10 {
			t.Errorf("%s: %d operations measured; the measure is broken", name, n)
		}
		return r
	}

	open := ops("open an involuntary case, every system", openFor("jane.doe@example.com"))
	tasks := len(open.Tasks)
	t.Logf("the case has %d tasks", tasks)
	lastDay := clock.Now().AddDate(0, 0, 3).Format("2006-01-02")
	for i := range layoffSize {
		cmd := openFor(fmt.Sprintf("laid-off-%02d@example.com", i))
		cmd.Kind, cmd.LastDay, cmd.Batch = offboard.Voluntary, lastDay, "layoff-1"
		if _, err := eng.Apply(ctx, cmd); err != nil {
			t.Fatalf("layoff case %d: %v", i, err)
		}
	}
	clock.Advance(4 * 24 * time.Hour)
	// At bbolt's batch (500 due tasks) the T-0 tick is one transaction
	// too large for any member: refused whole, saying what to raise.
	atDefault := flowstest.New(t, flowstest.Options{Store: s, Clock: clock, Roles: everyRole, Location: time.UTC, Connectors: everySystem})
	before := verifyChain(t, s)
	if _, err := atDefault.Apply(ctx, offboard.Tick{By: scheduler}); !errors.Is(err, etcdstore.ErrTooManyOps) {
		t.Errorf("a T-0 tick at the default batch: %v; want it refused as too large", err)
	} else {
		t.Logf("at the default batch: %v", err)
	}
	if after := verifyChain(t, s); after.Events != before.Events {
		t.Errorf("the refused tick wrote %d audit events", after.Events-before.Events)
	}
	// The layoff's T-0: ticks until none says there is more, as the
	// scheduler does, each one transaction that must fit.
	queued := 0
	for i := 1; ; i++ {
		tick := ops(fmt.Sprintf("tick %d of a %d-person layoff's T-0", i, layoffSize), offboard.Tick{By: scheduler})
		queued += tick.Advanced
		if i == 1 && tick.Advanced == 0 {
			t.Fatal("the first tick of T-0 queued nothing")
		}
		if !tick.More {
			break
		}
		if i > layoffSize {
			t.Fatalf("still more after %d ticks", i)
		}
	}
	var ready []*offboard.Job
	if err := s.View(ctx, func(tx offboard.Tx) error {
		var err error
		ready, err = tx.ReadyJobs(clock.Now(), 100_000, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	revocations := map[offboard.CaseID]int{}
	for _, j := range ready {
		if j.Priority == offboard.PriorityRevocation {
			revocations[j.CaseID]++
		}
	}
	// Every laid-off person's revocations are queued (and Jane's,
	// involuntary, since she was opened).
	if len(revocations) != layoffSize+1 || queued == 0 {
		t.Errorf("after the ticks, %d cases have revocation jobs queued (%d jobs queued by ticks); want %d",
			len(revocations), queued, layoffSize+1)
	}
	ops("cancel the involuntary case", offboard.CancelCase{By: hrActor, CaseID: open.Case.ID, Reason: "rehired"})
	clock.Advance(48 * time.Hour)
	ops("erase its personal data", offboard.EraseCase{By: adminActor, CaseID: open.Case.ID, Reason: "retention passed"})
	verifyChain(t, s)
}

// countOps makes cli note the most operations one of its transactions
// carried, as the server counts them against --max-txn-ops.
func countOps(cli *clientv3.Client) *atomic.Int64 {
	largest := new(atomic.Int64)
	cli.KV = countingKV{KV: cli.KV, largest: largest}
	return largest
}

type countingKV struct {
	clientv3.KV
	largest *atomic.Int64
}

func (k countingKV) Txn(ctx context.Context) clientv3.Txn {
	return countingTxn{Txn: k.KV.Txn(ctx), largest: k.largest}
}

type countingTxn struct {
	clientv3.Txn
	largest *atomic.Int64
}

func (t countingTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.Txn = t.Txn.If(cs...)
	return t
}

func (t countingTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	for n := int64(len(ops)); ; {
		old := t.largest.Load()
		if n <= old || t.largest.CompareAndSwap(old, n) {
			break
		}
	}
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t countingTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.Txn = t.Txn.Else(ops...)
	return t
}

// TestStore_Update_tooManyOps: a member at etcd's default --max-txn-ops
// (128) cannot take a case with every system; the error says which limit
// to raise, whether the store knows the limit or the server refuses.
func TestStore_Update_tooManyOps(t *testing.T) {
	c := etcdtest.StartClusterWith(t, 1, etcdtest.ClusterOptions{MaxTxnOps: etcdstore.DefaultMaxTxnOps})
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name  string
		limit int
	}{
		{"the store knows the server's limit", 0},
		{"the store was told a higher limit", etcdtest.MaxTxnOps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("small-%d/", tc.limit)
			s, err := etcdstore.New(ctx, c.Client(), etcdstore.Options{Prefix: prefix, MaxTxnOps: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			_, err = bigEngine(t, s, clock).Apply(ctx, openFor("jane.doe@example.com"))
			if err == nil {
				t.Fatal("a case with every system committed on a member at --max-txn-ops 128")
			}
			if !errors.Is(err, etcdstore.ErrTooManyOps) || !strings.Contains(err.Error(), "--max-txn-ops") ||
				!strings.Contains(err.Error(), "raise") {
				t.Errorf("error %q does not say to raise --max-txn-ops", err)
			}
			if ids := casesOf(t, s, "jane.doe@example.com"); len(ids) != 0 {
				t.Errorf("the refused command left cases %v", ids)
			}
			if res := verifyChain(t, s); res.Events != 0 {
				t.Errorf("the refused command left %d audit events", res.Events)
			}
		})
	}
}
