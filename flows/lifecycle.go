package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// readyAt is when a task becomes actionable: the notice for on_open tasks,
// the revocation point for at_last_day, the revocation point plus an
// offset otherwise.
func readyAt(cs *offboard.Case, t *offboard.Task) time.Time {
	w, err := offboard.ParseWhen(t.When)
	if err != nil { // validated with the playbook; be safe with old records
		return cs.RevokeAt
	}
	if w.OnOpen {
		return cs.NoticeAt
	}
	return cs.RevokeAt.Add(w.Offset.D())
}

// setDue gives people a deadline once, from the playbook's due offset.
func setDue(cs *offboard.Case, t *offboard.Task) {
	if t.Due == nil && t.DueAfter > 0 {
		due := readyAt(cs, t).Add(t.DueAfter.D())
		t.Due = &due
	}
}

// advance moves every task of an open case that can move on its own, then
// updates the case clock and completes the case when nothing is left.
func (d *decision) advance(cs *offboard.Case) error {
	if cs.Status.Closed() {
		return nil
	}
	tasks, err := d.tx.Tasks(cs.ID)
	if err != nil {
		return err
	}
	return d.advanceTasks(cs, tasks, false)
}

// advanceTasks is advance over tasks already in hand. fresh tasks have
// never been written, so each is written once, after its evaluation.
func (d *decision) advanceTasks(cs *offboard.Case, tasks []*offboard.Task, fresh bool) error {
	byKey := make(map[string]*offboard.Task, len(tasks))
	for _, t := range tasks {
		byKey[t.Key] = t
	}
	for _, t := range tasks {
		if err := d.evaluate(cs, t, byKey, fresh); err != nil {
			return err
		}
	}
	return d.settleCase(cs, tasks)
}

// evaluate decides whether a pending or scheduled task runs now, waits for
// its time, or waits for the tasks it depends on.
func (d *decision) evaluate(cs *offboard.Case, t *offboard.Task, byKey map[string]*offboard.Task, fresh bool) error {
	if t.Status != offboard.TaskPending && t.Status != offboard.TaskScheduled {
		if fresh {
			return d.putTask(t)
		}
		return nil
	}
	before := *t
	if fresh {
		before.Status = "" // forces the first write
	}
	setDue(cs, t)
	if t.Manual() {
		if err := moveTask(t, offboard.TaskPending); err != nil {
			return err
		}
		t.RunAt = nil
		return d.putIfChanged(&before, t)
	}
	ready := readyAt(cs, t)
	if d.now.Before(ready) {
		if err := moveTask(t, offboard.TaskScheduled); err != nil {
			return err
		}
		t.RunAt = &ready
		return d.putIfChanged(&before, t)
	}
	var waiting []string
	for _, dep := range t.After {
		if o, ok := byKey[dep]; ok && !o.Status.Settled() {
			waiting = append(waiting, dep)
		}
	}
	if len(waiting) > 0 {
		deadline := ready.Add(t.MaxWait.D())
		if t.MaxWait > 0 && !d.now.Before(deadline) {
			return d.run(cs, t, fmt.Sprintf("waited %s for %s; running as the playbook says", t.MaxWait, strings.Join(waiting, ", ")))
		}
		if err := moveTask(t, offboard.TaskPending); err != nil {
			return err
		}
		t.RunAt = nil
		if t.MaxWait > 0 {
			t.RunAt = &deadline
		}
		return d.putIfChanged(&before, t)
	}
	detail := "due"
	if cs.Kind.Immediate() && t.IsRevocation() {
		detail = "involuntary exit: revoked at once"
	}
	if about := aboutToRun(cs, t.AfterIfReady, byKey, d.now); len(about) > 0 {
		deadline := ready.Add(offboard.MaxReadyWait)
		if d.now.Before(deadline) {
			// Let them go first (a mail handover the vendor refuses once
			// the account is suspended); their results advance this task.
			if err := moveTask(t, offboard.TaskPending); err != nil {
				return err
			}
			t.RunAt = &deadline
			return d.putIfChanged(&before, t)
		}
		detail += fmt.Sprintf("; waited %s for %s, which did not finish", offboard.MaxReadyWait, strings.Join(about, ", "))
	}
	return d.run(cs, t, detail)
}

// aboutToRun returns the tasks of keys that are about to run or running:
// approved or needing no approval (a task waiting for approval is not),
// actionable now and not waiting for others, or with a job queued or in
// flight. These are the ones an after_if_ready lets go first.
func aboutToRun(cs *offboard.Case, keys []string, byKey map[string]*offboard.Task, now time.Time) []string {
	var out []string
	for _, k := range keys {
		o, ok := byKey[k]
		if !ok {
			continue
		}
		switch o.Status {
		case offboard.TaskRunning:
			out = append(out, k)
		case offboard.TaskPending, offboard.TaskScheduled:
			if o.Manual() || now.Before(readyAt(cs, o)) {
				continue
			}
			blocked := slices.ContainsFunc(o.After, func(dep string) bool {
				x, ok := byKey[dep]
				return ok && !x.Status.Settled()
			})
			if !blocked {
				out = append(out, k)
			}
		}
	}
	return out
}

func (d *decision) putIfChanged(before, t *offboard.Task) error {
	if before.Status == t.Status && sameTime(before.RunAt, t.RunAt) && sameTime(before.Due, t.Due) {
		return nil
	}
	return d.putTask(t)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// run queues the task's action as a job.
func (d *decision) run(cs *offboard.Case, t *offboard.Task, detail string) error {
	if !offboard.CanMove(t.Status, offboard.TaskRunning) {
		return offboard.Errorf(offboard.ECONFLICT, "%q is %s and cannot run", t.Title, t.Status)
	}
	t.Runs++
	job := &offboard.Job{
		ID: offboard.ActionJobID(cs.ID, t.Key, t.Runs), Kind: offboard.JobAction,
		CaseID: cs.ID, TaskKey: t.Key, Action: t.Action, Params: t.Params,
		Priority: t.Priority, NotBefore: d.now, CreatedAt: d.now, Target: offboard.NewTarget(cs),
	}
	if err := d.putJob(job); err != nil {
		return err
	}
	d.jobs++
	if err := moveTask(t, offboard.TaskRunning); err != nil {
		return err
	}
	t.RunAt, t.LastError, t.Progress = nil, "", ""
	d.recordStarter(t)
	if err := d.putTask(t); err != nil {
		return err
	}
	return d.audit(cs.ID, "task.started", t.Key, offboard.OutcomeOK, detail,
		map[string]string{"action": t.Action, "job": job.ID})
}

// settleCase stops the revocation clock when every revocation task is
// done, and completes the case when every required task is settled.
func (d *decision) settleCase(cs *offboard.Case, tasks []*offboard.Task) error {
	if cs.Status.Closed() {
		return nil
	}
	if cs.RevokedAt == nil {
		revocations, done, open := 0, 0, 0
		for _, t := range tasks {
			if !t.IsRevocation() {
				continue
			}
			revocations++
			switch {
			case t.Status == offboard.TaskDone:
				done++
			case !t.Status.Settled():
				open++
			}
		}
		if revocations > 0 && done > 0 && open == 0 {
			now := d.now
			cs.RevokedAt = &now
			if err := d.putCase(cs); err != nil {
				return err
			}
			ttr := now.Sub(cs.ClockStart())
			d.revoked = append(d.revoked, ttr)
			if err := d.audit(cs.ID, "case.access_revoked", "", offboard.OutcomeOK,
				fmt.Sprintf("every revocation task is done and verified, %s after the notice", ttr.Round(time.Second)),
				map[string]string{"notice_at": cs.NoticeAt.Format(time.RFC3339Nano), "clock_start": cs.ClockStart().Format(time.RFC3339Nano),
					"revoked_at":            now.Format(time.RFC3339Nano),
					"time_to_revocation_ms": fmt.Sprint(ttr.Milliseconds())}); err != nil {
				return err
			}
		}
	}
	for _, t := range tasks {
		if !t.Optional && !t.Status.Settled() {
			return nil
		}
	}
	for _, t := range tasks {
		if t.Optional && !t.Status.Settled() && t.Status != offboard.TaskRunning {
			if err := moveTask(t, offboard.TaskSkipped); err != nil {
				return err
			}
			t.RunAt, t.SkipReason = nil, "optional; the case completed without it"
			if err := d.putTask(t); err != nil {
				return err
			}
		}
	}
	if err := d.voidApprovals(cs.ID, "", "the case completed"); err != nil {
		return err
	}
	if err := d.dropSecrets(cs, tasks); err != nil {
		return err
	}
	now := d.now
	cs.Status, cs.ClosedAt = offboard.CaseCompleted, &now
	if err := d.putCase(cs); err != nil {
		return err
	}
	if err := d.audit(cs.ID, "case.completed", "", offboard.OutcomeOK, "every required task is done or skipped", nil); err != nil {
		return err
	}
	return d.notify(offboard.Notice{Kind: offboard.NoticeCaseCompleted, CaseID: cs.ID,
		Text: fmt.Sprintf("%s for %s is complete", cs.ID, cs.Employee.DisplayName())})
}

// recordStarter notes on t who made it run now: a person or an API token
// clicking Run, Retry or Revoke now; offboard's own runs (the schedule, a
// wait that ended, an involuntary case opening) clear it, so the card
// never credits a person with what ran by itself.
func (d *decision) recordStarter(t *offboard.Task) {
	if !d.byHand || d.actor.Kind == offboard.ActorSystem {
		t.StartedBy, t.StartedByName, t.StartedAs, t.StartedAt = "", "", "", nil
		return
	}
	now := d.now
	name := strings.TrimSpace(d.actor.Name)
	if name == "" && d.actor.Email != "" && d.e.nameOf != nil {
		name = strings.TrimSpace(d.e.nameOf(d.actor.Email))
	}
	as := ""
	switch {
	case d.actor.Has(d.e.depts.RoleOf(t.Department)):
		as = d.e.depts.Label(t.Department)
	case d.actor.IsAdmin():
		as = "admin"
	}
	t.StartedBy, t.StartedByName, t.StartedAs, t.StartedAt = d.actorName(), name, as, &now
}
