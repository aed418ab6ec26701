package evidence_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// BenchmarkPack_1000Leavers: the pack of a period with 1,000 leavers
// among 2,000 cases with ten audit events each (the figure:
// under 30 s).
func BenchmarkPack_1000Leavers(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "b.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	at := day1
	tmpl := &offboard.Case{Kind: offboard.Voluntary, LastDay: "2026-11-30", TimeZone: "UTC", Source: "slack"}
	tasks := []*offboard.Task{{Key: "okta_suspend", Title: "Suspend Okta account", Action: "okta.suspend", Priority: offboard.PriorityRevocation,
		CompletedAt: &at, CompletedBy: "runner", Evidence: map[string]string{"status_after": "SUSPENDED", "okta_request_id": "req-1"}}}
	h := storetest.History{Template: tmpl, Tasks: tasks, N: 2000, First: day1, Step: 10 * time.Minute}
	if err := storetest.Write(context.Background(), db, h); err != nil {
		b.Fatal(err)
	}
	// Ten events a case, as a real case records (opened, started, done, …).
	for first := 1; first <= h.N; first += 500 {
		err := db.Update(context.Background(), func(tx offboard.Tx) error {
			for n := first; n < first+500 && n <= h.N; n++ {
				for i := range 10 {
					e := &offboard.AuditEvent{Time: day1, Actor: offboard.System("runner"), Action: "task.done", CaseID: offboard.FormatCaseID(uint64(n)),
						Target: "okta_suspend", Outcome: offboard.OutcomeOK, Detail: "step", Evidence: map[string]string{"i": string(rune('a' + i))}}
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
	o := evidence.Options{From: day1, To: day1.Add(1000 * 10 * time.Minute), Now: day1.Add(60 * 24 * time.Hour)}
	b.ResetTimer()
	for range b.N {
		p, err := evidence.Build(context.Background(), db, o)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Records) != 1000 {
			b.Fatalf("%d leavers, want 1000", len(p.Records))
		}
		if err := p.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
