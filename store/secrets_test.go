package store_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestDB_PutTask_KeepsSecretValues: a task's secrets print as "set"
// everywhere, yet the store keeps and returns their values, through
// Task and Tasks alike, and a put without them clears them.
func TestDB_PutTask_KeepsSecretValues(t *testing.T) {
	db := openDB(t)
	tk := newTask("OFF-0001", "lock", 1, offboard.TaskDone, nil)
	tk.Secrets = offboard.Secrets{"device_pin:d1": "482913"}
	update(t, db, func(tx offboard.Tx) error { return tx.PutTask(tk) })
	view(t, db, func(tx offboard.Tx) error {
		one, err := tx.Task("OFF-0001", "lock")
		if err != nil {
			return err
		}
		all, err := tx.Tasks("OFF-0001")
		if err != nil {
			return err
		}
		if one.Secrets["device_pin:d1"] != "482913" || len(all) != 1 || all[0].Secrets["device_pin:d1"] != "482913" {
			t.Errorf("stored secrets lost: Task %d, Tasks %d", len(one.Secrets), len(all[0].Secrets))
		}
		if one.Key != "lock" || one.Status != offboard.TaskDone {
			t.Errorf("task read back as %q %s", one.Key, one.Status)
		}
		return nil
	})
	tk.Secrets = nil
	update(t, db, func(tx offboard.Tx) error { return tx.PutTask(tk) })
	view(t, db, func(tx offboard.Tx) error {
		one, err := tx.Task("OFF-0001", "lock")
		if err == nil && len(one.Secrets) != 0 {
			t.Errorf("cleared secrets came back: %d", len(one.Secrets))
		}
		return err
	})
}
