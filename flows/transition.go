package flows

import "github.com/offboard-dev/offboard"

// moveTask sets t's status to to, checked against offboard's one table of
// task transitions (offboard.CanMove). Staying put is no transition. A
// move the table lacks is a bug in the engine, not a user's conflict, so
// it is an internal error and t is left as it was.
func moveTask(t *offboard.Task, to offboard.TaskStatus) error {
	if t.Status == to {
		return nil
	}
	if !offboard.CanMove(t.Status, to) {
		return offboard.Errorf(offboard.EINTERNAL, "flows: task %s of %s cannot go from %s to %s", t.Key, t.CaseID, t.Status, to)
	}
	t.Status = to
	return nil
}
