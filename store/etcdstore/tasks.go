package etcdstore

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// taskRecord is a task as stored: offboard.Secrets marshals as "set", so
// the store keeps the values in a plain map that takes the "secrets" key
// (as the bbolt store does).
type taskRecord struct {
	*offboard.Task
	Secrets map[string]string `json:"secrets,omitempty"`
}

func (r taskRecord) task() *offboard.Task {
	if r.Task == nil {
		r.Task = &offboard.Task{}
	}
	r.Task.Secrets = r.Secrets
	return r.Task
}

// Tasks returns a case's tasks sorted by Order, then key.
func (t *tx) Tasks(id offboard.CaseID) ([]*offboard.Task, error) {
	kvs, err := t.scanPrefix(kindTasks + prefixOf(string(id)))
	if err != nil {
		return nil, err
	}
	tasks := make([]*offboard.Task, 0, len(kvs))
	for _, e := range kvs {
		var rec taskRecord
		if err := json.Unmarshal(e.val, &rec); err != nil {
			return nil, fmt.Errorf("etcdstore: task %q on case %s: %w", e.key, id, err)
		}
		tasks = append(tasks, rec.task())
	}
	slices.SortFunc(tasks, func(a, b *offboard.Task) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Key, b.Key))
	})
	return tasks, nil
}

// Task returns a copy of one task, or ENOTFOUND.
func (t *tx) Task(id offboard.CaseID, key string) (*offboard.Task, error) {
	var rec taskRecord
	ok, err := t.getJSON(kindTasks+join(string(id), key), &rec)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: task %q on case %s: %w", key, id, err)
	}
	if !ok {
		return nil, offboard.Errorf(offboard.ENOTFOUND, "no task %q on case %s", key, id)
	}
	return rec.task(), nil
}

// dueKey is the idx/due key of a task, or "" if it does not wait to run
// by itself.
func dueKey(caseID offboard.CaseID, key string, st offboard.TaskStatus, runAt *time.Time) string {
	if runAt == nil || (st != offboard.TaskPending && st != offboard.TaskScheduled && st != offboard.TaskWaitingApproval) {
		return ""
	}
	return kindIdxDue + u64(timeKey(*runAt)) + join(string(caseID), key)
}

// PutTask writes a task and keeps its idx/due entry.
func (t *tx) PutTask(tk *offboard.Task) error {
	if err := t.mustWrite("put task"); err != nil {
		return err
	}
	if err := checkKeyPart("task case id", string(tk.CaseID)); err != nil {
		return err
	}
	if err := checkKeyPart("task key", tk.Key); err != nil {
		return err
	}
	key := kindTasks + join(string(tk.CaseID), tk.Key)
	newDue := dueKey(tk.CaseID, tk.Key, tk.Status, tk.RunAt)
	var old struct {
		Status offboard.TaskStatus `json:"status"`
		RunAt  *time.Time          `json:"run_at,omitempty"`
	}
	existed, err := t.getJSON(key, &old)
	if err != nil {
		return fmt.Errorf("etcdstore: put task %q on case %s: read old record: %w", tk.Key, tk.CaseID, err)
	}
	if existed {
		if oldDue := dueKey(tk.CaseID, tk.Key, old.Status, old.RunAt); oldDue != "" && oldDue != newDue {
			t.del(oldDue)
		}
	}
	if err := t.putJSON(key, taskRecord{Task: tk, Secrets: tk.Secrets}); err != nil {
		return fmt.Errorf("etcdstore: put task %q on case %s: %w", tk.Key, tk.CaseID, err)
	}
	if newDue != "" {
		t.put(newDue, indexMark)
	}
	return nil
}

// DueTasks returns up to limit tasks (all if limit <= 0) whose RunAt <=
// now and that wait to run by themselves, earliest first. It reads only
// the index range up to now, so a task due later does not conflict.
func (t *tx) DueTasks(now time.Time, limit int) ([]offboard.TaskRef, error) {
	until := timeKey(now)
	end := kindIdxDue + u64(until+1)
	if until == 1<<63-1 {
		end = prefixEnd(kindIdxDue)
	}
	kvs, err := t.scan(kindIdxDue, end)
	if err != nil {
		return nil, err
	}
	var refs []offboard.TaskRef
	for _, e := range kvs {
		rest := strings.TrimPrefix(e.key, kindIdxDue)
		if len(rest) < 8 {
			return nil, fmt.Errorf("etcdstore: due index key %q is too short", e.key)
		}
		if binary.BigEndian.Uint64([]byte(rest[:8])) > until {
			break
		}
		id, key, _ := strings.Cut(rest[8:], "\x00")
		refs = append(refs, offboard.TaskRef{CaseID: offboard.CaseID(id), Key: key})
		if limit > 0 && len(refs) >= limit {
			break
		}
	}
	return refs, nil
}
