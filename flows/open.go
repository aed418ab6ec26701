package flows

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

const dateLayout = "2006-01-02"

// openCase opens a case for a departure notice, or answers with the case
// the same notice opened before, or updates the open case when an HR
// system tells us again. Each step is its own function below.
func (d *decision) openCase(c offboard.OpenCase) (*offboard.Result, error) {
	emp, managerSource, err := d.noticeEmployee(c)
	if err != nil {
		return nil, err
	}
	kind, err := offboard.ParseDepartureKind(string(c.Kind))
	if err != nil {
		return nil, err
	}
	if err := d.checkNoticeDates(c, kind); err != nil {
		return nil, err
	}
	if r, done, err := d.repeatedNotice(c, emp); done || err != nil {
		return r, err
	}
	if r, done, err := d.alreadyOpen(c, emp, kind); done || err != nil {
		return r, err
	}
	when, err := d.revocationPoint(c, emp, kind)
	if err != nil {
		return nil, err
	}
	pbName := c.Playbook
	if pbName == "" {
		pbName = d.e.playbookFor(kind)
	}
	pb, ok := d.e.playbooks[pbName]
	if !ok {
		return nil, offboard.Errorf(offboard.EINVALID, "unknown playbook %q", pbName)
	}
	return d.createCase(c, emp, managerSource, kind, when, pb)
}

// noticeEmployee normalises the notice's employee, checks who may open a
// case for them, and fills the manager and name from the directory. It
// returns where the manager came from, for the audit.
func (d *decision) noticeEmployee(c offboard.OpenCase) (offboard.Employee, string, error) {
	emp := c.Employee
	emp.Email = strings.ToLower(strings.TrimSpace(emp.Email))
	emp.ManagerEmail = strings.ToLower(strings.TrimSpace(emp.ManagerEmail))
	emp.Name = strings.TrimSpace(emp.Name)
	// Who may open cases is decided before the input is looked at, so a
	// person without the right gets the refusal (audited), not a lesson
	// in filling the form.
	if err := offboard.CanOpenCase(d.actor, emp.Email); err != nil {
		return emp, "", err
	}
	if err := validEmail("employee email", emp.Email); err != nil {
		return emp, "", err
	}
	if emp.ManagerEmail != "" {
		if err := validEmail("manager email", emp.ManagerEmail); err != nil {
			return emp, "", err
		}
		if emp.ManagerEmail == emp.Email {
			return emp, "", offboard.Errorf(offboard.EINVALID, "the manager cannot be the departing employee")
		}
	}
	// A notice without a manager or name (a bare `/offboard jane@…`)
	// takes what the directory knows, so approvals have someone to ask
	// and rooms a name to show.
	managerSource := "notice"
	if from, err := d.checkKnown(c, &emp); err != nil {
		return emp, "", err
	} else if from != "" {
		managerSource = from
	}
	if emp.ManagerEmail == "" && d.e.escalation.ManagerOf != nil {
		if m := normEmail(d.e.escalation.ManagerOf(emp.Email)); m != "" && m != emp.Email && validEmail("manager email", m) == nil {
			emp.ManagerEmail, managerSource = m, "directory"
		}
	}
	if emp.ManagerEmail == "" {
		managerSource = "none"
	}
	if emp.Name == "" && d.e.nameOf != nil {
		emp.Name = strings.TrimSpace(d.e.nameOf(emp.Email))
	}
	return emp, managerSource, nil
}

// repeatedNotice answers a notice whose dedupe key was seen before: the
// same notice about the same person gets the case it opened (done is
// true); a reused key for someone else, or for a cancelled case, is a
// conflict, never a silent "duplicate".
func (d *decision) repeatedNotice(c offboard.OpenCase, emp offboard.Employee) (*offboard.Result, bool, error) {
	if c.DedupeKey == "" {
		return nil, false, nil
	}
	id, ok, err := d.tx.Dedupe(c.DedupeKey)
	if err != nil || !ok {
		return nil, false, err
	}
	existing, err := d.tx.Case(id)
	if err != nil {
		return nil, false, err
	}
	// An event id deduplicates the same notice about the same person
	// only: a reused id naming someone else must not answer "already
	// open" while that person keeps access.
	if !strings.EqualFold(existing.Employee.Email, emp.Email) {
		return nil, false, offboard.Errorf(offboard.ECONFLICT,
			"notice id %q was already used for %s, a case for another person; %s was not offboarded: send this notice with its own id",
			c.DedupeKey, existing.ID, emp.Email)
	}
	if err := d.audit(existing.ID, "case.duplicate_notice", c.DedupeKey, offboard.OutcomeOK,
		"the same notice arrived again; nothing changed", nil); err != nil {
		return nil, false, err
	}
	// Nothing is being done for a cancelled case: saying "duplicate"
	// would be a 2xx that acts on nobody.
	if existing.Status == offboard.CaseCancelled {
		return nil, false, offboard.Errorf(offboard.ECONFLICT,
			"notice id %q opened %s, which was cancelled; nothing was done: send a new notice id to offboard %s again",
			c.DedupeKey, existing.ID, emp.Email)
	}
	msg := fmt.Sprintf("%s is already open for %s", existing.ID, existing.Employee.DisplayName())
	if existing.Status != offboard.CaseOpen {
		msg = fmt.Sprintf("this notice already opened %s for %s, now %s", existing.ID, existing.Employee.DisplayName(), existing.Status)
	}
	r, err := d.result(existing, msg)
	if r != nil {
		r.Duplicate = true
	}
	return r, true, err
}

// alreadyOpen handles a person who has an open case: an HR system's new
// notice updates it (done is true); a person is told it exists.
func (d *decision) alreadyOpen(c offboard.OpenCase, emp offboard.Employee, kind offboard.DepartureKind) (*offboard.Result, bool, error) {
	ids, err := d.tx.CaseIDsByEmail(emp.Email)
	if err != nil {
		return nil, false, err
	}
	for _, id := range ids {
		other, err := d.tx.Case(id)
		if err != nil {
			return nil, false, err
		}
		if other.Status != offboard.CaseOpen {
			continue
		}
		if d.actor.Has(offboard.RoleSystem) {
			// An HR system telling us again (a new delivery, a changed
			// termination, reconciliation) updates the open case.
			r, err := d.updateOpenCase(other, c, kind)
			return r, true, err
		}
		return nil, false, offboard.Errorf(offboard.ECONFLICT, "%s already has an open offboarding case: %s", emp.DisplayName(), other.ID)
	}
	return nil, false, nil
}

// revocation is when a new case's access goes, in the person's zone.
type revocation struct {
	lastDay  string
	loc      *time.Location
	tzName   string
	revokeAt time.Time
}

// revocationPoint works out the last day and when access goes: at once
// for an involuntary exit, else at the revocation time (or the notice's
// last time) of the last day in the person's time zone.
func (d *decision) revocationPoint(c offboard.OpenCase, emp offboard.Employee, kind offboard.DepartureKind) (revocation, error) {
	loc := d.e.loc
	tzName := loc.String()
	if emp.TimeZone != "" {
		l, err := time.LoadLocation(emp.TimeZone)
		if err != nil {
			return revocation{}, offboard.Errorf(offboard.EINVALID, "unknown time zone %q for %s", emp.TimeZone, emp.Email)
		}
		loc, tzName = l, emp.TimeZone
	}
	today := d.now.In(loc).Format(dateLayout)
	lastDay := strings.TrimSpace(c.LastDay)
	if lastDay == "" {
		if !kind.Immediate() {
			return revocation{}, offboard.Errorf(offboard.EINVALID, "a %s departure needs a last day (YYYY-MM-DD)", kind)
		}
		lastDay = today
	}
	day, err := time.ParseInLocation(dateLayout, lastDay, loc)
	if err != nil {
		return revocation{}, offboard.Errorf(offboard.EINVALID, "last day %q is not a date like 2026-12-31", lastDay)
	}
	r := revocation{lastDay: lastDay, loc: loc, tzName: tzName, revokeAt: d.now}
	if kind.Immediate() {
		return r, nil
	}
	if lastDay < today {
		return revocation{}, offboard.Errorf(offboard.EINVALID, "last day %s is in the past (today is %s in %s)", lastDay, today, tzName)
	}
	hour, minute := d.e.revHour, d.e.revMin
	if lt := strings.TrimSpace(c.LastTime); lt != "" {
		t, err := time.Parse("15:04", lt)
		if err != nil {
			return revocation{}, offboard.Errorf(offboard.EINVALID, "last time %q is not a time like 17:30", lt)
		}
		hour, minute = t.Hour(), t.Minute()
	}
	r.revokeAt = time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, loc).UTC()
	if r.revokeAt.Before(d.now) {
		r.revokeAt = d.now // the last day is today and its revocation time has passed
	}
	return r, nil
}

// createCase writes the new case, its audit event, its tasks and
// approvals from the playbook, and the notice that opens its rooms.
func (d *decision) createCase(c offboard.OpenCase, emp offboard.Employee, managerSource string,
	kind offboard.DepartureKind, when revocation, pb *offboard.Playbook) (*offboard.Result, error) {
	id, err := d.tx.NextCaseID()
	if err != nil {
		return nil, err
	}
	confidential := kind.Immediate()
	if c.Confidential != nil {
		confidential = *c.Confidential
	}
	if emp.Name == "" {
		emp.Name = emp.Email
	}
	source := c.Source
	if source == "" {
		source = string(d.actor.Kind)
	}
	lastDay, tzName, revokeAt := when.lastDay, when.tzName, when.revokeAt
	cs := &offboard.Case{
		ID: id, Employee: emp, Kind: kind, Confidential: confidential, Playbook: pb.Name,
		LastDay: lastDay, TimeZone: tzName, RevokeAt: revokeAt,
		EffectiveAt: c.EffectiveAt.UTC(), NoticeAt: d.now,
		Source: source, SourceRef: c.SourceRef, Batch: c.Batch, Requester: d.actor, Notes: c.Notes,
		Status: offboard.CaseOpen, CreatedAt: d.now,
	}
	if err := d.putCase(cs); err != nil {
		return nil, err
	}
	d.opened = id
	if c.DedupeKey != "" {
		if err := d.tx.PutDedupe(c.DedupeKey, id, d.now); err != nil {
			return nil, err
		}
	}
	if err := d.audit(id, "case.opened", emp.Email, offboard.OutcomeOK,
		fmt.Sprintf("%s departure of %s, last day %s, playbook %s, source %s", kind, emp.DisplayName(), lastDay, pb.Name, source),
		map[string]string{
			"kind": string(kind), "last_day": lastDay, "time_zone": tzName,
			"revoke_at": revokeAt.Format(time.RFC3339), "notice_at": d.now.Format(time.RFC3339Nano),
			"effective_at": formatOptionalTime(cs.EffectiveAt), "confidential": fmt.Sprint(confidential),
			"tasks": fmt.Sprint(len(pb.Tasks)), "manager": emp.ManagerEmail, "manager_from": managerSource,
		}); err != nil {
		return nil, err
	}

	tasks := make([]*offboard.Task, 0, len(pb.Tasks))
	for i, tpl := range pb.Tasks {
		t := d.newTask(cs, i, tpl)
		tasks = append(tasks, t)
		if tpl.Approval != "" {
			if err := moveTask(t, offboard.TaskWaitingApproval); err != nil {
				return nil, err
			}
			if role, needed := offboard.ApprovalRule(tpl.Approval); role != "" {
				if k := missingParam(t.Params); k != "" {
					// A wipe names its device once IT has seen the list:
					// the approval is asked then, through Ask again.
					t.LastError = fmt.Sprintf("set %s and ask for approval: %d different people of %s must approve", k, needed, d.roleWords(role))
					continue
				}
			}
			if err := d.createApproval(cs, t, tpl.Question, t.Params, ""); err != nil {
				return nil, err
			}
		}
	}
	if err := d.advanceTasks(cs, tasks, true); err != nil {
		return nil, err
	}
	if err := d.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: id,
		Text: fmt.Sprintf("%s opened for %s (%s, last day %s)", id, emp.DisplayName(), strings.ToLower(kind.Label()), offboard.FormatDay(lastDay))}); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("%s opened for %s: %s", id, emp.DisplayName(), offboard.Count(len(tasks), "task", ""))
	if kind.Immediate() {
		msg += "; access revocation started"
	} else {
		msg += fmt.Sprintf("; access goes %s", revokeAt.In(when.loc).Format("Mon 2 Jan 2006 15:04 MST"))
	}
	apps, err := d.tx.Approvals(cs.ID)
	if err != nil {
		return nil, err
	}
	return &offboard.Result{Case: cs, Tasks: tasks, Approvals: apps, Departments: d.e.depts, Message: msg}, nil
}

func (d *decision) newTask(cs *offboard.Case, order int, tpl offboard.TaskTemplate) *offboard.Task {
	params := map[string]string{}
	for k, v := range tpl.Params {
		params[k] = expandParam(v, cs)
	}
	prio := tpl.Priority
	if prio == "" {
		prio = offboard.PriorityReport
	}
	maxWait := tpl.MaxWait
	if maxWait == 0 && len(tpl.After) > 0 && !tpl.Capability.WaitsForAll() {
		maxWait = offboard.Duration(d.e.deactivateAfter)
	}
	return &offboard.Task{
		CaseID: cs.ID, Key: tpl.Key, Order: order, Department: tpl.Department, Title: tpl.Title,
		Action: tpl.Action, Button: tpl.Button, Params: params, Priority: prio, After: slices.Clone(tpl.After), AfterIfReady: slices.Clone(tpl.AfterIfReady),
		Approval: tpl.Approval, Optional: tpl.Optional, Track: tpl.Track, Status: offboard.TaskPending,
		When: tpl.When, MaxWait: maxWait, DueAfter: tpl.Due,
	}
}

// expandParam fills the placeholders playbooks may use in parameters.
func expandParam(v string, cs *offboard.Case) string {
	return strings.NewReplacer(
		"{manager_email}", cs.Employee.ManagerEmail,
		"{employee_email}", cs.Employee.Email,
		"{case_id}", string(cs.ID),
	).Replace(v)
}

func (e *Engine) playbookFor(kind offboard.DepartureKind) string {
	names := make([]string, 0, len(e.playbooks))
	for n := range e.playbooks {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if n != DefaultPlaybookName && slices.Contains(e.playbooks[n].Kinds, kind) {
			return n
		}
	}
	return DefaultPlaybookName
}

func validEmail(what, s string) error {
	if s == "" {
		return offboard.Errorf(offboard.EINVALID, "%s is required", what)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return offboard.Errorf(offboard.EINVALID, "%s %q is not an email address", what, s)
	}
	return nil
}

func formatOptionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// The default window of dates a notice may carry (Options.MaxFuture and
// MaxPast): fallbacks for a zero option (library use, tests); serve
// passes config's values, and a test in cmd/offboard keeps them equal.
const (
	DefaultMaxFuture = 2 * 365 * 24 * time.Hour
	DefaultMaxPast   = 10 * 365 * 24 * time.Hour
)

// checkNoticeDates refuses a last day or effective time outside the
// window [now − max_past, now + max_future]. Such a date is a typo or a
// placeholder (9999-12-31, epoch zero), not a plan: accepted, it would
// schedule a revocation for the year 9999 or poison the case clock, and
// years past 9999 cannot even be stored. The lookback is long on purpose:
// reconciliation may find a leaver HR terminated years ago who is still
// active, and that case must open. A last day that does not parse is left
// to openCase, which says how to write one; so is a past last day of a
// departure that is not immediate (it may not be in the past at all).
func (d *decision) checkNoticeDates(c offboard.OpenCase, kind offboard.DepartureKind) error {
	latest, earliest := d.now.Add(d.e.maxFuture), d.now.Add(-d.e.maxPast)
	ahead, ago := spanWords(d.e.maxFuture), spanWords(d.e.maxPast)
	if s := strings.TrimSpace(c.LastDay); s != "" {
		if day, err := time.Parse(dateLayout, s); err == nil {
			// Whole days, so the employee's zone cannot tip a day that is
			// within the window out of it.
			switch {
			case day.After(latest):
				return offboard.Errorf(offboard.EINVALID, "last day %s is more than %s ahead", s, ahead)
			case kind.Immediate() && day.Add(24*time.Hour).Before(earliest):
				// Only an immediate exit may have a past last day at all;
				// openCase tells the others their day is in the past.
				return offboard.Errorf(offboard.EINVALID, "last day %s is more than %s ago", s, ago)
			}
		}
	}
	if eff := c.EffectiveAt; !eff.IsZero() {
		at := eff.UTC().Format(time.RFC3339)
		switch {
		case eff.After(latest):
			return offboard.Errorf(offboard.EINVALID, "effective time %s is more than %s ahead", at, ahead)
		case eff.Before(earliest):
			return offboard.Errorf(offboard.EINVALID, "effective time %s is more than %s ago", at, ago)
		}
	}
	return nil
}

// spanWords says a window for people: "2 years", "90 days", "36h0m0s".
func spanWords(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d%(365*day) == 0:
		return plural(int(d/(365*day)), "year")
	case d%day == 0:
		return plural(int(d/day), "day")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
