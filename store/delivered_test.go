package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
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

// A case written before RoomRef had typed fields (its room's ids in one
// "messages" map) reads with every id in its typed field.
func TestDB_Case_legacyRoom(t *testing.T) {
	path := tempPath(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx offboard.Tx) error { return tx.PutCase(newCase(1, "jane@example.com", offboard.CaseOpen)) })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, path, func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte("cases"))
		var c map[string]any
		if err := json.Unmarshal(b.Get([]byte("OFF-0001")), &c); err != nil {
			return err
		}
		c["rooms"] = []any{map[string]any{"platform": "teams", "id": "19:t", "header_ref": "h1", "messages": map[string]string{
			"service_url": "https://smba.example/", "dept:it": "a1", "approval:OFF-0001-A1": "a2", "sent:OFF-0001/notice#3": "1"}}}
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put([]byte("OFF-0001"), raw)
	})
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c *offboard.Case
	view(t, db, func(tx offboard.Tx) error {
		var err error
		c, err = tx.Case("OFF-0001")
		return err
	})
	r, ok := c.Room("teams")
	if !ok || r.ID != "19:t" || r.HeaderRef != "h1" || r.ServiceURL != "https://smba.example/" ||
		r.DepartmentCards[offboard.DeptIT] != "a1" || r.ApprovalCards["OFF-0001-A1"] != "a2" {
		t.Fatalf("legacy room read as %+v", r)
	}
}
