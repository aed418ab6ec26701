package etcdstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/etcdstore/etcdtest"
)

var (
	benchIT      = offboard.Actor{Kind: offboard.ActorPerson, Email: "ivan.it@example.com", Platform: "test"}
	benchManager = offboard.Actor{Kind: offboard.ActorPerson, Email: "mona.manager@example.com", Platform: "test"}
)

func benchRoles(email string) []offboard.Role {
	switch email {
	case hrActor.Email:
		return []offboard.Role{offboard.RoleHR}
	case benchIT.Email:
		return []offboard.Role{offboard.RoleIT, offboard.RoleAdmin}
	}
	return nil
}

// BenchmarkCommandP99 is the latency of typical commands through the
// engine — open a case, approve its approval, mark a manual task done —
// on the bbolt file and on a three-member etcd cluster in this process
// (fsync on in both, every member on this machine's one disk), one
// command at a time. Reported: p50 and p99 in ms over all three, and
// each command's p99.
func BenchmarkCommandP99(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) {
		db, err := store.Open(filepath.Join(b.TempDir(), "offboard.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		benchCommands(b, db)
	})
	b.Run("etcd-3-members", func(b *testing.B) {
		c := etcdtest.StartClusterWith(b, 3, etcdtest.ClusterOptions{Fsync: true})
		b.Logf("cluster started in %s", c.StartupTime())
		benchCommands(b, clusterStore(b, c.Client(), fmt.Sprintf("bench-%d/", b.N)))
	})
}

func benchCommands(b *testing.B, s offboard.Store) {
	ctx := context.Background()
	eng := flowstest.New(b, flowstest.Options{Store: s, Roles: benchRoles, Location: time.UTC,
		Connectors: offboard.Connectors{oktaconn.Declaration()}})
	var all, opens, approves, dones []time.Duration
	timed := func(into *[]time.Duration, cmd offboard.Command) *offboard.Result {
		began := time.Now()
		r, err := eng.Apply(ctx, cmd)
		d := time.Since(began)
		if err != nil {
			b.Fatalf("%s: %v", cmd.Name(), err)
		}
		*into = append(*into, d)
		all = append(all, d)
		return r
	}
	b.ResetTimer()
	for i := range b.N {
		r := timed(&opens, offboard.OpenCase{By: hrActor, Kind: offboard.Voluntary, LastDay: "2027-03-31",
			Employee: offboard.Employee{Name: "Bench Person", Email: fmt.Sprintf("p%d@example.com", i), ManagerEmail: benchManager.Email}})
		var approval string
		for _, a := range r.Approvals {
			if a.Status == offboard.ApprovalPending {
				approval = a.ID
				break
			}
		}
		if approval == "" {
			b.Fatal("the case has no pending approval")
		}
		timed(&approves, offboard.DecideApproval{By: benchManager, ApprovalID: approval, Approve: true})
		var manual string
		for _, t := range r.Tasks {
			if t.Action == "manual" && t.Approval == "" && t.Track == "" && len(t.After) == 0 && !t.Status.Settled() {
				manual = t.Key
				break
			}
		}
		if manual == "" {
			b.Fatal("the case has no manual task")
		}
		timed(&dones, offboard.CompleteTask{By: benchIT, CaseID: r.Case.ID, TaskKey: manual})
	}
	b.StopTimer()
	ms := func(lat []time.Duration, p float64) float64 {
		lat = slices.Clone(lat)
		slices.Sort(lat)
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(all, 0.50), "p50-ms")
	b.ReportMetric(ms(all, 0.99), "p99-ms")
	b.ReportMetric(ms(opens, 0.99), "open-p99-ms")
	b.ReportMetric(ms(approves, 0.99), "approve-p99-ms")
	b.ReportMetric(ms(dones, 0.99), "done-p99-ms")
}
