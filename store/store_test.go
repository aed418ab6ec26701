package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// t0 is a fixed instant the tests count from.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func tempPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "offboard.db")
}

// openDB opens a store in a new temp file and closes it after the test.
func openDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(tempPath(tb), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func update(tb testing.TB, db *store.DB, fn func(offboard.Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

func view(tb testing.TB, db *store.DB, fn func(offboard.Tx) error) {
	tb.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

func newCase(n uint64, email string, st offboard.CaseStatus) *offboard.Case {
	return &offboard.Case{
		ID:        offboard.FormatCaseID(n),
		Employee:  offboard.Employee{Name: "Jane Doe", Email: email, Department: "Engineering"},
		Kind:      offboard.Voluntary,
		Playbook:  "default",
		LastDay:   "2026-03-13",
		TimeZone:  "Europe/Berlin",
		RevokeAt:  t0.Add(72 * time.Hour),
		NoticeAt:  t0,
		Source:    "api",
		Requester: offboard.Actor{Kind: offboard.ActorPerson, ID: "hr@example.com"},
		Status:    st,
		CreatedAt: t0,
		UpdatedAt: t0,
	}
}

func newTask(id offboard.CaseID, key string, order int, st offboard.TaskStatus, runAt *time.Time) *offboard.Task {
	return &offboard.Task{
		CaseID:     id,
		Key:        key,
		Order:      order,
		Department: offboard.DeptIT,
		Title:      "Task " + key,
		Action:     "okta.suspend",
		Priority:   offboard.PriorityRevocation,
		Status:     st,
		RunAt:      runAt,
		UpdatedAt:  t0,
	}
}

func newJob(id string, p offboard.Priority, notBefore time.Time) *offboard.Job {
	return &offboard.Job{
		ID:        id,
		Kind:      offboard.JobAction,
		CaseID:    "OFF-0001",
		Action:    "okta.suspend",
		Priority:  p,
		NotBefore: notBefore,
		CreatedAt: notBefore,
	}
}

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := offboard.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func TestDB_Open(t *testing.T) {
	t.Run("second open fails fast with a clear message", func(t *testing.T) {
		path := tempPath(t)
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		start := time.Now()
		db2, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
		elapsed := time.Since(start)
		if err == nil {
			db2.Close()
			t.Fatal("second Open succeeded; want a lock error")
		}
		if elapsed > time.Second {
			t.Errorf("second Open took %s; want about 200ms", elapsed)
		}
		want := fmt.Sprintf("store %s is locked by another offboard process (waited 200ms); stop it or use another store.path", path)
		if err.Error() != want {
			t.Errorf("error = %q\nwant    %q", err, want)
		}
		if _, ok := errors.AsType[*store.LockedError](err); !ok {
			t.Errorf("error %T is not a *store.LockedError", err)
		}
		if !errors.Is(err, bolterrors.ErrTimeout) {
			t.Error("error does not unwrap to bbolt's ErrTimeout")
		}
	})

	t.Run("reopen after close keeps data", func(t *testing.T) {
		path := tempPath(t)
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if db.Path() != path {
			t.Errorf("Path() = %q, want %q", db.Path(), path)
		}
		update(t, db, func(tx offboard.Tx) error { return tx.PutCase(newCase(1, "a@example.com", offboard.CaseOpen)) })
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db, err = store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		view(t, db, func(tx offboard.Tx) error {
			_, err := tx.Case("OFF-0001")
			return err
		})
	})

	t.Run("newer schema version is refused and left alone", func(t *testing.T) {
		path := tempPath(t)
		writeRaw(t, path, func(btx *bolt.Tx) error {
			b, err := btx.CreateBucketIfNotExists([]byte("meta"))
			if err != nil {
				return err
			}
			return b.Put([]byte("schema_version"), []byte("99"))
		})
		db, err := store.Open(path, store.Options{})
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded on a schema 99 file")
		}
		for _, want := range []string{"schema version 99", "schema version 1 "} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		var version string
		readRaw(t, path, func(btx *bolt.Tx) error {
			version = string(btx.Bucket([]byte("meta")).Get([]byte("schema_version")))
			if btx.Bucket([]byte("cases")) != nil {
				t.Error("Open created buckets in a file it refused")
			}
			return nil
		})
		if version != "99" {
			t.Errorf("schema_version is %q after the refused Open; want it untouched", version)
		}
	})

	t.Run("not a bbolt file", func(t *testing.T) {
		path := tempPath(t)
		if err := writeFile(path, bytes.Repeat([]byte("not a database "), 1000)); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded on garbage")
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
	})
}

func TestDB_Update(t *testing.T) {
	t.Run("an error rolls back case, audit and job", func(t *testing.T) {
		db := openDB(t)
		boom := errors.New("boom")
		err := db.Update(context.Background(), func(tx offboard.Tx) error {
			id, err := tx.NextCaseID()
			if err != nil {
				return err
			}
			if err := tx.PutCase(newCase(1, "jane@example.com", offboard.CaseOpen)); err != nil {
				return err
			}
			if err := tx.AppendAudit(&offboard.AuditEvent{Time: t0, Action: "case.opened", CaseID: id, Outcome: offboard.OutcomeOK}); err != nil {
				return err
			}
			if err := tx.PutJob(newJob("OFF-0001/okta_suspend#1", offboard.PriorityRevocation, t0)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want boom", err)
		}
		view(t, db, func(tx offboard.Tx) error {
			_, err := tx.Case("OFF-0001")
			wantCode(t, err, offboard.ENOTFOUND)
			_, err = tx.Job("OFF-0001/okta_suspend#1")
			wantCode(t, err, offboard.ENOTFOUND)
			ids, err := tx.CaseIDsByEmail("jane@example.com")
			if err != nil || len(ids) != 0 {
				t.Errorf("CaseIDsByEmail = %v, %v; want none", ids, err)
			}
			jobs, err := tx.ReadyJobs(t0.Add(time.Hour), 0, nil)
			if err != nil || len(jobs) != 0 {
				t.Errorf("ReadyJobs = %v, %v; want none", jobs, err)
			}
			return nil
		})
		n := 0
		if err := db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(*offboard.AuditEvent) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d audit events after rollback, want 0", n)
		}
		res, err := db.VerifyAudit(context.Background())
		if err != nil || !res.OK || res.Events != 0 {
			t.Errorf("VerifyAudit = %+v, %v; want OK with 0 events", res, err)
		}
		update(t, db, func(tx offboard.Tx) error {
			id, err := tx.NextCaseID()
			if id != "OFF-0001" {
				t.Errorf("NextCaseID after rollback = %s, want OFF-0001", id)
			}
			return err
		})
	})

	t.Run("cancelled context does not start", func(t *testing.T) {
		db := openDB(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := db.Update(ctx, func(offboard.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("Update = %v, ran %v; want context.Canceled, not run", err, ran)
		}
		err = db.View(ctx, func(offboard.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("View = %v, ran %v; want context.Canceled, not run", err, ran)
		}
	})
}

func TestDB_View(t *testing.T) {
	t.Run("writes are refused", func(t *testing.T) {
		db := openDB(t)
		view(t, db, func(tx offboard.Tx) error {
			writes := map[string]error{
				"PutCase":        tx.PutCase(newCase(1, "a@example.com", offboard.CaseOpen)),
				"PutTask":        tx.PutTask(newTask("OFF-0001", "k", 1, offboard.TaskPending, nil)),
				"PutApproval":    tx.PutApproval(&offboard.Approval{ID: "OFF-0001-A1", CaseID: "OFF-0001"}),
				"AppendAudit":    tx.AppendAudit(&offboard.AuditEvent{Action: "x"}),
				"PutJob":         tx.PutJob(newJob("j", offboard.PriorityChat, t0)),
				"DeleteJob":      tx.DeleteJob("j"),
				"DeadLetter":     tx.DeadLetter(newJob("j", offboard.PriorityChat, t0)),
				"PutDedupe":      tx.PutDedupe("k", "OFF-0001", t0),
				"NextCaseID":     second(tx.NextCaseID()),
				"NextApprovalID": second(tx.NextApprovalID("OFF-0001")),
			}
			for name, err := range writes {
				if err == nil || !strings.Contains(err.Error(), "read-only") {
					t.Errorf("%s in View: error %v, want a read-only error", name, err)
				}
			}
			return nil
		})
	})

	t.Run("concurrent views while an update runs", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error { return tx.PutCase(newCase(1, "jane@example.com", offboard.CaseOpen)) })
		inUpdate := make(chan struct{})
		release := make(chan struct{})
		updateDone := make(chan error)
		go func() {
			updateDone <- db.Update(context.Background(), func(tx offboard.Tx) error {
				for i := uint64(2); i <= 50; i++ {
					if err := tx.PutCase(newCase(i, "jane@example.com", offboard.CaseOpen)); err != nil {
						return err
					}
				}
				close(inUpdate)
				<-release
				return nil
			})
		}()
		<-inUpdate
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					err := db.View(context.Background(), func(tx offboard.Tx) error {
						ids, err := tx.CaseIDsByEmail("jane@example.com")
						if err != nil {
							return err
						}
						if len(ids) != 1 {
							return fmt.Errorf("view saw %d cases before the update committed, want 1", len(ids))
						}
						_, err = tx.Case(ids[0])
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(release)
		if err := <-updateDone; err != nil {
			t.Fatal(err)
		}
		view(t, db, func(tx offboard.Tx) error {
			ids, err := tx.CaseIDsByEmail("jane@example.com")
			if len(ids) != 50 {
				t.Errorf("after commit: %d cases, want 50", len(ids))
			}
			return err
		})
	})
}

func second[T any](_ T, err error) error { return err }

func TestDB_Stats(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx offboard.Tx) error {
		for i, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
			if err := tx.PutCase(newCase(uint64(i+1), "a@example.com", st)); err != nil {
				return err
			}
		}
		leased := newJob("leased", offboard.PriorityRevocation, t0)
		leased.Leased = true
		for _, j := range []*offboard.Job{newJob("q1", offboard.PriorityChat, t0), newJob("q2", offboard.PriorityChat, t0), leased} {
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		if err := tx.DeadLetter(newJob("gone", offboard.PriorityChat, t0)); err != nil {
			return err
		}
		for range 3 {
			if err := tx.AppendAudit(&offboard.AuditEvent{Time: t0, Action: "x", Outcome: offboard.OutcomeOK}); err != nil {
				return err
			}
		}
		return nil
	})
	s, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Cases[offboard.CaseOpen] != 2 || s.Cases[offboard.CaseCompleted] != 1 || s.Cases[offboard.CaseCancelled] != 1 || s.CasesTotal != 4 {
		t.Errorf("cases = %v total %d; want open 2, completed 1, cancelled 1, total 4", s.Cases, s.CasesTotal)
	}
	if s.QueuedJobs != 2 || s.LeasedJobs != 1 || s.DeadJobs != 1 {
		t.Errorf("jobs queued %d leased %d dead %d; want 2, 1, 1", s.QueuedJobs, s.LeasedJobs, s.DeadJobs)
	}
	if s.AuditEvents != 3 {
		t.Errorf("audit events = %d, want 3", s.AuditEvents)
	}
	if s.SizeBytes <= 0 {
		t.Errorf("size = %d, want > 0", s.SizeBytes)
	}
}

func TestDB_Ping(t *testing.T) {
	db := openDB(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestDB_Backup(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx offboard.Tx) error { return tx.PutCase(newCase(7, "b@example.com", offboard.CaseOpen)) })
	var buf bytes.Buffer
	n, err := db.Backup(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	path := tempPath(t)
	if err := writeFile(path, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	restored, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	view(t, restored, func(tx offboard.Tx) error {
		c, err := tx.Case("OFF-0007")
		if err == nil && c.Employee.Email != "b@example.com" {
			t.Errorf("restored case email %q", c.Employee.Email)
		}
		return err
	})
}
