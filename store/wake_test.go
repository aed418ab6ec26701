package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// TestTx_SetWake: wake times order the due cases, a change moves a
// case's entry, zero removes it, and writing the time already stored is
// allowed in a read transaction because it writes nothing.
func TestTx_SetWake(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	due := func(now time.Time) []offboard.CaseID {
		t.Helper()
		var ids []offboard.CaseID
		if err := db.View(ctx, func(tx offboard.Tx) error {
			var err error
			ids, err = tx.DueWakes(now, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := due(t0.Add(1000 * time.Hour)); len(got) != 0 {
		t.Fatalf("a new store has due wakes %v", got)
	}
	err := db.Update(ctx, func(tx offboard.Tx) error {
		for i, id := range []offboard.CaseID{"OFF-0001", "OFF-0002", "OFF-0003"} {
			if err := tx.SetWake(id, t0.Add(time.Duration(3-i)*time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(2 * time.Hour)); !slices.Equal(got, []offboard.CaseID{"OFF-0003", "OFF-0002"}) {
		t.Fatalf("due at +2h = %v, want OFF-0003, OFF-0002", got)
	}
	before, err := db.TxID()
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx offboard.Tx) error {
		if err := tx.SetWake("OFF-0001", t0.Add(3*time.Hour)); err != nil {
			t.Errorf("setting the stored time in a view: %v", err)
		}
		if err := tx.SetWake("OFF-0001", t0); err == nil {
			t.Error("a new time was accepted in a view")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := db.TxID(); after != before {
		t.Fatalf("txid moved from %d to %d in a view", before, after)
	}
	err = db.Update(ctx, func(tx offboard.Tx) error {
		if err := tx.SetWake("OFF-0003", t0.Add(10*time.Hour)); err != nil {
			return err
		}
		return tx.SetWake("OFF-0002", time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(5 * time.Hour)); !slices.Equal(got, []offboard.CaseID{"OFF-0001"}) {
		t.Fatalf("due at +5h = %v, want OFF-0001 alone", got)
	}
	err = db.View(ctx, func(tx offboard.Tx) error {
		if w, err := tx.Wake("OFF-0002"); err != nil || !w.IsZero() {
			t.Errorf("cleared wake = %s, %v", w, err)
		}
		if w, err := tx.Wake("OFF-0003"); err != nil || !w.Equal(t0.Add(10*time.Hour)) {
			t.Errorf("moved wake = %s, %v", w, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDB_VerifyIndexes_Wakes: a store with wake times passes the full
// check of audit verify, and a wake left on a closed case is reported.
func TestDB_VerifyIndexes_Wakes(t *testing.T) {
	path := tempPath(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	update(t, db, func(tx offboard.Tx) error {
		id, err := tx.NextCaseID()
		if err != nil {
			return err
		}
		if err := tx.PutCase(newCase(1, "a@example.com", offboard.CaseOpen)); err != nil {
			return err
		}
		return tx.SetWake(id, at)
	})
	if probs, err := db.VerifyIndexes(ctx); err != nil || len(probs) != 0 {
		t.Fatalf("verify = %v, %v", probs, err)
	}
	update(t, db, func(tx offboard.Tx) error {
		return tx.PutCase(newCase(1, "a@example.com", offboard.CaseCompleted))
	})
	probs, err := db.VerifyIndexes(ctx)
	if err != nil || len(probs) != 1 || probs[0].Index != "wake_by_case" || !strings.Contains(probs[0].Problem, "closed") {
		t.Fatalf("verify with a closed case's wake = %v, %v", probs, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := store.Open(path, store.Options{ReadOnly: true, CheckContents: true})
	if err != nil {
		t.Fatalf("the full check refuses a store with wake buckets: %v", err)
	}
	_ = ro.Close()
}
