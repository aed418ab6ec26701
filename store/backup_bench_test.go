package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// BenchmarkDB_Backup_100k is a backup of a store with 100,000 historical
// cases (four tasks and two audit events each) while intake goes on: one
// command after another, each the store's part of opening a case (see
// benchApply) with its fsync. It reports how long the copy and its check
// take, and each command's p99 before the backup and while it runs.
// Run it alone: go test -run XXX -bench Backup_100k -benchtime 1x ./store/
func BenchmarkDB_Backup_100k(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	db.Bolt().NoSync = true // seeding only
	for first := uint64(1); first <= seedCases; first += seedBatch {
		err := db.Update(ctx, func(tx offboard.Tx) error {
			for n := first; n < first+seedBatch; n++ {
				if err := seedCase(tx, n); err != nil {
					return err
				}
				id := offboard.FormatCaseID(n)
				for _, action := range []string{"case.opened", "case.completed"} {
					e := &offboard.AuditEvent{Time: t0, Actor: offboard.System("runner"), Action: action, CaseID: id, Outcome: offboard.OutcomeOK}
					if err := tx.AppendAudit(e); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	db.Bolt().NoSync = false
	if err := db.Bolt().Sync(); err != nil {
		b.Fatal(err)
	}
	apply := func() (time.Duration, error) {
		start := time.Now()
		err := db.Update(ctx, func(tx offboard.Tx) error {
			id, err := tx.NextCaseID()
			if err != nil {
				return err
			}
			c := newCase(1, "new@example.com", offboard.CaseOpen)
			c.ID = id
			if err := tx.PutCase(c); err != nil {
				return err
			}
			e := &offboard.AuditEvent{Time: t0, Actor: offboard.System("hris:bamboohr"), Action: "case.opened", CaseID: id, Outcome: offboard.OutcomeOK}
			return tx.AppendAudit(e)
		})
		return time.Since(start), err
	}
	p99 := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)*99/100].Microseconds()) / 1000
	}
	b.ResetTimer()
	for range b.N {
		var idle []time.Duration
		for range 300 {
			d, err := apply()
			if err != nil {
				b.Fatal(err)
			}
			idle = append(idle, d)
		}
		dir := filepath.Join(b.TempDir(), "backups")
		var copied, checked atomic.Int64
		var size atomic.Int64
		done := make(chan error, 1)
		go func() {
			start := time.Now()
			path, n, err := db.WriteBackup(ctx, dir, time.Now())
			copied.Store(int64(time.Since(start)))
			size.Store(n)
			if err == nil {
				start = time.Now()
				var c store.BackupCheck
				c, err = store.CheckBackup(ctx, path)
				checked.Store(int64(time.Since(start)))
				if err == nil && c.Cases < seedCases {
					err = fmt.Errorf("backup holds %d cases", c.Cases)
				}
			}
			done <- err
		}()
		var during []time.Duration
	loop:
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				break loop
			default:
			}
			d, err := apply()
			if err != nil {
				b.Fatal(err)
			}
			during = append(during, d)
		}
		b.ReportMetric(time.Duration(copied.Load()).Seconds(), "copy-s")
		b.ReportMetric(time.Duration(checked.Load()).Seconds(), "check-s")
		b.ReportMetric(float64(size.Load())/(1<<20), "MB")
		b.ReportMetric(p99(idle), "p99-ms-idle")
		b.ReportMetric(p99(during), "p99-ms-during")
		b.ReportMetric(float64(len(during)), "commands-during")
	}
}
