package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// The outbox part of the contract: the Tx's job methods and the
// JobQueue port.

func contractJobs(t *testing.T, s offboard.Store) {
	id := offboard.FormatCaseID(3)
	jobs := []*offboard.Job{
		{ID: "chat", Kind: offboard.JobAction, CaseID: id, Priority: offboard.PriorityChat, NotBefore: t0.Add(-2 * time.Minute)},
		{ID: "revoke", Kind: offboard.JobAction, CaseID: id, Priority: offboard.PriorityRevocation, NotBefore: t0.Add(-time.Minute)},
		{ID: "device-later", Kind: offboard.JobAction, CaseID: id, Priority: offboard.PriorityDevice, NotBefore: t0.Add(time.Hour)},
		{ID: "leased", Kind: offboard.JobAction, CaseID: id, Priority: offboard.PriorityRevocation, NotBefore: t0.Add(-time.Hour), Leased: true},
		{Kind: offboard.JobNotify, CaseID: id, Priority: offboard.PriorityReport, Platform: "slack", NotBefore: t0.Add(-time.Hour)},
	}
	update(t, s, func(tx offboard.Tx) error {
		for _, j := range jobs {
			j := *j
			if err := tx.PutJob(&j); err != nil {
				return err
			}
		}
		return nil
	})
	var notice string
	view(t, s, func(tx offboard.Tx) error {
		ready, err := tx.ReadyJobs(t0, 0, nil)
		if err != nil {
			return err
		}
		var got []string
		for _, j := range ready {
			got = append(got, j.ID)
			if j.Seq == 0 {
				t.Errorf("job %s has no creation sequence", j.ID)
			}
		}
		if len(got) != 3 || got[0] != "revoke" || got[1] != "chat" || !strings.HasPrefix(got[2], string(id)+"/notice#") || !strings.HasSuffix(got[2], ":slack") {
			t.Fatalf("ReadyJobs = %v; want revoke, chat, the notice (device-later is not due, leased is leased)", got)
		}
		notice = got[2]
		if ready, _ := tx.ReadyJobs(t0, 1, func(j *offboard.Job) bool { return j.ID == "revoke" }); len(ready) != 1 || ready[0].ID != "chat" {
			t.Errorf("ReadyJobs with skip and limit 1 = %v; want chat", ready)
		}
		all, _ := tx.JobsForCase(id)
		if len(all) != 5 {
			t.Errorf("JobsForCase has %d jobs; want 5 (queued and leased)", len(all))
		}
		return nil
	})
	update(t, s, func(tx offboard.Tx) error {
		if err := tx.DeleteJob("chat"); err != nil {
			return err
		}
		if err := tx.DeleteJob("never-was"); err != nil {
			return err
		}
		j, err := tx.Job("revoke")
		if err != nil {
			return err
		}
		return tx.DeadLetter(j)
	})
	view(t, s, func(tx offboard.Tx) error {
		if ready, _ := tx.ReadyJobs(t0.Add(2*time.Hour), 0, nil); len(ready) != 2 || ready[0].ID != "device-later" || ready[1].ID != notice {
			t.Errorf("ReadyJobs after delete and dead letter = %v; want device-later, the notice", ready)
		}
		if _, err := tx.Job("chat"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("deleted job: %v", err)
		}
		if all, _ := tx.JobsForCase(id); len(all) != 3 {
			t.Errorf("JobsForCase has %d jobs; want 3", len(all))
		}
		return nil
	})
}

func contractJobQueue(t *testing.T, s offboard.Store) {
	q, ok := s.(offboard.JobQueue)
	if !ok {
		t.Fatalf("%T is no offboard.JobQueue", s)
	}
	ctx := context.Background()
	update(t, s, func(tx offboard.Tx) error {
		for _, id := range []string{"j1", "j2"} {
			if err := tx.PutJob(&offboard.Job{ID: id, Kind: offboard.JobAction, Priority: offboard.PriorityRevocation, NotBefore: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	claimed, err := q.ClaimJobs(ctx, t0, 10, nil)
	if err != nil || len(claimed) != 2 || !claimed[0].Leased {
		t.Fatalf("ClaimJobs = %v, %v; want both, leased", claimed, err)
	}
	if again, _ := q.ClaimJobs(ctx, t0, 10, nil); len(again) != 0 {
		t.Errorf("a second claim got %d leased jobs", len(again))
	}
	if err := q.RetryJob(ctx, "j1", offboard.JobFailure{Error: "timeout", Counted: true}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := q.SettleJob(ctx, "j2"); err != nil {
		t.Fatal(err)
	}
	if err := q.SettleJob(ctx, "gone"); err != nil {
		t.Errorf("settling a missing job: %v", err)
	}
	if early, _ := q.ClaimJobs(ctx, t0, 10, nil); len(early) != 0 {
		t.Errorf("claimed a retried job before its time: %v", early)
	}
	late, err := q.ClaimJobs(ctx, t0.Add(time.Minute), 10, nil)
	if err != nil || len(late) != 1 || late[0].ID != "j1" || late[0].Attempts != 1 || late[0].LastError != "timeout" {
		t.Fatalf("ClaimJobs after the retry time = %+v, %v; want j1 with 1 attempt", late, err)
	}
	if err := q.DeadLetterJob(ctx, "j1", offboard.JobFailure{Error: "gave up"}, t0); err != nil {
		t.Fatal(err)
	}
	view(t, s, func(tx offboard.Tx) error {
		if _, err := tx.Job("j1"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("dead-lettered job still queued: %v", err)
		}
		return nil
	})
}
