package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// createApproval asks the approver (the manager unless overridden) to
// approve task t with params.
func (d *decision) createApproval(cs *offboard.Case, t *offboard.Task, question string, params map[string]string, approver string) error {
	role, needed := offboard.ApprovalRule(t.Approval)
	// Departments are configuration: the Legal (Finance) department's
	// role decides, whatever it is called here.
	switch t.Approval {
	case offboard.ApproverLegal:
		role = d.e.depts.RoleOf(offboard.DeptLegal)
	case offboard.ApproverManagerFinance:
		role = d.e.depts.RoleOf(offboard.DeptFinance)
	}
	// A manager_finance approval has both: the manager named, and
	// Finance's role.
	named := role == "" || t.Approval == offboard.ApproverManagerFinance
	if !named {
		approver = "" // a role decides, not a named person
	} else if approver == "" {
		approver = cs.Employee.ManagerEmail
	}
	if question == "" {
		question = fmt.Sprintf("Approve %q for %s?", t.Title, cs.Employee.DisplayName())
	}
	question = d.expandQuestion(question, cs, params)
	id, err := d.tx.NextApprovalID(cs.ID)
	if err != nil {
		return err
	}
	a := &offboard.Approval{
		ID: id, CaseID: cs.ID, TaskKey: t.Key, Approver: approver, ApproverName: d.personName(approver), Question: question,
		Params: maps.Clone(params), ParamsHash: offboard.HashParams(params),
		RequestedBy: d.actorName(), Status: offboard.ApprovalPending, CreatedAt: d.now,
	}
	if role != "" {
		a.Role, a.Needed = role, needed
	}
	if t.Approval == offboard.ApproverManagerFinance {
		a.Kind = t.Approval
	}
	if err := d.putApproval(a); err != nil {
		return err
	}
	detail := fmt.Sprintf("asked %s: %s", offboard.ApproverOrNobody(approver), question)
	switch {
	case a.Kind == offboard.ApproverManagerFinance:
		detail = fmt.Sprintf("asked %s and one person of %s: %s", offboard.ApproverOrNobody(approver), d.roleWords(role), question)
	case role != "":
		detail = fmt.Sprintf("asked %d different people of %s: %s", needed, d.roleWords(role), question)
	}
	if err := d.audit(cs.ID, "approval.requested", id, offboard.OutcomeOK, detail, params); err != nil {
		return err
	}
	n := offboard.Notice{Kind: offboard.NoticeApprovalRequested, CaseID: cs.ID, TaskKey: t.Key, ApprovalID: id,
		Department: t.Department, Text: question}
	if approver != "" {
		n.To = []string{approver}
	}
	return d.notify(n)
}

func (d *decision) requestApproval(c offboard.RequestApproval) (*offboard.Result, error) {
	cs, t, err := d.openCaseAndTask(c.CaseID, c.TaskKey)
	if err != nil {
		return nil, err
	}
	if err := offboard.CanRequestApproval(d.actor, cs, t, d.e.depts); err != nil {
		return nil, err
	}
	if t.Approval == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "%q needs no approval", t.Title)
	}
	if t.Status.Settled() || t.Status == offboard.TaskRunning {
		return nil, offboard.Errorf(offboard.ECONFLICT, "%q is already %s", t.Title, t.Status)
	}
	params := maps.Clone(t.Params)
	if params == nil {
		params = map[string]string{}
	}
	for k, v := range c.Params {
		v = strings.TrimSpace(v)
		if k == "to" {
			if err := validEmail("transfer target", strings.ToLower(v)); err != nil {
				return nil, err
			}
			v = strings.ToLower(v)
			if strings.EqualFold(v, cs.Employee.Email) {
				return nil, offboard.Errorf(offboard.EINVALID, "cannot transfer to the person who is leaving")
			}
		}
		params[k] = v
	}
	if err := checkRoleApprovalParams(t, params); err != nil {
		return nil, err
	}
	if err := d.checkDeviceParam(cs, t, params["device_id"]); err != nil {
		return nil, err
	}
	approver := strings.ToLower(strings.TrimSpace(c.Approver))
	if role, _ := offboard.ApprovalRule(t.Approval); role != "" && approver != "" && t.Approval != offboard.ApproverManagerFinance {
		return nil, offboard.Errorf(offboard.EINVALID, "%q is approved by people of %s, not by one person named", t.Title, d.roleWords(role))
	}
	if approver != "" {
		if err := validEmail("approver", approver); err != nil {
			return nil, err
		}
		if approver == cs.Employee.Email {
			return nil, offboard.Errorf(offboard.EINVALID, "the person leaving cannot approve their own offboarding")
		}
	}
	if err := d.voidApprovals(cs.ID, t.Key, "asked again with new parameters"); err != nil {
		return nil, err
	}
	if t.Approval == offboard.ApproverManagerFinance && t.Track == offboard.TrackDeviceReturn {
		// A write-off asked again: the same question, from today's device list.
		tasks, err := d.tx.Tasks(cs.ID)
		if err != nil {
			return nil, err
		}
		if err := d.askWriteOff(cs, t, tasks, approver); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("write-off of %q asked again", t.Title))
	}
	if err := moveTask(t, offboard.TaskWaitingApproval); err != nil {
		return nil, err
	}
	t.Params, t.RunAt, t.LastError = params, nil, ""
	if err := d.putTask(t); err != nil {
		return nil, err
	}
	question := askAgainQuestion(t, cs, params)
	if err := d.createApproval(cs, t, question, params, approver); err != nil {
		return nil, err
	}
	return d.result(cs, fmt.Sprintf("approval for %q requested", t.Title))
}

func (d *decision) decideApproval(c offboard.DecideApproval) (*offboard.Result, error) {
	if c.ApprovalID == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "no approval given")
	}
	a, err := d.tx.Approval(c.ApprovalID)
	if err != nil {
		return nil, err
	}
	cs, t, err := d.openCaseAndTask(a.CaseID, a.TaskKey)
	if err != nil {
		return nil, err
	}
	if a.Status != offboard.ApprovalPending {
		return nil, offboard.Errorf(offboard.ECONFLICT, "approval %s is already %s", a.ID, a.Status)
	}
	if c.ParamsHash != "" && c.ParamsHash != a.ParamsHash {
		return nil, offboard.Errorf(offboard.ECONFLICT, "approval %s changed since it was shown; look again", a.ID)
	}
	side, err := offboard.ApprovalSide(d.actor, cs, a, d.e.delegates(a.Approver))
	if err != nil {
		return nil, err
	}
	if c.Approve && offboard.HashParams(t.Params) != a.ParamsHash {
		// Checked before a yes counts: a yes given to other parameters
		// than the task now has must not be recorded as one of two.
		return nil, offboard.Errorf(offboard.ECONFLICT, "the parameters of %q changed after approval %s was asked; ask again", t.Title, a.ID)
	}
	if c.Approve {
		// A yes to a request with a blank parameter (a handover with no
		// receiver: the case knew no manager) would let the task run and
		// fail for good; the parameter is named first.
		for _, k := range slices.Sorted(maps.Keys(a.Params)) {
			if strings.TrimSpace(a.Params[k]) == "" {
				return nil, offboard.Errorf(offboard.EINVALID, "%q has no %s yet: use Ask again… to name it, then decide", t.Title, paramWords(k))
			}
		}
	}
	comment := strings.TrimSpace(c.Comment)
	now := d.now
	a.Decisions = append(a.Decisions, offboard.Decision{By: d.actorName(), Approve: c.Approve, Comment: comment, At: now, As: side})
	verb, kind := "denied", offboard.NoticeApprovalDenied
	partial := c.Approve && !a.Granted()
	switch {
	case partial:
		// One of several yeses: the approval stays pending for the next
		// distinct person; the audit and the cards count them.
		verb, kind = "approved", offboard.NoticeApprovalApproved
	case c.Approve:
		a.Status, verb, kind = offboard.ApprovalApproved, "approved", offboard.NoticeApprovalApproved
		a.DecidedAt = &now
	default:
		a.Status = offboard.ApprovalDenied
		a.DecidedAt = &now
	}
	if err := d.putApproval(a); err != nil {
		return nil, err
	}
	detail := verb + " by " + d.actorName()
	if side != "" {
		detail += " for the " + side
	}
	if a.Required() > 1 && c.Approve {
		detail += fmt.Sprintf(" (%d of %d)", a.Yeses(), a.Required())
	}
	if comment != "" {
		detail += ": " + comment
	}
	if err := d.audit(cs.ID, "approval."+verb, a.ID, offboard.OutcomeOK, detail, a.Params); err != nil {
		return nil, err
	}
	if partial {
		more := fmt.Sprintf("%d more of %s must approve", a.Required()-a.Yeses(), d.roleWords(a.Role))
		if a.Kind == offboard.ApproverManagerFinance {
			more = "waiting for " + a.Awaiting()
		}
		if err := d.notify(offboard.Notice{Kind: kind, CaseID: cs.ID, TaskKey: t.Key, ApprovalID: a.ID, Department: t.Department,
			Text: fmt.Sprintf("%q for %s was %s; %s", t.Title, cs.Employee.DisplayName(), detail, more)}); err != nil {
			return nil, err
		}
		return d.result(cs, fmt.Sprintf("%q %s; waiting for %d more", t.Title, detail, a.Required()-a.Yeses()))
	}
	if a.Kind == offboard.ApproverManagerFinance && t.Track == offboard.TrackDeviceReturn {
		if err := d.writeOffDecided(cs, t, a, detail); err != nil {
			return nil, err
		}
	} else if c.Approve {
		if t.Status == offboard.TaskWaitingApproval {
			if err := moveTask(t, offboard.TaskPending); err != nil {
				return nil, err
			}
			if err := d.putTask(t); err != nil {
				return nil, err
			}
		}
	} else if offboard.DeniedSkips(t.Approval) && t.Status == offboard.TaskWaitingApproval {
		// "Is there a legal hold?" answered no: nothing to do, and what
		// waits for the task (a deletion) may go on.
		if err := moveTask(t, offboard.TaskSkipped); err != nil {
			return nil, err
		}
		t.RunAt, t.SkipReason = nil, "no legal hold: "+detail
		if err := d.putTask(t); err != nil {
			return nil, err
		}
		if err := d.audit(cs.ID, "task.skipped", t.Key, offboard.OutcomeOK, t.SkipReason, nil); err != nil {
			return nil, err
		}
	} else {
		t.LastError = detail
		if err := d.putTask(t); err != nil {
			return nil, err
		}
	}
	if err := d.notify(offboard.Notice{Kind: kind, CaseID: cs.ID, TaskKey: t.Key, ApprovalID: a.ID,
		Department: t.Department, Text: fmt.Sprintf("%q for %s was %s", t.Title, cs.Employee.DisplayName(), detail)}); err != nil {
		return nil, err
	}
	return d.advanceAndResult(cs, fmt.Sprintf("%q %s", t.Title, verb))
}

// approved reports whether an approval covers the task's current params.
func (d *decision) approved(cs *offboard.Case, t *offboard.Task) (bool, error) {
	apps, err := d.tx.Approvals(cs.ID)
	if err != nil {
		return false, err
	}
	for _, a := range apps {
		if a.TaskKey == t.Key && a.CoversParams(t.Params) {
			return true, nil
		}
	}
	return false, nil
}

func (d *decision) needsApproval(cs *offboard.Case, t *offboard.Task) error {
	apps, err := d.tx.Approvals(cs.ID)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if a.TaskKey == t.Key && a.Status == offboard.ApprovalPending && a.Role != "" {
			return offboard.Errorf(offboard.ECONFLICT, "%q waits for approval %s: %d of %d people of %s approved", t.Title, a.ID, a.Yeses(), a.Required(), d.roleWords(a.Role))
		}
		if a.TaskKey == t.Key && a.Status == offboard.ApprovalPending {
			return offboard.Errorf(offboard.ECONFLICT, "%q waits for approval %s from %s", t.Title, a.ID, offboard.ApproverOrNobody(a.Approver))
		}
	}
	return offboard.Errorf(offboard.ECONFLICT, "%q needs an approval first; ask for one", t.Title)
}

// voidApprovals voids pending and approved approvals of a case (of one
// task when taskKey is set).
func (d *decision) voidApprovals(id offboard.CaseID, taskKey, why string) error {
	apps, err := d.tx.Approvals(id)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if taskKey != "" && a.TaskKey != taskKey {
			continue
		}
		if a.Status != offboard.ApprovalPending && a.Status != offboard.ApprovalApproved {
			continue
		}
		a.Status = offboard.ApprovalVoid
		if err := d.putApproval(a); err != nil {
			return err
		}
		if err := d.audit(id, "approval.voided", a.ID, offboard.OutcomeOK, why, nil); err != nil {
			return err
		}
	}
	return nil
}

// askAgainQuestion is the question of an approval asked again. A
// handover names its receiver as the approver knows them ("… for Jane
// Doe, to Mona Manager?", filled in by expandQuestion), not as a
// parameter ("to=mona@…"); other parameters are listed.
func askAgainQuestion(t *offboard.Task, cs *offboard.Case, params map[string]string) string {
	to, ok := params["to"]
	if !ok || to == "" {
		return fmt.Sprintf("Approve %q for %s with %s?", t.Title, cs.Employee.DisplayName(), formatParams(params))
	}
	q := fmt.Sprintf("Approve %q for %s, to {to}", t.Title, cs.Employee.DisplayName())
	if rest := maps.Clone(params); len(rest) > 1 {
		delete(rest, "to")
		q += " with " + formatParams(rest)
	}
	return q + "?"
}

func formatParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "no parameters"
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, ", ")
}

// checkRoleApprovalParams refuses to ask a role approval (a wipe's two
// IT people) for parameters that are not all set: approving a wipe of
// no device binds nothing. keep_* parameters are yes/no switches.
func checkRoleApprovalParams(t *offboard.Task, params map[string]string) error {
	for k, v := range params {
		if strings.HasPrefix(k, "keep_") && v != "true" && v != "false" {
			return offboard.Errorf(offboard.EINVALID, "%s must be true or false", k)
		}
	}
	if role, _ := offboard.ApprovalRule(t.Approval); role == "" {
		return nil
	}
	if k := missingParam(params); k != "" {
		return offboard.Errorf(offboard.EINVALID, "%s must be set before %q can be approved", k, t.Title)
	}
	return nil
}

// missingParam names the first empty parameter, in key order.
func missingParam(params map[string]string) string {
	keys := slices.Sorted(maps.Keys(params))
	for _, k := range keys {
		if strings.TrimSpace(params[k]) == "" {
			return k
		}
	}
	return ""
}

// roleWords names a role for people by the label of the department that
// holds it ("IT"), else as it is.
func (d *decision) roleWords(r offboard.Role) string {
	for _, dept := range d.e.depts.Names() {
		if d.e.depts.RoleOf(dept) == r {
			return d.e.depts.Label(dept)
		}
	}
	return string(r)
}

// expandQuestion fills the placeholders a playbook's question may use,
// so the approver reads whom it is about: {employee} is the person
// leaving, {to} whoever the "to" parameter names (by name when the
// directory knows it).
func (d *decision) expandQuestion(q string, cs *offboard.Case, params map[string]string) string {
	if !strings.Contains(q, "{") {
		return q
	}
	to := params["to"]
	if to == "" {
		to = "someone (nobody named yet)"
	} else {
		to = offboard.PersonWords(d.personName(to), to)
	}
	return strings.NewReplacer("{employee}", cs.Employee.DisplayName(), "{to}", to).Replace(q)
}

// personName is email's name from the directory, or "".
func (d *decision) personName(email string) string {
	if email == "" || d.e.nameOf == nil {
		return ""
	}
	return strings.TrimSpace(d.e.nameOf(email))
}

// paramWords names a task parameter for people.
func paramWords(k string) string {
	if k == "to" {
		return "receiver"
	}
	return strings.ReplaceAll(k, "_", " ")
}

// checkDeviceParam refuses, when the approval is asked, a device_id that
// is none of the person's devices in the task's system's newest device
// read (by id or serial): two people must not approve a wipe the
// connector would refuse only when it runs. Without a read yet it is
// left to the connector.
func (d *decision) checkDeviceParam(cs *offboard.Case, t *offboard.Task, deviceID string) error {
	deviceID = strings.TrimSpace(deviceID)
	if deviceID == "" {
		return nil
	}
	tasks, err := d.tx.Tasks(cs.ID)
	if err != nil {
		return err
	}
	system := offboard.ActionSystem(t.Action)
	for _, snap := range offboard.LatestDevices(tasks) {
		if snap.System != system {
			continue
		}
		for _, dev := range snap.Devices {
			if dev.ID == deviceID || (dev.Serial != "" && strings.EqualFold(dev.Serial, deviceID)) {
				return nil
			}
		}
		return offboard.Errorf(offboard.EINVALID, "device_id %q is none of %s's devices in %s (read %s); pick one from the IT card",
			deviceID, cs.Employee.DisplayName(), snap.Label, snap.ReadAt.Format("2006-01-02 15:04"))
	}
	return nil
}
