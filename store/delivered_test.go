package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestDB_MarkDelivered(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if ok, err := db.Delivered(ctx, "slack", "OFF-0001/notice#1"); err != nil || ok {
		t.Fatalf("before any marker (no bucket yet): %v %v", ok, err)
	}
	if err := db.MarkDelivered(ctx, "slack", "OFF-0001/notice#1", "OFF-0001", t0); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.Delivered(ctx, "slack", "OFF-0001/notice#1"); err != nil || !ok {
		t.Fatalf("slack's marker: %v %v", ok, err)
	}
	// Markers are per platform: Teams has not delivered it.
	if ok, _ := db.Delivered(ctx, "teams", "OFF-0001/notice#1"); ok {
		t.Fatal("teams reads slack's marker")
	}
	if err := db.MarkDelivered(ctx, "", "x", "OFF-0001", t0); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Fatalf("a marker without a platform: %v", err)
	}
}

// A marker older than DeliveredRetention is dropped by a later marker;
// a young one stays.
func TestDB_MarkDelivered_prunes(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.MarkDelivered(ctx, "slack", "old", "OFF-0001", t0))
	must(db.MarkDelivered(ctx, "teams", "young", "OFF-0002", t0.Add(20*24*time.Hour)))
	later := t0.Add(offboard.DeliveredRetention + time.Hour)
	must(db.MarkDelivered(ctx, "slack", "new", "OFF-0003", later))
	for id, want := range map[string]bool{"old": false, "new": true} {
		if ok, err := db.Delivered(ctx, "slack", id); err != nil || ok != want {
			t.Errorf("slack %s: delivered %v (%v), want %v", id, ok, err, want)
		}
	}
	if ok, _ := db.Delivered(ctx, "teams", "young"); !ok {
		t.Error("a marker younger than the retention was dropped")
	}
}
