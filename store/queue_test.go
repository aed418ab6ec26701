package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// storedJob reads a queued or leased job; nil when there is none.
func storedJob(tb testing.TB, db *store.DB, id string) *offboard.Job {
	tb.Helper()
	var j *offboard.Job
	view(tb, db, func(tx offboard.Tx) error {
		var err error
		j, err = tx.Job(id)
		if offboard.ErrorCode(err) == offboard.ENOTFOUND {
			j, err = nil, nil
		}
		return err
	})
	return j
}

func deadJob(tb testing.TB, db *store.DB, id string) *offboard.Job {
	tb.Helper()
	dead, err := db.DeadJobs(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, j := range dead {
		if j.ID == id {
			return j
		}
	}
	return nil
}

func TestDB_ClaimJobs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a1, a2 := newJob("OFF-0001/a#1", offboard.PriorityRevocation, t0), newJob("OFF-0001/b#1", offboard.PriorityRevocation, t0)
	b1 := newJob("OFF-0002/a#1", offboard.PriorityRevocation, t0)
	b1.CaseID = "OFF-0002"
	later := newJob("OFF-0003/a#1", offboard.PriorityRevocation, t0.Add(time.Hour))
	later.CaseID = "OFF-0003"
	putJobs(t, db, a1, a2, b1, later)

	// One job per case per walk: a filter that keeps state must get a
	// fresh copy for the claim after the look, or it would refuse the
	// first job it had already seen.
	walks := 0
	oneACase := func() func(*offboard.Job) bool {
		walks++
		seen := map[offboard.CaseID]bool{}
		return func(j *offboard.Job) bool {
			if seen[j.CaseID] {
				return true
			}
			seen[j.CaseID] = true
			return false
		}
	}
	got, err := db.ClaimJobs(ctx, t0, 10, oneACase)
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobIDs(got); !slices.Equal(ids, []string{"OFF-0001/a#1", "OFF-0002/a#1"}) {
		t.Fatalf("claimed %v, want the first job of each due case", ids)
	}
	if walks != 2 {
		t.Errorf("filters made = %d, want 2 (a look, then the claim)", walks)
	}
	for _, j := range got {
		if !j.Leased || !j.LeasedAt.Equal(t0) {
			t.Errorf("returned %s leased=%v at %v", j.ID, j.Leased, j.LeasedAt)
		}
		if s := storedJob(t, db, j.ID); s == nil || !s.Leased {
			t.Errorf("stored %s = %+v, want leased", j.ID, s)
		}
	}
	// Leased jobs are not claimed again; the rest of the first case is.
	got, err = db.ClaimJobs(ctx, t0, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobIDs(got); !slices.Equal(ids, []string{"OFF-0001/b#1"}) {
		t.Errorf("second claim = %v, want [OFF-0001/b#1]", ids)
	}
	// Nothing ready: nothing claimed, no error.
	got, err = db.ClaimJobs(ctx, t0, 10, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("idle claim = %v, %v", jobIDs(got), err)
	}
	// Limit.
	got, err = db.ClaimJobs(ctx, t0.Add(2*time.Hour), 1, nil)
	if err != nil || len(got) != 1 || got[0].ID != "OFF-0003/a#1" {
		t.Errorf("claim when the later job is due = %v, %v", jobIDs(got), err)
	}
}

func TestDB_ReleaseJobs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	putJobs(t, db, newJob("early", offboard.PriorityRevocation, t0), newJob("late", offboard.PriorityRevocation, t0.Add(time.Hour)),
		newJob("queued", offboard.PriorityRevocation, t0.Add(time.Hour)))
	if _, err := db.ClaimJobs(ctx, t0.Add(2*time.Hour), 2, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseJobs(ctx, []string{"early", "late", "queued", "gone"}, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]time.Time{"early": t0.Add(30 * time.Minute), "late": t0.Add(time.Hour), "queued": t0.Add(time.Hour)} {
		j := storedJob(t, db, id)
		if j == nil || j.Leased || !j.LeasedAt.IsZero() || !j.NotBefore.Equal(want) {
			t.Errorf("%s after release = %+v, want unleased, not before %v", id, j, want)
		}
	}
	if ids := readyIDs(t, db, t0.Add(time.Hour), 0, nil); !slices.Equal(ids, []string{"early", "late", "queued"}) {
		t.Errorf("ready after release = %v", ids)
	}
}

func TestDB_RetryJob(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	putJobs(t, db, newJob("n", offboard.PriorityChat, t0))
	if _, err := db.ClaimJobs(ctx, t0, 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryJob(ctx, "n", offboard.JobFailure{Error: "slack said no", Counted: true}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	j := storedJob(t, db, "n")
	if j == nil || j.Leased || j.Attempts != 1 || j.LastError != "slack said no" || !j.NotBefore.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after a counted retry: %+v", j)
	}
	if ids := readyIDs(t, db, t0, 0, nil); len(ids) != 0 {
		t.Errorf("ready before the retry time: %v", ids)
	}
	// A rate limit is not the job's failure: no attempt counted.
	if err := db.RetryJob(ctx, "n", offboard.JobFailure{Error: "429"}, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if j := storedJob(t, db, "n"); j.Attempts != 1 || j.LastError != "429" {
		t.Errorf("after an uncounted retry: attempts %d, error %q", j.Attempts, j.LastError)
	}
	if err := db.RetryJob(ctx, "gone", offboard.JobFailure{Error: "x"}, t0); err != nil {
		t.Errorf("retry of a job that is gone: %v", err)
	}
	if j := storedJob(t, db, "gone"); j != nil {
		t.Errorf("retry created a job: %+v", j)
	}
}

func TestDB_DeadLetterJob(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	putJobs(t, db, newJob("n", offboard.PriorityChat, t0))
	if _, err := db.ClaimJobs(ctx, t0, 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeadLetterJob(ctx, "n", offboard.JobFailure{Error: "channel_not_found", Counted: true}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if j := storedJob(t, db, "n"); j != nil {
		t.Errorf("dead job still queued: %+v", j)
	}
	d := deadJob(t, db, "n")
	if d == nil || d.Leased || d.Attempts != 1 || d.LastError != "channel_not_found" || d.DeadAt == nil || !d.DeadAt.Equal(t0.Add(time.Second)) {
		t.Errorf("dead letter = %+v", d)
	}
	if err := db.DeadLetterJob(ctx, "gone", offboard.JobFailure{Error: "x"}, t0); err != nil || deadJob(t, db, "gone") != nil {
		t.Errorf("dead-lettering a job that is gone: %v", err)
	}
}

func TestDB_SettleJob(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	putJobs(t, db, newJob("n", offboard.PriorityChat, t0))
	if err := db.SettleJob(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if j := storedJob(t, db, "n"); j != nil {
		t.Errorf("settled job still stored: %+v", j)
	}
	if ids := readyIDs(t, db, t0, 0, nil); len(ids) != 0 {
		t.Errorf("settled job still queued: %v", ids)
	}
	if err := db.SettleJob(ctx, "n"); err != nil {
		t.Errorf("settling twice: %v", err)
	}
}
