package flows_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// writeHistory stores n closed cases copied from a real one, revoked one
// every hour up to an hour before now, so the last day holds 23 of them.
func writeHistory(t *testing.T, h *harness, n int) {
	t.Helper()
	tpl := h.open(offboard.Voluntary, "2026-12-31")
	tasks := h.view(tpl.ID)
	now := h.clock.Now()
	err := storetest.Write(h.ctx, h.db, storetest.History{Template: tpl, Tasks: tasks, N: n,
		First: now.Add(-time.Duration(n) * time.Hour), Step: time.Hour,
		Shape: func(i int, c *offboard.Case) {
			at := now.Add(-time.Duration(n-i) * time.Hour)
			c.RevokedAt, c.ClosedAt = &at, &at
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// digestCursors builds the digest and returns it with the B-tree
// descents its read made.
func digestCursors(t *testing.T, h *harness) (offboard.Digest, uint64) {
	t.Helper()
	before := h.db.ReadCursors()
	d := h.digest()
	return d, h.db.ReadCursors() - before
}

// TestDigest_ReadsOnlyTheDaysRevocations: with ten times the closed
// cases, the digest reads as much as before: the day's revocations
// through the index, not every closed case.
func TestDigest_ReadsOnlyTheDaysRevocations(t *testing.T) {
	var reads []uint64
	for _, n := range []int{100, 1000} {
		h := newHarness(t)
		writeHistory(t, h, n)
		d, cursors := digestCursors(t, h)
		if len(d.Revoked) != 23 || len(d.Open) != 1 {
			t.Fatalf("%d closed: digest has %d revocations and %d open cases, want 23 and 1", n, len(d.Revoked), len(d.Open))
		}
		reads = append(reads, cursors)
	}
	if reads[1] != reads[0] {
		t.Fatalf("the digest made %d descents with 100 closed cases and %d with 1,000: it reads more than the day's cases", reads[0], reads[1])
	}
}

// TestDigest_BuildsRevokedIndexForOldStore: a store written before the
// revocation index gets it from the first digest, which says so in the
// log, and the digest after reads only the day's cases.
func TestDigest_BuildsRevokedIndexForOldStore(t *testing.T) {
	h := newHarness(t)
	writeHistory(t, h, 300)
	path := h.db.Path()
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := storetest.DropTimeIndexes(path); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	var logs bytes.Buffer
	h.engine, err = flows.New(flows.Options{Store: db, Clock: h.clock, Roles: testRoles, Location: time.UTC,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := digestCursors(t, h)
	if !strings.Contains(logs.String(), "indexes built") || !strings.Contains(logs.String(), "cases=301") {
		t.Fatalf("the build is not logged with its count:\n%s", logs.String())
	}
	logs.Reset()
	second, cursors := digestCursors(t, h)
	if len(first.Revoked) != 23 || len(second.Revoked) != 23 {
		t.Fatalf("revocations: %d in the first digest, %d in the second; want 23", len(first.Revoked), len(second.Revoked))
	}
	if strings.Contains(logs.String(), "indexes built") {
		t.Fatalf("the index was built again:\n%s", logs.String())
	}
	if cursors > 300 {
		t.Fatalf("the second digest made %d descents for 23 revocations among 300 closed cases", cursors)
	}
	if probs, err := db.VerifyIndexes(h.ctx); err != nil || len(probs) != 0 {
		t.Fatalf("verify = %v, %v", probs, err)
	}
}
