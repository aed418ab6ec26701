package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func jobIDs(js []*offboard.Job) []string {
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = j.ID
	}
	return ids
}

func readyIDs(tb testing.TB, db interface {
	View(context.Context, func(offboard.Tx) error) error
}, now time.Time, limit int, skip func(*offboard.Job) bool) []string {
	tb.Helper()
	var ids []string
	err := db.View(context.Background(), func(tx offboard.Tx) error {
		js, err := tx.ReadyJobs(now, limit, skip)
		ids = jobIDs(js)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

func putJobs(tb testing.TB, db interface {
	Update(context.Context, func(offboard.Tx) error) error
}, jobs ...*offboard.Job) {
	tb.Helper()
	err := db.Update(context.Background(), func(tx offboard.Tx) error {
		for _, j := range jobs {
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestDB_ReadyJobs(t *testing.T) {
	t.Run("priority, then age; NotBefore respected", func(t *testing.T) {
		db := openDB(t)
		putJobs(t, db,
			newJob("chat-old", offboard.PriorityChat, t0.Add(-time.Hour)),
			newJob("report", offboard.PriorityReport, t0.Add(-2*time.Hour)),
			newJob("revoke-new", offboard.PriorityRevocation, t0),
			newJob("revoke-later", offboard.PriorityRevocation, t0.Add(time.Minute)),
			newJob("revoke-old", offboard.PriorityRevocation, t0.Add(-time.Minute)),
			newJob("device", offboard.PriorityDevice, t0.Add(-30*time.Minute)),
			newJob("device-later", offboard.PriorityDevice, t0.Add(time.Hour)),
			newJob("unknown", "", t0.Add(-3*time.Hour)),
			newJob("zero", offboard.PriorityChat, time.Time{}),
		)
		got := readyIDs(t, db, t0, 0, nil)
		want := []string{"revoke-old", "revoke-new", "device", "zero", "chat-old", "report", "unknown"}
		if !slices.Equal(got, want) {
			t.Errorf("ReadyJobs = %v\nwant          %v", got, want)
		}
		if got := readyIDs(t, db, t0, 3, nil); !slices.Equal(got, want[:3]) {
			t.Errorf("ReadyJobs limit 3 = %v, want %v", got, want[:3])
		}
		got = readyIDs(t, db, t0.Add(2*time.Hour), 0, nil)
		want = []string{"revoke-old", "revoke-new", "revoke-later", "device", "device-later", "zero", "chat-old", "report", "unknown"}
		if !slices.Equal(got, want) {
			t.Errorf("ReadyJobs at +2h = %v\nwant               %v", got, want)
		}
	})

	t.Run("skip is honoured and does not use up the limit", func(t *testing.T) {
		db := openDB(t)
		okta1 := newJob("okta-1", offboard.PriorityRevocation, t0)
		okta2 := newJob("okta-2", offboard.PriorityRevocation, t0)
		google := newJob("google-1", offboard.PriorityRevocation, t0.Add(time.Second))
		google.Action = "google.suspend"
		chat := newJob("chat", offboard.PriorityChat, t0)
		chat.Kind = offboard.JobNotify
		putJobs(t, db, okta1, okta2, google, chat)
		skipOkta := func(j *offboard.Job) bool { return j.API() == "okta" }
		if got, want := readyIDs(t, db, t0.Add(time.Minute), 2, skipOkta), []string{"google-1", "chat"}; !slices.Equal(got, want) {
			t.Errorf("ReadyJobs skipping okta = %v, want %v", got, want)
		}
	})

	t.Run("leased jobs are not returned; RecoverLeases requeues them", func(t *testing.T) {
		db := openDB(t)
		putJobs(t, db, newJob("a", offboard.PriorityRevocation, t0), newJob("b", offboard.PriorityRevocation, t0.Add(time.Second)))
		update(t, db, func(tx offboard.Tx) error {
			j, err := tx.Job("a")
			if err != nil {
				return err
			}
			j.Leased, j.LeasedAt, j.Attempts = true, t0, 2
			return tx.PutJob(j)
		})
		if got := readyIDs(t, db, t0.Add(time.Minute), 0, nil); !slices.Equal(got, []string{"b"}) {
			t.Errorf("ReadyJobs with a leased = %v, want [b]", got)
		}
		n, err := db.RecoverLeases(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("RecoverLeases = %d, %v; want 1", n, err)
		}
		if got := readyIDs(t, db, t0.Add(time.Minute), 0, nil); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("ReadyJobs after recovery = %v, want [a b]", got)
		}
		view(t, db, func(tx offboard.Tx) error {
			j, err := tx.Job("a")
			if err == nil && (j.Leased || j.Attempts != 2 || !j.LeasedAt.IsZero()) {
				t.Errorf("recovered job = %+v; want unleased, 2 attempts kept", j)
			}
			return err
		})
		if n, err := db.RecoverLeases(context.Background()); n != 0 || err != nil {
			t.Errorf("second RecoverLeases = %d, %v; want 0", n, err)
		}
	})

	t.Run("rescheduling moves the queue entry", func(t *testing.T) {
		db := openDB(t)
		putJobs(t, db, newJob("a", offboard.PriorityChat, t0))
		update(t, db, func(tx offboard.Tx) error {
			j, err := tx.Job("a")
			if err != nil {
				return err
			}
			j.NotBefore = t0.Add(time.Hour)
			j.Priority = offboard.PriorityRevocation
			return tx.PutJob(j)
		})
		if got := readyIDs(t, db, t0.Add(time.Minute), 0, nil); len(got) != 0 {
			t.Errorf("ReadyJobs before the new NotBefore = %v, want none (old entry gone)", got)
		}
		if got := readyIDs(t, db, t0.Add(2*time.Hour), 0, nil); !slices.Equal(got, []string{"a"}) {
			t.Errorf("ReadyJobs after the new NotBefore = %v, want [a] once", got)
		}
	})
}

func TestDB_DeadLetter(t *testing.T) {
	db := openDB(t)
	deadAt := t0.Add(time.Hour)
	putJobs(t, db, newJob("a", offboard.PriorityRevocation, t0), newJob("b", offboard.PriorityRevocation, t0))
	update(t, db, func(tx offboard.Tx) error {
		a, err := tx.Job("a")
		if err != nil {
			return err
		}
		a.Attempts, a.LastError, a.DeadAt = 8, "okta: 500", &deadAt
		if err := tx.DeadLetter(a); err != nil {
			return err
		}
		b, err := tx.Job("b")
		if err != nil {
			return err
		}
		// A changed NotBefore in the caller's copy must not strand the
		// stored queue entry.
		b.NotBefore = t0.Add(time.Minute)
		return tx.DeadLetter(b)
	})
	if got := readyIDs(t, db, t0.Add(time.Hour), 0, nil); len(got) != 0 {
		t.Errorf("ReadyJobs after DeadLetter = %v, want none", got)
	}
	view(t, db, func(tx offboard.Tx) error {
		_, err := tx.Job("a")
		wantCode(t, err, offboard.ENOTFOUND)
		if err != nil && err.Error() != "no job a" {
			t.Errorf("message %q", err)
		}
		return nil
	})
	dead, err := db.DeadJobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 {
		t.Fatalf("DeadJobs = %v, want a and b", jobIDs(dead))
	}
	byID := map[string]*offboard.Job{dead[0].ID: dead[0], dead[1].ID: dead[1]}
	if a := byID["a"]; a == nil || a.DeadAt == nil || !a.DeadAt.Equal(deadAt) || a.Attempts != 8 || a.LastError != "okta: 500" {
		t.Errorf("dead a = %+v; want the caller's DeadAt and attempts", a)
	}
	if b := byID["b"]; b == nil || b.DeadAt == nil || b.DeadAt.IsZero() {
		t.Errorf("dead b = %+v; want DeadAt set", b)
	}
	s, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.QueuedJobs != 0 || s.LeasedJobs != 0 || s.DeadJobs != 2 {
		t.Errorf("stats %+v; want 0 queued, 0 leased, 2 dead", s)
	}
}

func TestDB_DeleteJob(t *testing.T) {
	db := openDB(t)
	leased := newJob("leased", offboard.PriorityRevocation, t0)
	leased.Leased = true
	putJobs(t, db, newJob("queued", offboard.PriorityRevocation, t0), leased)
	update(t, db, func(tx offboard.Tx) error {
		for _, id := range []string{"queued", "leased", "never-existed"} {
			if err := tx.DeleteJob(id); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx offboard.Tx) error {
		for _, id := range []string{"queued", "leased"} {
			_, err := tx.Job(id)
			wantCode(t, err, offboard.ENOTFOUND)
		}
		js, err := tx.JobsForCase("OFF-0001")
		if len(js) != 0 {
			t.Errorf("JobsForCase after delete = %v", jobIDs(js))
		}
		return err
	})
	if got := readyIDs(t, db, t0.Add(time.Hour), 0, nil); len(got) != 0 {
		t.Errorf("ReadyJobs after DeleteJob = %v", got)
	}
	if n, err := db.RecoverLeases(context.Background()); n != 0 || err != nil {
		t.Errorf("RecoverLeases after deleting the leased job = %d, %v", n, err)
	}
}

func TestDB_JobsForCase(t *testing.T) {
	db := openDB(t)
	leased := newJob("OFF-0001/b#1", offboard.PriorityRevocation, t0)
	leased.Leased = true
	other := newJob("OFF-00010/a#1", offboard.PriorityRevocation, t0)
	other.CaseID = "OFF-00010"
	moved := newJob("moved", offboard.PriorityChat, t0)
	putJobs(t, db, newJob("OFF-0001/a#1", offboard.PriorityRevocation, t0), leased, other, moved)
	moved.CaseID = "OFF-0002"
	putJobs(t, db, moved)
	view(t, db, func(tx offboard.Tx) error {
		js, err := tx.JobsForCase("OFF-0001")
		if want := []string{"OFF-0001/a#1", "OFF-0001/b#1"}; !slices.Equal(jobIDs(js), want) {
			t.Errorf("JobsForCase(OFF-0001) = %v, want %v", jobIDs(js), want)
		}
		if err != nil {
			return err
		}
		js, err = tx.JobsForCase("OFF-0002")
		if want := []string{"moved"}; !slices.Equal(jobIDs(js), want) {
			t.Errorf("JobsForCase(OFF-0002) = %v, want %v", jobIDs(js), want)
		}
		return err
	})
}
