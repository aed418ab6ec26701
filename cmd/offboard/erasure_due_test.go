package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// TestDueErasures_ReadsOnlyCasesPastRetention: retention's hourly check
// reads the cases its closing index holds as past retention, so ten
// times the recent closed cases cost it nothing more; a file from before
// the index is walked and then, once built, read through it, with the
// same answer.
func TestDueErasures_ReadsOnlyCasesPastRetention(t *testing.T) {
	const retention = 365 * 24 * time.Hour
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var reads []uint64
	for _, n := range []int{100, 1000} {
		path := filepath.Join(t.TempDir(), "offboard.db")
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		roles := func(string) []offboard.Role { return []offboard.Role{offboard.RoleHR} }
		engine, err := flows.New(flows.Options{Store: db, Location: time.UTC, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		hr := offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com"}
		tpl, err := engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Employee: offboard.Employee{Name: "Template Person", Email: "template@example.com", ManagerEmail: "mona.manager@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		// Five closed 400 days ago, the rest a week ago.
		err = storetest.Write(ctx, db, storetest.History{Template: tpl.Case, Tasks: tpl.Tasks, N: n,
			First: now.AddDate(-2, 0, 0), Step: time.Minute, Shape: func(i int, c *offboard.Case) {
				closed := now.AddDate(0, 0, -7)
				if i < 5 {
					closed = now.AddDate(0, 0, -400)
				}
				c.ClosedAt = &closed
			}})
		if err != nil {
			t.Fatal(err)
		}
		before := db.ReadCursors()
		due, legacy, err := dueErasures(ctx, db, retention, now)
		if err != nil {
			t.Fatal(err)
		}
		reads = append(reads, db.ReadCursors()-before)
		if len(legacy) != 0 || fmt.Sprint(due) != "[OFF-0002 OFF-0003 OFF-0004 OFF-0005 OFF-0006]" {
			t.Fatalf("%d closed: due %v, legacy %v; want the five closed 400 days ago", n, due, legacy)
		}
		if n == 100 {
			continue
		}
		// As a file from before the index: walked, then built and read.
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := storetest.DropTimeIndexes(path); err != nil {
			t.Fatal(err)
		}
		if db, err = store.Open(path, store.Options{}); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		walked := db.ReadCursors()
		dueWalked, _, err := dueErasures(ctx, db, retention, now)
		walked = db.ReadCursors() - walked
		if err != nil || fmt.Sprint(dueWalked) != fmt.Sprint(due) || walked <= reads[1] {
			t.Fatalf("old file: due %v (%v) after %d descents; want %v after more than %d", dueWalked, err, walked, due, reads[1])
		}
		if _, built, err := db.BuildTimeIndexes(ctx); err != nil || !built {
			t.Fatalf("build = %v, %v", built, err)
		}
		again := db.ReadCursors()
		dueAgain, _, err := dueErasures(ctx, db, retention, now)
		if again = db.ReadCursors() - again; err != nil || fmt.Sprint(dueAgain) != fmt.Sprint(due) || again != reads[1] {
			t.Fatalf("after the build: due %v (%v) after %d descents; want %v after %d", dueAgain, err, again, due, reads[1])
		}
	}
	if reads[0] != reads[1] {
		t.Fatalf("the check made %d descents with 100 closed cases and %d with 1,000: it reads more than the cases past retention", reads[0], reads[1])
	}
}
