package flows

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestMoveTask(t *testing.T) {
	all := []offboard.TaskStatus{offboard.TaskPending, offboard.TaskScheduled, offboard.TaskWaitingApproval,
		offboard.TaskRunning, offboard.TaskDone, offboard.TaskUnverified, offboard.TaskFailed, offboard.TaskSkipped}
	for _, from := range all {
		for _, to := range all {
			task := &offboard.Task{CaseID: "OFF-0001", Key: "okta_suspend", Status: from}
			err := moveTask(task, to)
			allowed := from == to || offboard.CanMove(from, to)
			switch {
			case allowed && err != nil:
				t.Errorf("%s → %s: %v; the table allows it", from, to, err)
			case allowed && task.Status != to:
				t.Errorf("%s → %s: status is %s", from, to, task.Status)
			case !allowed && offboard.ErrorCode(err) != offboard.EINTERNAL:
				t.Errorf("%s → %s: error %v, want an internal error", from, to, err)
			case !allowed && task.Status != from:
				t.Errorf("%s → %s refused but status changed to %s", from, to, task.Status)
			}
		}
	}
	// Settled tasks never move; asking again after a failed run does.
	if moveTask(&offboard.Task{Status: offboard.TaskDone}, offboard.TaskRunning) == nil {
		t.Error("done → running allowed")
	}
	if err := moveTask(&offboard.Task{Status: offboard.TaskFailed}, offboard.TaskWaitingApproval); err != nil {
		t.Errorf("failed → waiting_approval: %v", err)
	}
}
