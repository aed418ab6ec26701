package offboard

// Authorization rules. They are pure functions so that a Slack button, a
// Teams card, the console and the REST API all meet the same rules; the
// engine calls them inside the transaction that acts.

// CanOpenCase decides whether actor may open a case for employeeEmail.
func CanOpenCase(actor Actor, employeeEmail string) error {
	if actor.SamePerson(employeeEmail) {
		return Errorf(EFORBIDDEN, "%s cannot open an offboarding case for themselves", actor)
	}
	if actor.Has(RoleHR) || actor.IsAdmin() || actor.Has(RoleSystem) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not open offboarding cases; HR and admins can", actor)
}

// CanCancelCase decides whether actor may cancel case c.
func CanCancelCase(actor Actor, c *Case) error {
	if actor.SamePerson(c.Employee.Email) {
		return Errorf(EFORBIDDEN, "%s cannot cancel their own offboarding", actor)
	}
	if actor.Has(RoleHR) || actor.IsAdmin() || actor.Has(RoleSystem) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not cancel cases; HR and admins can", actor)
}

// CanRunTask decides whether actor may start or complete task t: holders
// of the role of the task's department (as depts configures it), admins
// and offboard itself — never the departing employee.
func CanRunTask(actor Actor, c *Case, t *Task, depts Departments) error {
	// The leaver under another address too (a Teams sender's object id
	// the case knows as theirs), as for approvals: a leaver in IT must not
	// read their own Mac's lock PIN.
	if actor.SamePerson(c.Employee.Email) || isLeaverByUserID(actor, c) {
		return Errorf(EFORBIDDEN, "%s is the person leaving and cannot act on their own case", actor)
	}
	if actor.Has(depts.RoleOf(t.Department)) || actor.IsAdmin() || actor.Has(RoleSystem) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not run %q; the %s team can", actor, t.Title, depts.Label(t.Department))
}

// CanSkipTask decides whether actor may skip task t: whoever may run it,
// and HR, who own the case.
func CanSkipTask(actor Actor, c *Case, t *Task, depts Departments) error {
	if err := CanRunTask(actor, c, t, depts); err == nil {
		return nil
	}
	if actor.SamePerson(c.Employee.Email) || isLeaverByUserID(actor, c) {
		return Errorf(EFORBIDDEN, "%s is the person leaving and cannot act on their own case", actor)
	}
	if actor.Has(RoleHR) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not skip %q; the %s team and HR can", actor, t.Title, depts.Label(t.Department))
}

// CanRequestApproval decides whether actor may ask for (or re-ask with new
// parameters) the approval gating task t.
func CanRequestApproval(actor Actor, c *Case, t *Task, depts Departments) error {
	return CanSkipTask(actor, c, t, depts)
}

// CanViewCase decides whether actor may see case c: HR, IT, Security,
// Legal, auditors, admins and offboard itself see every case; the manager sees
// their report's case; Finance and the members of any department config
// adds see the cases that are not confidential; anyone else sees nothing.
func CanViewCase(actor Actor, c *Case) error {
	if actor.Has(RoleHR) || actor.Has(RoleIT) || actor.Has(RoleSecurity) || actor.Has(RoleLegal) || actor.Has(RoleAuditor) || actor.IsAdmin() || actor.Has(RoleSystem) {
		return nil
	}
	if actor.SamePerson(c.Employee.ManagerEmail) {
		return nil
	}
	// Config assigns only its roles and departments' roles, so any role
	// left here is a department's (Finance, or one config added).
	if len(actor.Roles) > 0 && !c.Confidential {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not see case %s", actor, c.ID)
}
