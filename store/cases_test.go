package store_test

import (
	"os"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// writeRaw changes a store file with bbolt directly, as an attacker or a
// future version would.
func writeRaw(tb testing.TB, path string, fn func(*bolt.Tx) error) {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

// readRaw reads a store file with bbolt directly.
func readRaw(tb testing.TB, path string, fn func(*bolt.Tx) error) {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.View(fn); err != nil {
		tb.Fatal(err)
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func TestDB_NextCaseID(t *testing.T) {
	db := openDB(t)
	var got []offboard.CaseID
	for range 3 {
		update(t, db, func(tx offboard.Tx) error {
			id, err := tx.NextCaseID()
			got = append(got, id)
			return err
		})
	}
	if want := []offboard.CaseID{"OFF-0001", "OFF-0002", "OFF-0003"}; !slices.Equal(got, want) {
		t.Errorf("NextCaseID = %v, want %v", got, want)
	}
}

func TestDB_PutCase(t *testing.T) {
	t.Run("round trip returns a copy", func(t *testing.T) {
		db := openDB(t)
		c := newCase(42, "Jane@Example.com", offboard.CaseOpen)
		c.Confidential = true
		c.Rooms = []offboard.RoomRef{{Platform: "slack", ID: "C123", Name: "ofb-7f3a"}}
		update(t, db, func(tx offboard.Tx) error { return tx.PutCase(c) })
		var got *offboard.Case
		view(t, db, func(tx offboard.Tx) error {
			var err error
			got, err = tx.Case("OFF-0042")
			return err
		})
		if got.ID != "OFF-0042" || !got.Confidential || len(got.Rooms) != 1 || got.Rooms[0].ID != "C123" ||
			!got.RevokeAt.Equal(c.RevokeAt) || got.Employee.Email != "Jane@Example.com" {
			t.Errorf("round trip changed the case: %+v", got)
		}
		got.Rooms[0].ID = "changed"
		view(t, db, func(tx offboard.Tx) error {
			again, err := tx.Case("OFF-0042")
			if err == nil && again.Rooms[0].ID != "C123" {
				t.Error("changing a returned case changed the stored one")
			}
			return err
		})
	})

	t.Run("missing case is ENOTFOUND", func(t *testing.T) {
		db := openDB(t)
		view(t, db, func(tx offboard.Tx) error {
			_, err := tx.Case("OFF-0404")
			wantCode(t, err, offboard.ENOTFOUND)
			if err != nil && err.Error() != "no case OFF-0404" {
				t.Errorf("message %q, want %q", err, "no case OFF-0404")
			}
			return nil
		})
	})

	t.Run("invalid ids are refused", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			wantCode(t, tx.PutCase(newCase(1, "a@example.com", offboard.CaseOpen)), "")
			bad := newCase(1, "a@example.com", offboard.CaseOpen)
			bad.ID = ""
			wantCode(t, tx.PutCase(bad), offboard.EINVALID)
			bad.ID = "OFF-1\x00x"
			wantCode(t, tx.PutCase(bad), offboard.EINVALID)
			return nil
		})
	})

	t.Run("email index is case-insensitive and numeric oldest first", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			for _, c := range []*offboard.Case{
				newCase(10000, "jane@example.com", offboard.CaseOpen),
				newCase(9999, "JANE@example.com ", offboard.CaseCompleted),
				newCase(5, "bob@example.com", offboard.CaseOpen),
				newCase(12, " Jane@Example.COM", offboard.CaseCancelled),
			} {
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx offboard.Tx) error {
			ids, err := tx.CaseIDsByEmail("  Jane@EXAMPLE.com")
			if want := []offboard.CaseID{"OFF-0012", "OFF-9999", "OFF-10000"}; !slices.Equal(ids, want) {
				t.Errorf("CaseIDsByEmail = %v, want %v", ids, want)
			}
			if err != nil {
				return err
			}
			ids, err = tx.CaseIDsByEmail("bob@example.com")
			if want := []offboard.CaseID{"OFF-0005"}; !slices.Equal(ids, want) {
				t.Errorf("CaseIDsByEmail(bob) = %v, want %v", ids, want)
			}
			if err != nil {
				return err
			}
			ids, err = tx.CaseIDsByEmail("jan@example.com")
			if len(ids) != 0 {
				t.Errorf("CaseIDsByEmail(jan) = %v, want none (no prefix matches)", ids)
			}
			return err
		})
	})

	t.Run("status and email changes move index entries", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			for _, c := range []*offboard.Case{
				newCase(10000, "a@example.com", offboard.CaseOpen),
				newCase(9999, "b@example.com", offboard.CaseOpen),
				newCase(3, "c@example.com", offboard.CaseOpen),
			} {
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
			return nil
		})
		update(t, db, func(tx offboard.Tx) error {
			c, err := tx.Case("OFF-9999")
			if err != nil {
				return err
			}
			c.Status = offboard.CaseCompleted
			c.Employee.Email = "b.new@example.com"
			return tx.PutCase(c)
		})
		view(t, db, func(tx offboard.Tx) error {
			open, err := tx.CaseIDsByStatus(offboard.CaseOpen)
			if err != nil {
				return err
			}
			if want := []offboard.CaseID{"OFF-0003", "OFF-10000"}; !slices.Equal(open, want) {
				t.Errorf("open = %v, want %v (old entry gone)", open, want)
			}
			done, err := tx.CaseIDsByStatus(offboard.CaseCompleted)
			if err != nil {
				return err
			}
			if want := []offboard.CaseID{"OFF-9999"}; !slices.Equal(done, want) {
				t.Errorf("completed = %v, want %v", done, want)
			}
			if old, _ := tx.CaseIDsByEmail("b@example.com"); len(old) != 0 {
				t.Errorf("old email still finds %v", old)
			}
			if ids, _ := tx.CaseIDsByEmail("b.new@example.com"); !slices.Equal(ids, []offboard.CaseID{"OFF-9999"}) {
				t.Errorf("new email finds %v, want [OFF-9999]", ids)
			}
			return nil
		})
		s, err := db.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if s.CasesTotal != 3 {
			t.Errorf("status index holds %d entries, want 3", s.CasesTotal)
		}
	})
}
