package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// revokedBetween reads the revocation index of db.
func revokedBetween(tb testing.TB, db *store.DB, from, to time.Time) ([]offboard.CaseID, bool) {
	tb.Helper()
	var ids []offboard.CaseID
	var ready bool
	view(tb, db, func(tx offboard.Tx) error {
		var err error
		ids, ready, err = tx.(offboard.RevokedIndex).CaseIDsRevokedBetween(from, to)
		return err
	})
	return ids, ready
}

// putRevoked stores case n revoked at the time given (nil: not revoked).
func putRevoked(tb testing.TB, db *store.DB, n uint64, revoked *time.Time) {
	tb.Helper()
	update(tb, db, func(tx offboard.Tx) error {
		if err := allocate(tx, n); err != nil {
			return err
		}
		c := newCase(n, "p@example.com", offboard.CaseCompleted)
		c.RevokedAt = revoked
		return tx.PutCase(c)
	})
}

// allocate moves the case sequence up to n, as the engine's numbering
// would have.
func allocate(tx offboard.Tx, n uint64) error {
	for {
		last, err := tx.LastCaseNumber()
		if err != nil || last >= n {
			return err
		}
		if _, err := tx.NextCaseID(); err != nil {
			return err
		}
	}
}

// TestTx_CaseIDsRevokedBetween: PutCase keeps the index in the
// transaction of the change (set, moved, cleared) and a range reads only
// the period, earliest first.
func TestTx_CaseIDsRevokedBetween(t *testing.T) {
	db := openDB(t)
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	hour := func(h int) *time.Time { at := base.Add(time.Duration(h) * time.Hour); return &at }
	putRevoked(t, db, 1, hour(5))
	putRevoked(t, db, 2, hour(1))
	putRevoked(t, db, 3, nil)
	putRevoked(t, db, 4, hour(30))
	ids, ready := revokedBetween(t, db, *hour(0), *hour(24))
	if !ready || !slices.Equal(ids, []offboard.CaseID{"OFF-0002", "OFF-0001"}) {
		t.Fatalf("first day = %v (ready %v), want OFF-0002, OFF-0001", ids, ready)
	}
	putRevoked(t, db, 2, hour(26)) // moved into the next day
	putRevoked(t, db, 1, nil)      // cleared
	putRevoked(t, db, 3, hour(2))  // set
	if ids, _ := revokedBetween(t, db, *hour(0), *hour(24)); !slices.Equal(ids, []offboard.CaseID{"OFF-0003"}) {
		t.Fatalf("first day after the changes = %v, want OFF-0003 alone", ids)
	}
	if ids, _ := revokedBetween(t, db, *hour(24), *hour(48)); !slices.Equal(ids, []offboard.CaseID{"OFF-0002", "OFF-0004"}) {
		t.Fatalf("second day = %v, want OFF-0002, OFF-0004", ids)
	}
	if ids, _ := revokedBetween(t, db, *hour(30), *hour(30)); !slices.Equal(ids, []offboard.CaseID{"OFF-0004"}) {
		t.Fatalf("the bounds are inclusive: %v, want OFF-0004", ids)
	}
	if probs, err := db.VerifyIndexes(context.Background()); err != nil || len(probs) != 0 {
		t.Fatalf("verify = %v, %v", probs, err)
	}
}

// TestDB_BuildRevokedIndex: a file written before the index reads as not
// ready, the build fills it from every case once (in more than one
// batch), and a second build does nothing.
func TestDB_BuildRevokedIndex(t *testing.T) {
	path := tempPath(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	defer store.SetTimeBuildBatch(40)()
	const n = 250 // several batches, the last one short
	update(t, db, func(tx offboard.Tx) error {
		if err := allocate(tx, n); err != nil {
			return err
		}
		for i := uint64(1); i <= n; i++ {
			c := newCase(i, "p@example.com", offboard.CaseCompleted)
			if i%5 != 0 {
				at := base.Add(time.Duration(i) * time.Minute)
				c.RevokedAt = &at
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// As a file from before the index: no bucket, no meta key.
	writeRaw(t, path, func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket([]byte("idx_revoked")); err != nil {
			return err
		}
		return btx.Bucket([]byte("meta")).Delete([]byte("revoked_index"))
	})
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids, ready := revokedBetween(t, db, base, base.Add(time.Hour)); ready || ids != nil {
		t.Fatalf("an old file's index reads as ready (%v, %v)", ids, ready)
	}
	// A change before the build is kept by the build, not lost.
	putRevoked(t, db, 7, nil)
	cases, built, err := db.BuildTimeIndexes(ctx)
	if err != nil || !built || cases != n {
		t.Fatalf("build = %d cases, built %v, %v; want %d, true", cases, built, err, n)
	}
	ids, ready := revokedBetween(t, db, base, base.Add(10*time.Minute))
	want := []offboard.CaseID{"OFF-0001", "OFF-0002", "OFF-0003", "OFF-0004", "OFF-0006", "OFF-0008", "OFF-0009"}
	if !ready || !slices.Equal(ids, want) {
		t.Fatalf("first ten minutes after the build = %v (ready %v), want %v", ids, ready, want)
	}
	if ids, _ := revokedBetween(t, db, base, base.Add(n*time.Minute)); len(ids) != n-n/5-1 {
		t.Fatalf("the built index holds %d cases, want %d", len(ids), n-n/5-1)
	}
	if cases, built, err := db.BuildTimeIndexes(ctx); err != nil || built || cases != 0 {
		t.Fatalf("a second build = %d, %v, %v; want nothing done", cases, built, err)
	}
	if probs, err := db.VerifyIndexes(ctx); err != nil || len(probs) != 0 {
		t.Fatalf("verify after the build = %v, %v", probs, err)
	}
}

// TestDB_VerifyIndexes_Revoked: a missing or stray revocation entry is
// reported; an index still being built is not checked.
func TestDB_VerifyIndexes_Revoked(t *testing.T) {
	path := tempPath(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	putRevoked(t, db, 1, &at)
	putRevoked(t, db, 2, &at)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	key := func(id string) []byte {
		k := make([]byte, 8, 8+len(id))
		for i, n := 0, uint64(at.UnixNano()); i < 8; i++ {
			k[7-i] = byte(n >> (8 * i))
		}
		return append(k, id...)
	}
	writeRaw(t, path, func(btx *bolt.Tx) error {
		idx := btx.Bucket([]byte("idx_revoked"))
		if err := idx.Delete(key("OFF-0001")); err != nil {
			return err
		}
		return idx.Put(key("OFF-0009"), nil)
	})
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	probs, err := db.VerifyIndexes(context.Background())
	if err != nil || len(probs) != 2 {
		t.Fatalf("verify = %v, %v; want two problems", probs, err)
	}
	got := probs[0].String() + "; " + probs[1].String()
	for _, want := range []string{"index idx_revoked, case OFF-0009: has an entry", "index idx_revoked, case OFF-0001: the entry for 2026-12-01T09:00:00Z is missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not say %q", got, want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, path, func(btx *bolt.Tx) error { return btx.Bucket([]byte("meta")).Delete([]byte("revoked_index")) })
	db, err = store.Open(path, store.Options{ReadOnly: true, CheckContents: true})
	if err != nil {
		t.Fatalf("the full check refuses a store with idx_revoked: %v", err)
	}
	defer db.Close()
	if probs, err := db.VerifyIndexes(context.Background()); err != nil || len(probs) != 0 {
		t.Fatalf("an index under construction was checked: %v, %v", probs, err)
	}
}

// TestTx_ClosedUnerasedBefore: closed cases are found by when they
// closed until their personal data is erased; open ones never.
func TestTx_ClosedUnerasedBefore(t *testing.T) {
	db := openDB(t)
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) *time.Time { at := base.AddDate(0, 0, d); return &at }
	put := func(n uint64, closed, erased *time.Time) {
		t.Helper()
		update(t, db, func(tx offboard.Tx) error {
			if err := allocate(tx, n); err != nil {
				return err
			}
			st := offboard.CaseOpen
			if closed != nil {
				st = offboard.CaseCompleted
			}
			c := newCase(n, "p@example.com", st)
			c.ClosedAt, c.ErasedAt = closed, erased
			return tx.PutCase(c)
		})
	}
	before := func(at time.Time) []offboard.CaseID {
		t.Helper()
		var ids []offboard.CaseID
		view(t, db, func(tx offboard.Tx) error {
			var ready bool
			var err error
			ids, ready, err = tx.(interface {
				ClosedUnerasedBefore(time.Time) ([]offboard.CaseID, bool, error)
			}).ClosedUnerasedBefore(at)
			if err == nil && !ready {
				t.Error("a new file's closing index is not ready")
			}
			return err
		})
		return ids
	}
	put(1, day(3), nil)
	put(2, day(1), nil)
	put(3, nil, nil)
	put(4, day(10), nil)
	if got := before(*day(5)); !slices.Equal(got, []offboard.CaseID{"OFF-0002", "OFF-0001"}) {
		t.Fatalf("closed by day 5 = %v, want OFF-0002, OFF-0001", got)
	}
	put(2, day(1), day(6)) // erased
	if got := before(*day(20)); !slices.Equal(got, []offboard.CaseID{"OFF-0001", "OFF-0004"}) {
		t.Fatalf("closed by day 20 after OFF-0002's erasure = %v, want OFF-0001, OFF-0004", got)
	}
	if probs, err := db.VerifyIndexes(context.Background()); err != nil || len(probs) != 0 {
		t.Fatalf("verify = %v, %v", probs, err)
	}
}
