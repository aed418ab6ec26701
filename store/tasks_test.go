package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func taskKeys(ts []*offboard.Task) []string {
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.Key
	}
	return keys
}

func TestDB_Tasks(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx offboard.Tx) error {
		for _, tk := range []*offboard.Task{
			newTask("OFF-0001", "deactivate", 10, offboard.TaskPending, nil),
			newTask("OFF-0001", "suspend", 1, offboard.TaskPending, nil),
			newTask("OFF-0001", "mfa", 3, offboard.TaskPending, nil),
			newTask("OFF-0001", "sessions", 2, offboard.TaskPending, nil),
			// Another case whose id extends OFF-0001 must not leak in.
			newTask("OFF-00010", "other", 0, offboard.TaskPending, nil),
		} {
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx offboard.Tx) error {
		ts, err := tx.Tasks("OFF-0001")
		if err != nil {
			return err
		}
		if want := []string{"suspend", "sessions", "mfa", "deactivate"}; !slices.Equal(taskKeys(ts), want) {
			t.Errorf("Tasks = %v, want %v", taskKeys(ts), want)
		}
		none, err := tx.Tasks("OFF-0404")
		if err != nil || len(none) != 0 {
			t.Errorf("Tasks of an unknown case = %v, %v; want none", none, err)
		}
		tk, err := tx.Task("OFF-0001", "mfa")
		if err != nil {
			return err
		}
		if tk.Order != 3 || tk.CaseID != "OFF-0001" {
			t.Errorf("Task = %+v", tk)
		}
		_, err = tx.Task("OFF-0001", "nope")
		wantCode(t, err, offboard.ENOTFOUND)
		if err != nil && err.Error() != `no task "nope" on case OFF-0001` {
			t.Errorf("message %q", err)
		}
		return nil
	})
}

func TestDB_DueTasks(t *testing.T) {
	t.Run("only due, waiting tasks, in time order", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			for _, tk := range []*offboard.Task{
				newTask("OFF-0002", "late", 1, offboard.TaskScheduled, at(3*time.Hour)),
				newTask("OFF-0001", "second", 1, offboard.TaskWaitingApproval, at(2*time.Hour)),
				newTask("OFF-0003", "first", 1, offboard.TaskPending, at(time.Hour)),
				newTask("OFF-0001", "future", 2, offboard.TaskScheduled, at(5*time.Hour)),
				newTask("OFF-0001", "norunat", 3, offboard.TaskScheduled, nil),
				newTask("OFF-0001", "running", 4, offboard.TaskRunning, at(time.Hour)),
				newTask("OFF-0001", "failed", 5, offboard.TaskFailed, at(time.Hour)),
				newTask("OFF-0001", "ancient", 6, offboard.TaskScheduled, &time.Time{}),
			} {
				if err := tx.PutTask(tk); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx offboard.Tx) error {
			refs, err := tx.DueTasks(t0.Add(3*time.Hour), 0)
			if err != nil {
				return err
			}
			want := []offboard.TaskRef{
				{CaseID: "OFF-0001", Key: "ancient"},
				{CaseID: "OFF-0003", Key: "first"},
				{CaseID: "OFF-0001", Key: "second"},
				{CaseID: "OFF-0002", Key: "late"},
			}
			if !slices.Equal(refs, want) {
				t.Errorf("DueTasks = %v, want %v", refs, want)
			}
			refs, err = tx.DueTasks(t0.Add(3*time.Hour), 2)
			if !slices.Equal(refs, want[:2]) {
				t.Errorf("DueTasks limit 2 = %v, want %v", refs, want[:2])
			}
			return err
		})
	})

	t.Run("tasks leave the index when they run, finish or move", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			for _, tk := range []*offboard.Task{
				newTask("OFF-0001", "a", 1, offboard.TaskScheduled, at(time.Hour)),
				newTask("OFF-0001", "b", 2, offboard.TaskScheduled, at(time.Hour)),
				newTask("OFF-0001", "c", 3, offboard.TaskScheduled, at(time.Hour)),
				newTask("OFF-0001", "d", 4, offboard.TaskScheduled, at(time.Hour)),
			} {
				if err := tx.PutTask(tk); err != nil {
					return err
				}
			}
			return nil
		})
		update(t, db, func(tx offboard.Tx) error {
			change := map[string]func(*offboard.Task){
				"a": func(tk *offboard.Task) { tk.Status = offboard.TaskRunning },
				"b": func(tk *offboard.Task) { tk.Status = offboard.TaskDone },
				"c": func(tk *offboard.Task) { tk.RunAt = at(10 * time.Hour) },
				"d": func(tk *offboard.Task) { tk.Status = offboard.TaskPending },
			}
			for key, fn := range change {
				tk, err := tx.Task("OFF-0001", key)
				if err != nil {
					return err
				}
				fn(tk)
				if err := tx.PutTask(tk); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, db, func(tx offboard.Tx) error {
			refs, err := tx.DueTasks(t0.Add(2*time.Hour), 0)
			if want := []offboard.TaskRef{{CaseID: "OFF-0001", Key: "d"}}; !slices.Equal(refs, want) {
				t.Errorf("DueTasks at +2h = %v, want %v", refs, want)
			}
			if err != nil {
				return err
			}
			refs, err = tx.DueTasks(t0.Add(24*time.Hour), 0)
			if want := []offboard.TaskRef{{CaseID: "OFF-0001", Key: "d"}, {CaseID: "OFF-0001", Key: "c"}}; !slices.Equal(refs, want) {
				t.Errorf("DueTasks at +24h = %v, want %v (c once, at its new time)", refs, want)
			}
			return err
		})
	})
}

func TestDB_PutApproval(t *testing.T) {
	db := openDB(t)
	var ids []string
	update(t, db, func(tx offboard.Tx) error {
		for _, c := range []offboard.CaseID{"OFF-0001", "OFF-0002", "OFF-0001"} {
			id, err := tx.NextApprovalID(c)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if want := []string{"OFF-0001-A1", "OFF-0002-A2", "OFF-0001-A3"}; !slices.Equal(ids, want) {
		t.Fatalf("NextApprovalID = %v, want %v", ids, want)
	}
	update(t, db, func(tx offboard.Tx) error {
		for _, a := range []*offboard.Approval{
			{ID: "OFF-0001-A10", CaseID: "OFF-0001", TaskKey: "transfer", Approver: "boss@example.com", Status: offboard.ApprovalPending, Params: map[string]string{"to": "x"}},
			{ID: "OFF-0001-A3", CaseID: "OFF-0001", TaskKey: "wipe", Status: offboard.ApprovalPending},
			{ID: "OFF-0002-A2", CaseID: "OFF-0002", Status: offboard.ApprovalApproved},
		} {
			if err := tx.PutApproval(a); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, db, func(tx offboard.Tx) error {
		a, err := tx.Approval("OFF-0001-A3")
		if err != nil {
			return err
		}
		a.Status = offboard.ApprovalDenied
		return tx.PutApproval(a)
	})
	view(t, db, func(tx offboard.Tx) error {
		as, err := tx.Approvals("OFF-0001")
		if err != nil {
			return err
		}
		var got []string
		for _, a := range as {
			got = append(got, a.ID+":"+string(a.Status))
		}
		if want := []string{"OFF-0001-A3:denied", "OFF-0001-A10:pending"}; !slices.Equal(got, want) {
			t.Errorf("Approvals = %v, want %v", got, want)
		}
		a, err := tx.Approval("OFF-0001-A10")
		if err != nil {
			return err
		}
		if a.Params["to"] != "x" || a.Approver != "boss@example.com" {
			t.Errorf("Approval = %+v", a)
		}
		_, err = tx.Approval("OFF-0009-A1")
		wantCode(t, err, offboard.ENOTFOUND)
		return nil
	})
}

func TestDB_Dedupe(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx offboard.Tx) error {
		if _, ok, err := tx.Dedupe("bamboohr:evt-1"); ok || err != nil {
			t.Errorf("Dedupe before Put = %v, %v; want not found", ok, err)
		}
		return tx.PutDedupe("bamboohr:evt-1", "OFF-0007", t0)
	})
	view(t, db, func(tx offboard.Tx) error {
		id, ok, err := tx.Dedupe("bamboohr:evt-1")
		if id != "OFF-0007" || !ok || err != nil {
			t.Errorf("Dedupe = %s, %v, %v; want OFF-0007, true", id, ok, err)
		}
		if _, ok, _ := tx.Dedupe("bamboohr:evt-2"); ok {
			t.Error("an unknown key was found")
		}
		return nil
	})
	update(t, db, func(tx offboard.Tx) error {
		wantCode(t, tx.PutDedupe("", "OFF-0001", t0), offboard.EINVALID)
		return nil
	})
}
