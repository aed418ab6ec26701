package offboard

// CaseView is a case with its tasks and approvals, as people see it.
type CaseView struct {
	Case      *Case       `json:"case"`
	Tasks     []*Task     `json:"tasks"`
	Approvals []*Approval `json:"approvals"`
	// Departments is the configured set, in display order, that cards and
	// answers list the tasks by (empty: StandardDepartments).
	Departments Departments `json:"-"`
	// Viewer is what the person the view was read for (GetCase) may do on
	// the case; nil when unknown. A page drawn for one person uses it to
	// offer only their buttons; it grants nothing: every click is checked
	// again when it arrives.
	Viewer *Viewer `json:"-"`
}

// Viewer is what one person may click on a case, by the same rules the
// engine applies to the click (CanApprove, CanRunTask, CanSkipTask).
type Viewer struct {
	// Decide: approval id → may decide it now.
	Decide map[string]bool
	// Run: task key → may run, retry, mark done, take or record it.
	Run map[string]bool
	// Skip: task key → may skip it or ask for its approval again.
	Skip map[string]bool
	// RevokeNow: may run every revocation still waiting at once.
	RevokeNow bool
}

// Allows reports whether the viewer may click a button acting as ref.
// Verbs it does not know (open, …) are allowed: the engine decides.
func (v *Viewer) Allows(ref ActionRef) bool {
	if v == nil {
		return true
	}
	switch ref.Verb {
	case VerbApprove, VerbDeny:
		return v.Decide[ref.ApprovalID]
	case VerbStart, VerbRetry, VerbComplete, VerbAssign, VerbRecordReturn, VerbRevealSecret:
		return v.Run[ref.TaskKey]
	case VerbSkip, VerbAskAgain:
		return v.Skip[ref.TaskKey]
	case VerbRevokeNow:
		return v.RevokeNow
	}
	return true
}

// Progress counts settled tasks out of all.
func (v *CaseView) Progress() (settled, total int) {
	for _, t := range v.Tasks {
		total++
		if t.Status.Settled() {
			settled++
		}
	}
	return settled, total
}

// DepartmentsListed returns the departments to list the case's tasks
// by: the configured ones in order, then any its tasks name besides.
func (v *CaseView) DepartmentsListed() []Department { return v.Departments.Listed(v.Tasks) }

// TasksIn counts the case's tasks for a department.
func (v *CaseView) TasksIn(d Department) int {
	n := 0
	for _, t := range v.Tasks {
		if t.Department == d {
			n++
		}
	}
	return n
}
