package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

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
	r.ReassignedTo = strings.ToLower(strings.TrimSpace(r.ReassignedTo))
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
	if strings.EqualFold(r.ReassignedTo, cs.Employee.Email) {
		return nil, offboard.Errorf(offboard.EINVALID, "device return: reassigned_to: the device cannot be handed back to the person leaving")
	}
	if r.ReassignedTo != "" && r.ReceivedOn == "" && offboard.DeviceReturnOf(t).ReceivedOn == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "device return: reassigned_to: record the day it was received first")
	}
	if r == (offboard.DeviceReturn{}) {
		return nil, offboard.Errorf(offboard.EINVALID, "device return: nothing to record")
	}
	if r.ReceivedOn != "" {
		if err := d.receivedDuringWriteOff(cs, t); err != nil {
			return nil, err
		}
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

// DefaultWriteOffAfter is how long after the revocation point a device
// not received is put to the manager and Finance for a write-off: the
// fallback for a zero Options.WriteOffAfter (serve passes config's
// devices.write_off_after, and a test in cmd/offboard keeps them equal).
const DefaultWriteOffAfter = 30 * 24 * time.Hour

// askWriteOffs asks, on Tick, for the write-off of every device return
// of the cases ids (those whose wake time came) that is still not
// received WriteOffAfter past its case's revocation point. The ask is recorded on the task (its approval kind and the
// write-off evidence), so it happens once: a later tick, a restart or a
// denial never asks again by itself (people can, with Ask again). It
// reads only, and writes nothing, when nothing is due.
func (d *decision) askWriteOffs(ids []offboard.CaseID) error {
	after := d.e.writeOffAfter
	if after <= 0 {
		return nil
	}
	for _, id := range ids {
		cs, err := d.tx.Case(id)
		if err != nil {
			return err
		}
		if cs.Status.Closed() || cs.RevokeAt.IsZero() || d.now.Before(cs.RevokeAt.Add(after)) {
			continue
		}
		// A question to people, like a reminder: it waits for the
		// manager's business hours (a revocation would not).
		if !d.e.escalation.inHours(d.now, cs.Employee.ManagerEmail) {
			continue
		}
		tasks, err := d.tx.Tasks(id)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if !writeOffDue(t) {
				continue
			}
			if err := d.askWriteOff(cs, t, tasks, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeOffDue reports whether t is a device return never received and
// never put to a write-off. A task gated on another approval is left to it.
func writeOffDue(t *offboard.Task) bool {
	return t.Track == offboard.TrackDeviceReturn && !t.Status.Settled() && t.Approval == "" &&
		t.Evidence[offboard.EvidenceWriteOff] == "" && offboard.DeviceReturnOf(t).ReceivedOn == ""
}

// askWriteOff puts device return t to its manager_finance approval:
// the task waits for it (the return can still be recorded meanwhile),
// its evidence says the write-off was asked and what the devices are
// worth, and the question shows the devices from the case's newest
// device list. approver, when set, stands in for the manager (Ask again).
func (d *decision) askWriteOff(cs *offboard.Case, t *offboard.Task, tasks []*offboard.Task, approver string) error {
	if err := moveTask(t, offboard.TaskWaitingApproval); err != nil {
		return err
	}
	lines, value := writeOffDevices(offboard.LatestDevices(tasks), d.now)
	t.Approval, t.LastError = offboard.ApproverManagerFinance, ""
	ev := maps.Clone(t.Evidence)
	if ev == nil {
		ev = map[string]string{}
	}
	ev[offboard.EvidenceWriteOff] = offboard.WriteOffAsked
	ev[offboard.EvidenceWriteOffValue] = value
	t.Evidence = ev
	if err := d.putTask(t); err != nil {
		return err
	}
	d.touchDepartment(cs.ID, offboard.DeptFinance)
	since := "since access went"
	if d.e.writeOffAfter > 0 {
		since = fmt.Sprintf("%s after access went (%s)", offboard.Duration(d.e.writeOffAfter), cs.RevokeAt.In(d.e.loc).Format("2006-01-02"))
	}
	question := fmt.Sprintf("Write off the equipment %s has not returned? It is still not received %s (%q: %s). %s",
		cs.Employee.DisplayName(), since, t.Title, offboard.DeviceReturnOf(t).Words(), lines)
	if err := d.audit(cs.ID, "device.write_off_asked", t.Key, offboard.OutcomeOK,
		fmt.Sprintf("not received %s; asked the manager and one person of %s to write it off (value %s)",
			since, d.e.depts.Label(offboard.DeptFinance), value), nil); err != nil {
		return err
	}
	return d.createApproval(cs, t, question, nil, approver)
}

// writeOffDevices says the devices for a write-off question, one
// sentence each with its value, and the values for the evidence
// ("unknown" when no device system reported one).
func writeOffDevices(snaps []offboard.DeviceSnapshot, now time.Time) (lines, value string) {
	var parts, values []string
	for _, s := range snaps {
		for _, dev := range s.Devices {
			v := dev.Value
			if v == "" {
				v = "unknown"
			} else {
				values = append(values, v)
			}
			parts = append(parts, fmt.Sprintf("%s (%s) · value %s.", dev.Line(now), orWords(s.Label, s.System), v))
		}
	}
	if len(parts) == 0 {
		parts = []string{"No device system listed a device for the person; the value is unknown."}
	}
	value = "unknown"
	if len(values) > 0 {
		value = strings.Join(values, "; ")
	}
	return strings.Join(parts, " "), value
}

func orWords(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// touchDepartment redraws dept's card of the case too: a write-off is on
// Finance's card though its task is IT's.
func (d *decision) touchDepartment(id offboard.CaseID, dept offboard.Department) {
	if d.touched == nil {
		d.touched = map[offboard.CaseID]map[offboard.Department]bool{}
	}
	if d.touched[id] == nil {
		d.touched[id] = map[offboard.Department]bool{}
	}
	d.touched[id][dept] = true
}

// writeOffDecided settles device return t after its write-off approval a
// was decided: granted, the task is done as written off (by whom, when,
// the value); denied, it stays open, waiting and chased as overdue, and
// nobody is asked again unless someone clicks Ask again.
func (d *decision) writeOffDecided(cs *offboard.Case, t *offboard.Task, a *offboard.Approval, detail string) error {
	ev := maps.Clone(t.Evidence)
	if ev == nil {
		ev = map[string]string{}
	}
	d.touchDepartment(cs.ID, offboard.DeptFinance)
	if a.Status != offboard.ApprovalApproved {
		ev[offboard.EvidenceWriteOff] = offboard.WriteOffDenied
		t.Evidence, t.LastError = ev, "Write-off "+detail+"; the device is still expected back"
		if err := d.putTask(t); err != nil {
			return err
		}
		return d.audit(cs.ID, "device.write_off_denied", t.Key, offboard.OutcomeOK, "write-off "+detail, nil)
	}
	var by []string
	for _, dec := range a.Decisions {
		if dec.Approve {
			by = append(by, dec.By)
		}
	}
	ev[offboard.EvidenceWriteOff] = offboard.WriteOffWrittenOff
	ev[offboard.EvidenceWrittenOffBy] = strings.Join(by, ", ")
	ev[offboard.EvidenceWrittenOffAt] = d.now.Format(time.RFC3339)
	// The approval settles the task: waiting → pending → done, each a
	// move the table allows.
	if err := moveTask(t, offboard.TaskPending); err != nil {
		return err
	}
	t.LastError = ""
	if err := d.finish(cs, t, offboard.TaskDone, ev); err != nil {
		return err
	}
	words := offboard.WriteOffWords(t)
	return d.audit(cs.ID, "task.done", t.Key, offboard.OutcomeOK, words+", approval "+a.ID,
		map[string]string{offboard.EvidenceWriteOff: offboard.WriteOffWrittenOff, offboard.EvidenceWrittenOffBy: ev[offboard.EvidenceWrittenOffBy],
			offboard.EvidenceWrittenOffAt: ev[offboard.EvidenceWrittenOffAt], offboard.EvidenceWriteOffValue: ev[offboard.EvidenceWriteOffValue]})
}

// receivedDuringWriteOff takes back a write-off still waiting once the
// device is recorded received: the question no longer stands, so its
// approval is void and the task is an ordinary return again.
func (d *decision) receivedDuringWriteOff(cs *offboard.Case, t *offboard.Task) error {
	if t.Approval != offboard.ApproverManagerFinance || t.Evidence[offboard.EvidenceWriteOff] == offboard.WriteOffWrittenOff {
		return nil
	}
	if err := d.voidApprovals(cs.ID, t.Key, "the device was recorded received; no write-off needed"); err != nil {
		return err
	}
	if err := moveTask(t, offboard.TaskPending); err != nil {
		return err
	}
	t.Approval, t.LastError = "", ""
	delete(t.Evidence, offboard.EvidenceWriteOff)
	delete(t.Evidence, offboard.EvidenceWriteOffValue)
	d.touchDepartment(cs.ID, offboard.DeptFinance)
	return nil
}
