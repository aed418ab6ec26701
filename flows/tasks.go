package flows

import (
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

func (d *decision) openCaseAndTask(id offboard.CaseID, key string) (*offboard.Case, *offboard.Task, error) {
	cs, err := d.loadCase(id)
	if err != nil {
		return nil, nil, err
	}
	t, err := d.loadTask(cs, key)
	if err != nil {
		return nil, nil, err
	}
	// A restore task is the one thing that still runs on a cancelled case.
	if cs.Status.Closed() && !(t.Restore && cs.Status == offboard.CaseCancelled) {
		return nil, nil, offboard.Errorf(offboard.ECONFLICT, "%s is %s; nothing more can change on it", cs.ID, cs.Status)
	}
	return cs, t, nil
}

func (d *decision) startTask(c offboard.StartTask) (*offboard.Result, error) {
	cs, t, err := d.openCaseAndTask(c.CaseID, c.TaskKey)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanRunTask(d.actor, cs, t, d.e.depts); err != nil {
		return nil, err
	}
	if t.Status.Settled() {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already %s", t.Title, t.Status)
	}
	if t.Manual() {
		who := d.actorName()
		if t.Assignee == who {
			return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already yours", t.Title)
		}
		t.Assignee = who
		if err := d.putTask(t); err != nil {
			return nil, err
		}
		if err := d.audit(cs.ID, "task.claimed", t.Key, offboard.OutcomeOK, who+" took the task", nil); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q is now assigned to %s", t.Title, who))
	}
	switch t.Status {
	case offboard.TaskRunning:
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already running", t.Title)
	case offboard.TaskWaitingApproval:
		return nil, d.needsApproval(cs, t)
	}
	if t.Approval != "" {
		ok, err := d.approved(cs, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, d.needsApproval(cs, t)
		}
	}
	if err := d.checkOrder(cs, t, c); err != nil {
		return nil, err
	}
	detail := "started by " + d.actorName()
	if d.now.Before(readyAt(cs, t)) {
		detail += ", ahead of schedule"
	}
	// Only this task is the person's doing, not what runs after it.
	d.byHand = true
	err = d.run(cs, t, detail)
	d.byHand = false
	if err != nil {
		return nil, err
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q started", t.Title))
}

// checkOrder keeps the playbook's safe order for a person's click: a
// task whose After tasks are not settled runs only with an override and
// a reason, which are audited with what was unsettled. Once its max_wait
// has run out the playbook itself says run anyway, so no override is
// needed then.
func (d *decision) checkOrder(cs *offboard.Case, t *offboard.Task, c offboard.StartTask) error {
	if len(t.After) == 0 {
		return nil
	}
	if t.MaxWait > 0 && !d.now.Before(readyAt(cs, t).Add(t.MaxWait.D())) {
		return nil
	}
	all, err := d.tx.Tasks(cs.ID)
	if err != nil {
		return err
	}
	unsettled := t.Unsettled(all)
	if len(unsettled) == 0 {
		return nil
	}
	words := make([]string, len(unsettled))
	keys := make([]string, len(unsettled))
	for i, u := range unsettled {
		words[i] = fmt.Sprintf("%s (%s)", u.Title, u.Status.StatusWords())
		keys[i] = u.Key
	}
	risk := t.OutOfOrderRisk()
	if !c.Override {
		return offboard.Errorf(offboard.ECONFLICT, "%q waits for %s: %s; run it before them only with an override and a reason",
			t.Title, strings.Join(words, ", "), risk)
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return offboard.Errorf(offboard.EINVALID, "a reason is required to run %q before %s", t.Title, strings.Join(words, ", "))
	}
	return d.audit(cs.ID, "task.order_overridden", t.Key, offboard.OutcomeOK,
		fmt.Sprintf("%s ran %q before %s: %s", d.actorName(), t.Title, strings.Join(words, ", "), reason),
		map[string]string{"override": "true", "reason": reason, "unsettled": strings.Join(keys, ", "), "risk": risk})
}

func (d *decision) completeTask(c offboard.CompleteTask) (*offboard.Result, error) {
	cs, t, err := d.openCaseAndTask(c.CaseID, c.TaskKey)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanRunTask(d.actor, cs, t, d.e.depts); err != nil {
		return nil, err
	}
	note := strings.TrimSpace(c.Note)
	switch {
	case t.Status.Settled():
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already %s", t.Title, t.Status)
	case t.Status == offboard.TaskWaitingApproval:
		return nil, d.needsApproval(cs, t)
	case t.Status == offboard.TaskRunning:
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is running; wait for its result", t.Title)
	case !t.Manual() && t.Status != offboard.TaskFailed && t.Status != offboard.TaskUnverified:
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q runs by itself; run it now or skip it instead", t.Title)
	case !t.Manual() && note == "":
		return nil, offboard.Errorf(offboard.EINVALID, "say how you checked %q by hand (a note is required)", t.Title)
	case t.Track == offboard.TrackDeviceReturn && !offboard.DeviceReturnOf(t).Complete():
		// Done means the device is back and wiped; a click cannot say so.
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is done once the device is recorded received and wiped (%s); record the return",
			t.Title, offboard.DeviceReturnOf(t).Words())
	}
	if t.Approval != "" {
		ok, err := d.approved(cs, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, d.needsApproval(cs, t)
		}
	}
	evidence := map[string]string{"confirmed_by": d.actorName()}
	if note != "" {
		evidence["note"] = note
	}
	if !t.Manual() {
		evidence["previous_status"] = string(t.Status)
	}
	if err := d.finish(cs, t, offboard.TaskDone, evidence); err != nil {
		return nil, err
	}
	if err := d.audit(cs.ID, "task.done", t.Key, offboard.OutcomeOK, "marked done by "+d.actorName(), evidence); err != nil {
		return nil, err
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q is done", t.Title))
}

func (d *decision) skipTask(c offboard.SkipTask) (*offboard.Result, error) {
	cs, t, err := d.openCaseAndTask(c.CaseID, c.TaskKey)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "a reason is required to skip %q", t.Title)
	}
	if err := offboard.CanSkipTask(d.actor, cs, t, d.e.depts); err != nil {
		return nil, err
	}
	if t.Status.Settled() {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already %s", t.Title, t.Status)
	}
	if t.Status == offboard.TaskRunning {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is running; wait for its result", t.Title)
	}
	t.SkipReason = reason
	if err := d.finish(cs, t, offboard.TaskSkipped, nil); err != nil {
		return nil, err
	}
	if err := d.voidApprovals(cs.ID, t.Key, "the task was skipped"); err != nil {
		return nil, err
	}
	if err := d.audit(cs.ID, "task.skipped", t.Key, offboard.OutcomeOK, reason, nil); err != nil {
		return nil, err
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q skipped", t.Title))
}

// finish settles a task.
func (d *decision) finish(cs *offboard.Case, t *offboard.Task, st offboard.TaskStatus, evidence map[string]string) error {
	if !offboard.CanMove(t.Status, st) {
		return offboard.Errorf(offboard.ECONFLICT, "%q cannot go from %s to %s", t.Title, t.Status, st)
	}
	now := d.now
	if err := moveTask(t, st); err != nil {
		return err
	}
	t.RunAt, t.Progress = nil, ""
	if st == offboard.TaskDone {
		t.CompletedAt, t.CompletedBy = &now, d.actorName()
	}
	if evidence != nil {
		t.Evidence = evidence
	}
	return d.putTask(t)
}

func (d *decision) cancelCase(c offboard.CancelCase) (*offboard.Result, error) {
	cs, err := d.loadCase(c.CaseID)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanCancelCase(d.actor, cs); err != nil {
		return nil, err
	}
	if cs.Status.Closed() {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%s is already %s", cs.ID, cs.Status)
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "a reason is required to cancel %s", cs.ID)
	}
	jobs, err := d.tx.JobsForCase(cs.ID)
	if err != nil {
		return nil, err
	}
	inFlight := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j.Leased && j.Kind == offboard.JobAction:
			inFlight[j.TaskKey] = true // its result will still be recorded
		case j.Kind == offboard.JobAction:
			if err := d.tx.DeleteJob(j.ID); err != nil {
				return nil, err
			}
		}
	}
	tasks, err := d.tx.Tasks(cs.ID)
	if err != nil {
		return nil, err
	}
	var running []string
	for _, t := range tasks {
		if inFlight[t.Key] && t.Priority == offboard.PriorityRevocation && !t.Manual() {
			running = append(running, t.Title)
		}
		if t.Status.Settled() || inFlight[t.Key] {
			continue
		}
		if err := moveTask(t, offboard.TaskSkipped); err != nil {
			return nil, err
		}
		t.RunAt, t.SkipReason = nil, "case cancelled: "+reason
		if err := d.putTask(t); err != nil {
			return nil, err
		}
	}
	if err := d.voidApprovals(cs.ID, "", "the case was cancelled"); err != nil {
		return nil, err
	}
	now := d.now
	cs.Status, cs.ClosedAt, cs.CancelReason = offboard.CaseCancelled, &now, reason
	if err := d.putCase(cs); err != nil {
		return nil, err
	}
	detail := reason
	if len(running) > 0 {
		// Its result still comes; if it succeeds, IT gets a restore task.
		detail += fmt.Sprintf(" (%s is still running; if it succeeds, IT is asked to restore access)", strings.Join(running, ", "))
	}
	if err := d.audit(cs.ID, "case.cancelled", "", offboard.OutcomeOK, detail, nil); err != nil {
		return nil, err
	}
	if err := d.ensureRestore(cs, tasks, nil); err != nil {
		return nil, err
	}
	if err := d.notify(offboard.Notice{Kind: offboard.NoticeCaseCancelled, CaseID: cs.ID,
		Text: fmt.Sprintf("%s for %s was cancelled by %s: %s", cs.ID, cs.Employee.DisplayName(), d.actorName(), reason)}); err != nil {
		return nil, err
	}
	return d.result(cs, fmt.Sprintf("%s cancelled", cs.ID))
}

// actorName is how the actor is recorded on tasks and approvals.
func (d *decision) actorName() string {
	if d.actor.Email != "" {
		return d.actor.Email
	}
	return string(d.actor.Kind) + ":" + d.actor.ID
}

// advanceAndResult lets the case move on after a change, then reports it.
func (d *decision) advanceAndResult(cs *offboard.Case, msg string) (*offboard.Result, error) {
	if err := d.advance(cs); err != nil {
		return nil, err
	}
	return d.result(cs, msg)
}

func (d *decision) revokeNow(c offboard.RevokeNow) (*offboard.Result, error) {
	cs, err := d.loadCase(c.CaseID)
	if err != nil {
		return nil, err
	}
	if cs.Status.Closed() {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%s is %s; nothing more can change on it", cs.ID, cs.Status)
	}
	tasks, err := d.tx.Tasks(cs.ID)
	if err != nil {
		return nil, err
	}
	var due []*offboard.Task
	for _, t := range tasks {
		if t.IsRevocation() && (t.Status == offboard.TaskPending || t.Status == offboard.TaskScheduled) {
			if err := offboard.CanRunTask(d.actor, cs, t, d.e.depts); err != nil {
				return nil, err
			}
			due = append(due, t)
		}
	}
	if len(due) == 0 {
		return nil, offboard.Errorf(offboard.ECONFLICT, "every revocation of %s has already run", cs.ID)
	}
	why := strings.TrimSpace(c.Reason)
	if why == "" {
		why = "no reason given"
	}
	if err := d.audit(cs.ID, "case.revoke_now", "", offboard.OutcomeOK,
		fmt.Sprintf("%s revoked access ahead of the last day: %s", d.actorName(), why), nil); err != nil {
		return nil, err
	}
	d.byHand = true
	for _, t := range due {
		if err := d.run(cs, t, "revoke now, by "+d.actorName()); err != nil {
			return nil, err
		}
	}
	d.byHand = false
	return d.advanceAndResult(cs, fmt.Sprintf("access of %s is being revoked now (%s)", cs.Employee.DisplayName(), offboard.Count(len(due), "task", "")))
}
