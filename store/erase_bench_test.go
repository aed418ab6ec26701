package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// BenchmarkDB_EraseCompact_10k erases one case of a store with 10,000
// historical cases (four tasks and two audit events each) and compacts
// the file, as serve's retention job does for each run that erased
// something. It reports the erasure's transaction, the compaction, and
// how long the compaction held other transactions back (only the swap,
// when no write overtook its copy).
// Run it alone: go test -run XXX -bench EraseCompact -benchtime 5x ./store/
func BenchmarkDB_EraseCompact_10k(b *testing.B) {
	const cases = 10_000
	ctx := context.Background()
	db := openDB(b)
	db.Bolt().NoSync = true // seeding only
	for first := uint64(1); first <= cases; first += 2_500 {
		err := db.Update(ctx, func(tx offboard.Tx) error {
			for n := first; n < first+2_500; n++ {
				if err := seedCase(tx, n); err != nil {
					return err
				}
				id := offboard.FormatCaseID(n)
				for _, action := range []string{"case.opened", "case.completed"} {
					e := &offboard.AuditEvent{Time: t0, Actor: offboard.System("runner"), Action: action, CaseID: id,
						Outcome: offboard.OutcomeOK, Detail: fmt.Sprintf("departure of user%05d@example.com", n%distinctMail)}
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
	var erase, compact, held time.Duration
	var before, after int64
	b.ResetTimer()
	for i := range b.N {
		id := offboard.FormatCaseID(uint64(100 + i))
		start := time.Now()
		err := db.Update(ctx, func(tx offboard.Tx) error {
			_, err := tx.ErasePersonal(id, t0)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		erase += time.Since(start)
		rep, err := db.Compact(ctx)
		if err != nil {
			b.Fatal(err)
		}
		compact += rep.Took
		held += rep.Held
		before, after = rep.SizeBefore, rep.SizeAfter
	}
	b.ReportMetric(float64(erase.Microseconds())/1000/float64(b.N), "erase-ms")
	b.ReportMetric(float64(compact.Microseconds())/1000/float64(b.N), "compact-ms")
	b.ReportMetric(float64(held.Microseconds())/1000/float64(b.N), "held-ms")
	b.ReportMetric(float64(before)/(1<<20), "MB-before")
	b.ReportMetric(float64(after)/(1<<20), "MB-after")
}
