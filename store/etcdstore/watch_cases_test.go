package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// A case changed through one replica's store is told to a watch on
// another's (same prefix), and nothing of another prefix is.
func TestStore_WatchCases(t *testing.T) {
	cli := startEtcd(t)
	writer := newStore(t, cli, "offboard/")
	watcher := newStore(t, cli, "offboard/")
	other := newStore(t, cli, "other/")

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan offboard.CaseID, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watcher.WatchCases(ctx, func(id offboard.CaseID) { got <- id })
	}()
	// The watch starts asynchronously: append until it tells.
	appendFor := func(s interface {
		AuditLog(*offboard.Redactor) offboard.AuditLog
	}, id offboard.CaseID) {
		ev := offboard.AuditEvent{Time: time.Now(), Actor: offboard.System("test"), Action: "case.opened", CaseID: id, Outcome: offboard.OutcomeOK}
		if err := s.AuditLog(nil).Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	appendFor(other, "OFF-0009")
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		appendFor(writer, "OFF-0001")
		select {
		case id := <-got:
			if id != "OFF-0001" {
				t.Fatalf("the watch told %q, want OFF-0001 (another prefix's case must not show)", id)
			}
			seen = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("a case changed through another store was never told")
		}
	}
	appendFor(other, "OFF-0009")
	appendFor(writer, "OFF-0002")
	for {
		select {
		case id := <-got:
			if id == "OFF-0009" {
				t.Fatal("a case of another prefix was told")
			}
			if id != "OFF-0002" {
				continue // more of the OFF-0001 appends above
			}
		case <-deadline:
			t.Fatal("the second case was never told")
		}
		break
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WatchCases did not return after its context ended")
	}
}
