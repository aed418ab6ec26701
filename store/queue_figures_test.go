package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestDB_QueueFigures(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := t0.Add(time.Hour)
	f, err := db.QueueFigures(ctx, now)
	if err != nil || f.Queued != 0 || f.Leased != 0 || f.Dead != 0 || f.OldestDue != 0 {
		t.Fatalf("empty store: %+v, %v", f, err)
	}
	// A chat job due 50 minutes ago waited longest even though a
	// revocation (served first) is due too; a job due later waits for
	// nothing yet.
	rev := newJob("OFF-0001/a#1", offboard.PriorityRevocation, t0.Add(50*time.Minute))
	chat := newJob("OFF-0001/notice#1", offboard.PriorityChat, t0.Add(10*time.Minute))
	later := newJob("OFF-0001/b#1", offboard.PriorityRevocation, now.Add(24*time.Hour))
	claimed := newJob("OFF-0001/c#1", offboard.PriorityDevice, t0)
	putJobs(t, db, rev, chat, later, claimed)
	if _, err := db.ClaimJobs(ctx, t0, 1, nil); err != nil { // claims claimed: the only one due at t0
		t.Fatal(err)
	}
	f, err = db.QueueFigures(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := 50 * time.Minute
	if f.Queued != 3 || f.Leased != 1 || f.Dead != 0 || f.OldestDue != want {
		t.Errorf("figures = %+v, want 3 queued, 1 leased, oldest due %s", f, want)
	}
	// Nothing due yet: no wait.
	if f, _ := db.QueueFigures(ctx, t0); f.OldestDue != 0 {
		t.Errorf("before anything is due, oldest due = %s", f.OldestDue)
	}
}
