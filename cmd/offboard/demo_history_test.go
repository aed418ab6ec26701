package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
)

// The demo's past year: 120 closed cases with varied times to
// revocation, all in the past, an audit chain that verifies, written
// once and only into an empty demo store.
func TestSeedDemoHistory(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := seedDemoHistory(ctx, &config.Config{}, db, now, log); err != nil {
		t.Fatal(err)
	}
	if n := lastCase(t, db); n != 0 {
		t.Fatalf("outside demo mode %d cases were written", n)
	}
	if err := seedDemoHistory(ctx, &config.Config{Demo: true}, db, now, log); err != nil {
		t.Fatal(err)
	}
	if n := lastCase(t, db); n != demoHistoryCases {
		t.Fatalf("the demo wrote %d cases, want %d", n, demoHistoryCases)
	}
	var cases []*offboard.Case
	err = db.View(ctx, func(tx offboard.Tx) error {
		for _, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
			ids, err := tx.CaseIDsByStatus(st)
			if err != nil {
				return err
			}
			for _, id := range ids {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				cases = append(cases, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st := offboard.Tally(cases)
	if st.Open != 0 || st.Completed < 100 || st.Cancelled == 0 {
		t.Errorf("open %d, completed %d, cancelled %d; want none open, most completed, a few cancelled", st.Open, st.Completed, st.Cancelled)
	}
	p50, _ := st.TimeToRevocation(50)
	p95, _ := st.TimeToRevocation(95)
	if p50 <= 0 || p95 <= p50 {
		t.Errorf("time to revocation p50 %v, p95 %v: want varied timings", p50, p95)
	}
	fast, slow := 0, 0
	for _, c := range cases {
		if c.Source != demoHistorySource {
			t.Errorf("%s has source %q, want %q", c.ID, c.Source, demoHistorySource)
		}
		if c.ClosedAt == nil || c.ClosedAt.After(now) || c.CreatedAt.Before(now.AddDate(-1, 0, -40)) {
			t.Errorf("%s: created %v closed %v, want within the past year", c.ID, c.CreatedAt, c.ClosedAt)
		}
		if d, ok := c.TimeToRevocation(); ok {
			if c.RevokedAt.After(now) {
				t.Errorf("%s revoked in the future: %v", c.ID, c.RevokedAt)
			}
			if d < time.Hour {
				fast++
			} else if d > 24*time.Hour {
				slow++
			}
		}
	}
	if fast < 10 || slow < 10 {
		t.Errorf("%d revoked within an hour, %d after a day: want both kinds", fast, slow)
	}
	res, err := db.VerifyAudit(ctx)
	if err != nil || !res.OK || res.Events < 3*demoHistoryCases-20 {
		t.Fatalf("audit chain after the seed: %+v %v", res, err)
	}
	// A restart writes nothing more.
	if err := seedDemoHistory(ctx, &config.Config{Demo: true}, db, now.Add(time.Hour), log); err != nil {
		t.Fatal(err)
	}
	if n := lastCase(t, db); n != demoHistoryCases {
		t.Fatalf("a second start wrote more cases: %d", n)
	}
}

func lastCase(t *testing.T, db *store.DB) uint64 {
	t.Helper()
	var n uint64
	err := db.View(context.Background(), func(tx offboard.Tx) (err error) {
		n, err = tx.LastCaseNumber()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
