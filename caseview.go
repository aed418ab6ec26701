package offboard

// CaseView is a case with its tasks and approvals, as people see it.
type CaseView struct {
	Case      *Case       `json:"case"`
	Tasks     []*Task     `json:"tasks"`
	Approvals []*Approval `json:"approvals"`
	// Departments is the configured set, in display order, that cards and
	// answers list the tasks by (empty: StandardDepartments).
	Departments Departments `json:"-"`
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
