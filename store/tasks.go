package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/offboard-dev/offboard"
)

// Tasks returns a case's tasks sorted by Order (then key). A case without
// tasks has none; that is not an error.
func (t *tx) Tasks(id offboard.CaseID) ([]*offboard.Task, error) {
	var tasks []*offboard.Task
	err := scanPrefix(t.bucket(bucketTasks), prefixKey(string(id)), func(k, v []byte) error {
		var rec taskRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("store: task %q on case %s: %w", k, id, err)
		}
		tasks = append(tasks, rec.task())
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(tasks, func(a, b *offboard.Task) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Key, b.Key))
	})
	return tasks, nil
}

// Task returns a copy of one task, or ENOTFOUND.
func (t *tx) Task(id offboard.CaseID, key string) (*offboard.Task, error) {
	var rec taskRecord
	ok, err := getJSON(t.bucket(bucketTasks), joinKey(string(id), key), &rec)
	if err != nil {
		return nil, fmt.Errorf("store: task %q on case %s: %w", key, id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no task %q on case %s", key, id)
	}
	return rec.task(), nil
}

// taskRecord is a task as stored. offboard.Secrets marshals as "set" so
// that no task printed elsewhere carries a value; the store alone keeps
// the values, in a plain map whose field, being shallower, takes the
// task's "secrets" key.
type taskRecord struct {
	*offboard.Task
	Secrets map[string]string `json:"secrets,omitempty"`
}

func recordOf(tk *offboard.Task) taskRecord {
	return taskRecord{Task: tk, Secrets: tk.Secrets}
}

func (r taskRecord) task() *offboard.Task {
	if r.Task == nil {
		r.Task = &offboard.Task{}
	}
	r.Task.Secrets = r.Secrets
	return r.Task
}

// dueStatus reports whether a task with RunAt set belongs in idx_due:
// it still waits to run by itself.
func dueStatus(s offboard.TaskStatus) bool {
	return s == offboard.TaskPending || s == offboard.TaskScheduled || s == offboard.TaskWaitingApproval
}

// dueKey is the idx_due key of a task, or nil if it is not due-able.
func dueKey(tk *offboard.Task) []byte {
	if tk.RunAt == nil || !dueStatus(tk.Status) {
		return nil
	}
	k := u64(timeKey(*tk.RunAt))
	return append(k, joinKey(string(tk.CaseID), tk.Key)...)
}

// taskIndexed is the part of a stored task the due index needs.
type taskIndexed struct {
	CaseID offboard.CaseID     `json:"case_id"`
	Key    string              `json:"key"`
	Status offboard.TaskStatus `json:"status"`
	RunAt  *time.Time          `json:"run_at,omitempty"`
}

// PutTask writes a task and keeps its idx_due entry: present iff RunAt is
// set and the task is pending, scheduled or waiting for an approval.
func (t *tx) PutTask(tk *offboard.Task) error {
	if err := t.writable("put task"); err != nil {
		return err
	}
	if err := checkKeyPart("task case id", string(tk.CaseID)); err != nil {
		return err
	}
	if err := checkKeyPart("task key", tk.Key); err != nil {
		return err
	}
	tasks := t.bucket(bucketTasks)
	due := t.bucket(bucketIdxDue)
	key := joinKey(string(tk.CaseID), tk.Key)
	newDue := dueKey(tk)

	var old taskIndexed
	existed, err := getJSON(tasks, key, &old)
	if err != nil {
		return fmt.Errorf("store: put task %q on case %s: read old record: %w", tk.Key, tk.CaseID, err)
	}
	if existed {
		oldDue := dueKey(&offboard.Task{CaseID: tk.CaseID, Key: tk.Key, Status: old.Status, RunAt: old.RunAt})
		if oldDue != nil && string(oldDue) != string(newDue) {
			if err := due.Delete(oldDue); err != nil {
				return fmt.Errorf("store: put task %q on case %s: %w", tk.Key, tk.CaseID, err)
			}
		}
	}
	if err := putJSON(tasks, key, recordOf(tk)); err != nil {
		return fmt.Errorf("store: put task %q on case %s: %w", tk.Key, tk.CaseID, err)
	}
	if newDue != nil {
		if err := due.Put(newDue, nil); err != nil {
			return fmt.Errorf("store: put task %q on case %s: %w", tk.Key, tk.CaseID, err)
		}
	}
	return nil
}

// DueTasks returns up to limit tasks (all if limit <= 0) whose RunAt <= now
// and that still wait to run by themselves, earliest first.
func (t *tx) DueTasks(now time.Time, limit int) ([]offboard.TaskRef, error) {
	var refs []offboard.TaskRef
	until := timeKey(now)
	c := t.bucket(bucketIdxDue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 8 {
			return nil, fmt.Errorf("store: due index key %q is too short", k)
		}
		if binary.BigEndian.Uint64(k[:8]) > until {
			break
		}
		id, key := splitKey(k[8:])
		refs = append(refs, offboard.TaskRef{CaseID: offboard.CaseID(id), Key: key})
		if limit > 0 && len(refs) >= limit {
			break
		}
	}
	return refs, nil
}
