package flows

import (
	"strings"

	"github.com/offboard-dev/offboard"
)

// maxUserID bounds a user id a connector reports; vendors' ids are short
// (Okta's are 20 characters), so a longer one is a connector's bug.
const maxUserID = 256

// recordUserID keeps the employee's user id in the system of job j's
// action, which a connector found, on the case and on the case's queued
// action jobs of that system, so those run without looking the person up
// again. A leased job is left alone: its worker already has its target.
func (d *decision) recordUserID(cs *offboard.Case, j *offboard.Job, id string) error {
	id = strings.TrimSpace(id)
	system := offboard.ActionSystem(j.Action)
	if id == "" || len(id) > maxUserID || system == "" || cs.UserIDs[system] == id {
		return nil
	}
	if cs.UserIDs == nil {
		cs.UserIDs = map[string]string{}
	}
	cs.UserIDs[system] = id
	if err := d.putCase(cs); err != nil {
		return err
	}
	jobs, err := d.tx.JobsForCase(cs.ID)
	if err != nil {
		return err
	}
	for _, q := range jobs {
		if q.Kind != offboard.JobAction || q.Leased || q.Target == nil || offboard.ActionSystem(q.Action) != system {
			continue
		}
		if q.Target.UserIDs == nil {
			q.Target.UserIDs = map[string]string{}
		}
		q.Target.UserIDs[system] = id
		if err := d.tx.PutJob(q); err != nil {
			return err
		}
	}
	return nil
}
