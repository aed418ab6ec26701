package flows

import (
	"github.com/offboard-dev/offboard"
)

// TickBatch bounds the due tasks, and the woken cases that act, one Tick
// takes, so one transaction stays short; the scheduler ticks again while
// Result.More is set. It is the default of Options.TickBatch.
const TickBatch = 500

// maxHeldCases bounds the woken cases one Tick reads: a case whose nudge
// waits for business hours stays due and is read again each tick, but
// never keeps a later case waiting behind a batch of held ones.
const maxHeldCases = 20 * TickBatch

func (d *decision) tick() (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's scheduler ticks")
	}
	batch := d.e.tickBatch
	refs, err := d.tx.DueTasks(d.now, batch)
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
	// The cases whose wake time came: the rest owe nothing now.
	// The tick stops after a batch of them act, or maxHeldCases were
	// read.
	woken, err := d.tx.DueWakes(d.now, maxHeldCases+batch)
	if err != nil {
		return nil, err
	}
	acted, more := 0, false
	for i, id := range woken {
		if acted == batch {
			more = true
			break
		}
		open, err := d.wakeCase(id)
		if err != nil {
			return nil, err
		}
		if !open {
			continue
		}
		before := d.audits
		d.mark(id) // its wake time moves on (resummarize)
		// A device still not back long after access went is put to the
		// manager and Finance to write off.
		if err := d.askWriteOffs([]offboard.CaseID{id}); err != nil {
			return nil, err
		}
		// Nothing stalls: reminders, escalations and overdue notices,
		// derived from stored state and now alone.
		if err := d.nudge([]offboard.CaseID{id}); err != nil {
			return nil, err
		}
		if d.audits > before {
			acted++
		} else if i >= maxHeldCases {
			// Cases held by business hours cost a read each; past this
			// many the rest wait for the next tick.
			more = true
			break
		}
	}
	return &offboard.Result{Advanced: advanced, More: len(refs) == batch || more, Message: "tick"}, nil
}
