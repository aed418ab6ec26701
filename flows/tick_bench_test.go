package flows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// BenchmarkEngine_Tick is a scheduled Tick with many open cases (1,000
// and 10,000, copies of a real voluntary case with its pending tasks and
// approvals) and nothing due. Budget: p99 < 50 ms, and no write
// transaction (wrote-txs reports the commits the measured ticks made).
// build-wakes-ms is the first tick, which computes every open case's wake
// time as for a store written before the wake index; due-batch-ms a tick
// when every case's reminder is due (one batch of TickBatch cases).
func BenchmarkEngine_Tick(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			h := escalationHarness(b, nil)
			seedOpen(h, n)
			t0 := time.Now()
			h.tick()
			build := time.Since(t0)
			h.clock.Advance(time.Minute)
			h.tick()
			before := h.txid()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				h.tick()
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportPercentiles(b, lat)
			b.ReportMetric(float64(h.txid()-before), "wrote-txs")
			if wrote := h.txid() - before; wrote != 0 {
				b.Errorf("%d write transactions by ticks with nothing due (budget: none)", wrote)
			}
			b.ReportMetric(float64(build.Milliseconds()), "build-wakes-ms")
			// Every reminder comes due at once: one full batch.
			h.clock.Advance(24 * time.Hour)
			t0 = time.Now()
			h.tick()
			b.ReportMetric(float64(time.Since(t0).Milliseconds()), "due-batch-ms")
		})
	}
}

// seedOpen writes n open cases straight through the store, each a copy
// of one opened through the engine with its tasks and approvals, in
// batches: n commands would take minutes.
func seedOpen(h *harness, n int) {
	h.t.Helper()
	tpl := h.open(offboard.Voluntary, "2026-12-31")
	var tasks []*offboard.Task
	var apps []*offboard.Approval
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		if tasks, err = tx.Tasks(tpl.ID); err != nil {
			return err
		}
		apps, err = tx.Approvals(tpl.ID)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	const batch = 1000
	for from := 1; from < n; from += batch {
		err := h.db.Update(h.ctx, func(tx offboard.Tx) error {
			for i := from; i < min(from+batch, n); i++ {
				id, err := tx.NextCaseID()
				if err != nil {
					return err
				}
				c := *tpl
				c.ID = id
				c.Employee.Name, c.Employee.Email = fmt.Sprintf("Open %d", i), fmt.Sprintf("open%d@example.com", i)
				if err := tx.PutCase(&c); err != nil {
					return err
				}
				for _, t := range tasks {
					tc := *t
					tc.CaseID = id
					if err := tx.PutTask(&tc); err != nil {
						return err
					}
				}
				for _, a := range apps {
					ac := *a
					if ac.ID, err = tx.NextApprovalID(id); err != nil {
						return err
					}
					ac.CaseID = id
					if err := tx.PutApproval(&ac); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			h.t.Fatal(err)
		}
	}
}
