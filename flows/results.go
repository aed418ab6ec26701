package flows

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// jobAndTask loads a finished job and its task. A job whose result was
// already recorded is gone: reporting it again is a conflict, so a worker
// that repeats itself after a crash changes nothing.
func (d *decision) jobAndTask(jobID string) (*offboard.Job, *offboard.Case, *offboard.Task, error) {
	if jobID == "" {
		return nil, nil, nil, offboard.Errorf(offboard.EINVALID, "no job given")
	}
	j, err := d.tx.Job(jobID)
	if err != nil {
		return nil, nil, nil, err
	}
	if j.Kind != offboard.JobAction {
		return nil, nil, nil, offboard.Errorf(offboard.EINVALID, "job %s is a %s job, not an action", j.ID, j.Kind)
	}
	cs, err := d.tx.Case(j.CaseID)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := d.tx.Task(j.CaseID, j.TaskKey)
	if err != nil {
		return nil, nil, nil, err
	}
	return j, cs, t, nil
}

func (d *decision) actionSucceeded(c offboard.ActionSucceeded) (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's workers report action results")
	}
	j, cs, t, err := d.jobAndTask(c.JobID)
	if err != nil {
		return nil, err
	}
	if err := c.Secrets.Check(); err != nil {
		return nil, err
	}
	if c.InProgress && t.Status == offboard.TaskRunning {
		return d.actionInProgress(c, j, cs, t)
	}
	if err := d.tx.DeleteJob(j.ID); err != nil {
		return nil, err
	}
	if err := d.recordUserID(cs, j, c.UserID); err != nil {
		return nil, err
	}
	evidence := maps.Clone(c.Evidence)
	if evidence == nil {
		evidence = map[string]string{}
	}
	evidence["job"] = j.ID
	evidence["attempt"] = fmt.Sprint(j.Attempts + 1)
	if c.AlreadyDone {
		evidence["already_done"] = "true"
	}
	if c.Summary != "" {
		evidence["summary"] = c.Summary
	}
	if len(c.Secrets) > 0 {
		// Which secrets the action handed over, never their values.
		evidence["secrets"] = secretNames(c.Secrets)
	}
	// Kept whatever the task's status: a device locked after a person
	// settled the task, or the case was cancelled, still needs its PIN,
	// unless the case completed (dropSecrets).
	if cs.Status != offboard.CaseCompleted && keepSecrets(t, c.Secrets) {
		if err := d.putTask(t); err != nil {
			return nil, err
		}
	}
	if t.Status != offboard.TaskRunning {
		// The task moved on while the action ran (the case was cancelled,
		// or a person settled it); the effect still happened, so record it.
		what := fmt.Sprintf("%s finished after the task became %s", t.Action, t.Status)
		if c.InProgress {
			// Nobody follows it any more: say so rather than let it look done.
			what = fmt.Sprintf("%s was still in progress when the task became %s; offboard no longer follows it", t.Action, t.Status)
		}
		if err := d.audit(cs.ID, "task.action_result", t.Key, offboard.OutcomeOK, what, evidence); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q result recorded", t.Title))
	}
	t.Attempts++
	status, outcome, action := offboard.TaskDone, offboard.OutcomeOK, "task.done"
	if !c.Verified {
		status, outcome, action = offboard.TaskUnverified, offboard.OutcomeUnverified, "task.unverified"
	}
	if err := d.finish(cs, t, status, evidence); err != nil {
		return nil, err
	}
	if status == offboard.TaskUnverified {
		d.dueNow(t)
		t.LastError = "the action ran but reading the account back did not confirm it"
		if t.Priority == offboard.PriorityDevice {
			t.LastError = "the command was sent but the device has not confirmed it"
		}
		if c.Summary != "" {
			t.LastError += ": " + c.Summary
		}
		if err := d.putTask(t); err != nil {
			return nil, err
		}
	}
	detail := c.Summary
	if detail == "" {
		detail = t.Action + " succeeded"
	}
	if err := d.audit(cs.ID, action, t.Key, outcome, detail, evidence); err != nil {
		return nil, err
	}
	if cs.Status == offboard.CaseCancelled && !t.Restore {
		// A revocation that was running when the case was cancelled.
		tasks, err := d.tx.Tasks(cs.ID)
		if err != nil {
			return nil, err
		}
		if err := d.ensureRestore(cs, tasks, t); err != nil {
			return nil, err
		}
	}
	if status == offboard.TaskUnverified {
		if err := d.notify(offboard.Notice{Kind: offboard.NoticeTaskUnverified, CaseID: cs.ID, TaskKey: t.Key, Department: t.Department,
			Text: fmt.Sprintf("%q for %s ran but could not be verified; a person must check it", t.Title, cs.Employee.DisplayName())}); err != nil {
			return nil, err
		}
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q %s", t.Title, status))
}

// actionInProgress keeps a running task running while the outside system
// finishes what its action started: the same job runs again after the
// check delay, with no attempt counted (a slow transfer is no failure)
// and no API paused. The audit gets one "task.progress" entry per
// distinct summary, not one per check, so a day-long transfer checked
// every minute does not flood the chain.
func (d *decision) actionInProgress(c offboard.ActionSucceeded, j *offboard.Job, cs *offboard.Case, t *offboard.Task) (*offboard.Result, error) {
	if err := d.recordUserID(cs, j, c.UserID); err != nil {
		return nil, err
	}
	summary := strings.TrimSpace(c.Summary)
	if summary == "" {
		summary = t.Action + " started; the outside system is still working on it"
	}
	checkAt := d.now.Add(offboard.CheckDelay(c.CheckAfter))
	j.Leased, j.NotBefore = false, checkAt
	if err := d.putJob(j); err != nil {
		return nil, err
	}
	evidence := maps.Clone(c.Evidence)
	if evidence == nil {
		evidence = map[string]string{}
	}
	evidence["job"] = j.ID
	evidence["summary"] = summary
	if len(c.Secrets) > 0 {
		evidence["secrets"] = secretNames(c.Secrets)
	}
	// A lock still pending at the device already has its PIN: IT may need
	// it the moment the device checks in.
	newSecrets := keepSecrets(t, c.Secrets)
	if t.Progress != summary || !maps.Equal(t.Evidence, evidence) || newSecrets {
		news := t.Progress != summary
		t.Progress, t.Evidence = summary, evidence
		if err := d.putTask(t); err != nil {
			return nil, err
		}
		if news {
			audited := maps.Clone(evidence)
			audited["check_at"] = checkAt.Format(time.RFC3339)
			if err := d.audit(cs.ID, "task.progress", t.Key, offboard.OutcomeOK, "in progress: "+summary, audited); err != nil {
				return nil, err
			}
		}
	}
	return d.result(cs, fmt.Sprintf("%q in progress: %s; checked again at %s", t.Title, summary, checkAt.Format(time.RFC3339)))
}

// MaxRetryDelay is the furthest ahead a failed job is deferred.
const MaxRetryDelay = 24 * time.Hour

func (d *decision) actionFailed(c offboard.ActionFailed) (*offboard.Result, error) {
	if !d.actor.Has(offboard.RoleSystem) {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "only offboard's workers report action results")
	}
	j, cs, t, err := d.jobAndTask(c.JobID)
	if err != nil {
		return nil, err
	}
	errText := strings.TrimSpace(c.Error)
	if errText == "" {
		errText = "the action failed without saying why"
	}
	retryAt := c.RetryAt
	if retryAt.Before(d.now) {
		retryAt = d.now
	}
	if latest := d.now.Add(MaxRetryDelay); retryAt.After(latest) {
		// The time comes from a vendor's header; a far one is a broken
		// header, and a year past 9999 could not even be stored.
		retryAt = latest
	}
	if c.RateLimited {
		// Deferred, not failed: a rate limit says nothing about the job.
		j.Leased, j.NotBefore, j.LastError = false, retryAt, errText
		if err := d.putJob(j); err != nil {
			return nil, err
		}
		if err := d.audit(cs.ID, "task.deferred", t.Key, offboard.OutcomeRetry, errText,
			map[string]string{"job": j.ID, "retry_at": retryAt.Format(time.RFC3339)}); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q deferred until %s", t.Title, retryAt.Format(time.RFC3339)))
	}
	j.Attempts++
	j.LastError = errText
	if t.Status == offboard.TaskRunning {
		t.Attempts++
		t.LastError = errText
	}
	evidence := map[string]string{"job": j.ID, "attempt": fmt.Sprint(j.Attempts), "error": errText}
	if c.Retryable && j.Attempts < d.e.maxAttempts {
		j.Leased, j.NotBefore = false, retryAt
		if err := d.putJob(j); err != nil {
			return nil, err
		}
		if t.Status == offboard.TaskRunning {
			if err := d.putTask(t); err != nil {
				return nil, err
			}
		}
		evidence["retry_at"] = retryAt.Format(time.RFC3339)
		if err := d.audit(cs.ID, "task.retry", t.Key, offboard.OutcomeRetry,
			fmt.Sprintf("attempt %d of %d failed: %s", j.Attempts, d.e.maxAttempts, errText), evidence); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q will be retried", t.Title))
	}
	now := d.now
	j.DeadAt = &now
	if err := d.tx.DeadLetter(j); err != nil {
		return nil, err
	}
	why := "it cannot succeed by retrying"
	if c.Retryable {
		why = fmt.Sprintf("it failed %d times", j.Attempts)
	}
	if t.Status != offboard.TaskRunning {
		if err := d.audit(cs.ID, "task.action_result", t.Key, offboard.OutcomeFailed,
			fmt.Sprintf("%s failed after the task became %s: %s", t.Action, t.Status, errText), evidence); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q failure recorded", t.Title))
	}
	d.dueNow(t)
	if err := d.finish(cs, t, offboard.TaskFailed, nil); err != nil {
		return nil, err
	}
	if err := d.audit(cs.ID, "task.failed", t.Key, offboard.OutcomeFailed,
		fmt.Sprintf("gave up because %s: %s", why, errText), evidence); err != nil {
		return nil, err
	}
	if err := d.notify(offboard.Notice{Kind: offboard.NoticeTaskFailed, CaseID: cs.ID, TaskKey: t.Key, Department: t.Department,
		Text: fmt.Sprintf("%q for %s failed: %s", t.Title, cs.Employee.DisplayName(), errText)}); err != nil {
		return nil, err
	}
	return d.result(cs, fmt.Sprintf("%q failed: %s", t.Title, errText))
}

// dueNow makes a failed or unverified task due at once, so the overdue
// nudges chase it (the department, then its lead) until a person acts.
func (d *decision) dueNow(t *offboard.Task) {
	if t.Due == nil || t.Due.After(d.now) {
		now := d.now
		t.Due = &now
		t.Nudges, t.LastNudgeAt = 0, nil
	}
}
