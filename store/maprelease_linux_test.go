//go:build linux

package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// mappedResident is how much of path's memory map is resident in this
// process, from /proc/self/smaps.
func mappedResident(tb testing.TB, path string) int64 {
	tb.Helper()
	raw, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	inMap := false
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			inMap = len(f) == 6 && f[5] == path
		case inMap && len(f) == 3 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			total += kb << 10
		}
	}
	return total
}

// TestDB_View_ReleasesMappedPages: reads all over a file nine times the
// budget keep the map's resident pages near the budget, and what is
// read after a release is still right.
func TestDB_View_ReleasesMappedPages(t *testing.T) {
	path := tempPath(t)
	const budget = 1 << 20
	db, err := store.Open(path, store.Options{MapResidentBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 2000
	notes := strings.Repeat("n", 4000) // ~9 MB of cases
	update(t, db, func(tx offboard.Tx) error {
		if err := allocate(tx, n); err != nil {
			return err
		}
		for i := uint64(1); i <= n; i++ {
			c := newCase(i, fmt.Sprintf("p%d@example.com", i), offboard.CaseCompleted)
			c.Notes = notes
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	peak := int64(0)
	for i := range 1600 {
		id := offboard.FormatCaseID(uint64(i*7919%n + 1))
		err := db.View(ctx, func(tx offboard.Tx) error {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if c.ID != id || len(c.Notes) != len(notes) {
				return fmt.Errorf("read %s back as %s with %d bytes of notes", id, c.ID, len(c.Notes))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			db.WaitMapRelease()
			peak = max(peak, mappedResident(t, path))
		}
	}
	if db.MapReleases() == 0 {
		t.Fatal("the map's pages were never released")
	}
	// The budget, plus what the reads between two looks map.
	if peak > 3*budget {
		t.Fatalf("the map held %d KB resident at most, over the %d KB budget and its slack", peak>>10, budget>>10)
	}
}

// TestDB_View_NoBudgetNoRelease: a negative budget leaves the map alone.
func TestDB_View_NoBudgetNoRelease(t *testing.T) {
	db, err := store.Open(tempPath(t), store.Options{MapResidentBudget: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 100 {
		view(t, db, func(tx offboard.Tx) error { _, err := tx.LastCaseNumber(); return err })
	}
	if db.MapReleases() != 0 {
		t.Fatal("released the map without a budget")
	}
}
