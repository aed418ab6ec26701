package flows

import (
	"github.com/offboard-dev/offboard"
)

// TickBatch bounds the due tasks one Tick takes, so one transaction stays
// short; the scheduler ticks again while Result.More is set.
const TickBatch = 500

func (d *decision) tick() (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's scheduler ticks")
	}
	refs, err := d.tx.DueTasks(d.now, TickBatch)
	if err != nil {
		return nil, err
	}
	cases := map[offboard.CaseID]*offboard.Case{}
	var order []offboard.CaseID
	for _, r := range refs {
		if _, ok := cases[r.CaseID]; ok {
			continue
		}
		cs, err := d.tx.Case(r.CaseID)
		if err != nil {
			return nil, err
		}
		cases[r.CaseID] = cs
		order = append(order, r.CaseID)
	}
	advanced := 0
	for _, id := range order {
		cs := cases[id]
		if cs.Status.Closed() {
			// Nothing runs on a closed case; drop its tasks from the index.
			for _, r := range refs {
				if r.CaseID != id {
					continue
				}
				t, err := d.tx.Task(id, r.Key)
				if err != nil {
					return nil, err
				}
				t.RunAt = nil
				if err := d.putTask(t); err != nil {
					return nil, err
				}
			}
			continue
		}
		before := d.jobs
		if err := d.advance(cs); err != nil {
			return nil, err
		}
		advanced += d.jobs - before
	}
	// A device still not back long after access went is put to the
	// manager and Finance to write off.
	if err := d.askWriteOffs(); err != nil {
		return nil, err
	}
	// Nothing stalls: reminders, escalations and overdue notices, derived
	// from stored state and now alone.
	if err := d.nudge(); err != nil {
		return nil, err
	}
	return &offboard.Result{Advanced: advanced, More: len(refs) == TickBatch, Message: "tick"}, nil
}
