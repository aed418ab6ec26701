package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// recordDeviceReturn adds what is known of a device's way back to the
// task tracking it, audits it, and settles the task once the device is
// received and wiped.
func (d *decision) recordDeviceReturn(c offboard.RecordDeviceReturn) (*offboard.Result, error) {
	cs, t, err := d.openCaseAndTask(c.CaseID, c.TaskKey)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanRunTask(d.actor, cs, t, d.e.depts); err != nil {
		return nil, err
	}
	if t.Track != offboard.TrackDeviceReturn {
		return nil, offboard.Errorf(offboard.EINVALID, "%q does not track a device return", t.Title)
	}
	if t.Status.Settled() {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already %s", t.Title, t.Status)
	}
	r := c.Return
	r.ShippingRef = strings.TrimSpace(r.ShippingRef)
	r.ReceivedOn = strings.TrimSpace(r.ReceivedOn)
	r.WipedBy = strings.ToLower(strings.TrimSpace(r.WipedBy))
	if fe := r.Validate(d.now, d.e.loc); len(fe) > 0 {
		keys := slices.Sorted(maps.Keys(fe))
		msgs := make([]string, len(keys))
		for i, k := range keys {
			msgs[i] = k + ": " + fe[k]
		}
		return nil, offboard.Errorf(offboard.EINVALID, "device return: %s", strings.Join(msgs, "; "))
	}
	if r.Wiped && strings.EqualFold(r.WipedBy, cs.Employee.Email) {
		return nil, offboard.Errorf(offboard.EINVALID, "device return: wiped_by: the person leaving cannot be who wiped it")
	}
	if r == (offboard.DeviceReturn{}) {
		return nil, offboard.Errorf(offboard.EINVALID, "device return: nothing to record")
	}
	merged := offboard.DeviceReturnOf(t).Merge(r)
	ev := maps.Clone(t.Evidence)
	if ev == nil {
		ev = map[string]string{}
	}
	maps.Copy(ev, merged.Evidence())
	ev["return.recorded_by"] = d.actorName()
	detail := fmt.Sprintf("%s recorded the return: %s", d.actorName(), merged.Words())
	if !merged.Complete() {
		t.Evidence = ev
		if t.Assignee == "" {
			t.Assignee = d.actorName()
		}
		if err := d.putTask(t); err != nil {
			return nil, err
		}
		if err := d.audit(cs.ID, "task.device_return", t.Key, offboard.OutcomeOK, detail, merged.Evidence()); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q: %s", t.Title, merged.Words()))
	}
	if err := d.finish(cs, t, offboard.TaskDone, ev); err != nil {
		return nil, err
	}
	if err := d.audit(cs.ID, "task.done", t.Key, offboard.OutcomeOK, detail, merged.Evidence()); err != nil {
		return nil, err
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q is done: %s", t.Title, merged.Words()))
}
