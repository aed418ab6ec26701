package offboard

import (
	"regexp"
	"slices"
	"strings"
)

// Department names a team that owns tasks ("it", "legal"). Which
// departments exist, what they are called and who leads them is
// configuration (see Departments); a playbook task names one by key.
type Department string

// The departments offboard itself refers to: restore tasks belong to IT,
// unanswered approvals escalate to HR's lead.
const (
	DeptIT       Department = "it"
	DeptFinance  Department = "finance"
	DeptSecurity Department = "security"
	DeptHR       Department = "hr"
	DeptLegal    Department = "legal"
)

// DepartmentInfo describes one configured department.
type DepartmentInfo struct {
	// Name is the key playbooks use: lowercase letters, digits and _.
	Name Department `json:"name"`
	// Label is how cards, the digest and the assistant name it.
	Label string `json:"label"`
	// Lead is the email that overdue tasks escalate to; "" for none.
	Lead string `json:"lead,omitempty"`
	// Role is the role whose members work the department's tasks.
	Role Role `json:"role"`
}

// Departments is the configured set of departments in display order.
// The empty set stands for StandardDepartments, so that packages built
// without configuration (tests, tools) list what a default config does.
type Departments []DepartmentInfo

// StandardDepartments are the departments a configuration starts from,
// in display order. Config relabels them and adds others.
func StandardDepartments() Departments {
	return Departments{
		{Name: DeptIT, Label: "IT", Role: RoleIT},
		{Name: DeptFinance, Label: "Finance", Role: RoleFinance},
		{Name: DeptSecurity, Label: "Security", Role: RoleSecurity},
		{Name: DeptHR, Label: "HR", Role: RoleHR},
		{Name: DeptLegal, Label: "Legal", Role: RoleLegal},
	}
}

var departmentNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ValidDepartmentName reports whether s may name a department.
func ValidDepartmentName(s string) bool { return departmentNamePattern.MatchString(s) }

func (ds Departments) all() Departments {
	if len(ds) == 0 {
		return StandardDepartments()
	}
	return ds
}

// Names returns the department keys in display order.
func (ds Departments) Names() []Department {
	all := ds.all()
	out := make([]Department, len(all))
	for i, d := range all {
		out[i] = d.Name
	}
	return out
}

// Has reports whether d is a configured department.
func (ds Departments) Has(d Department) bool {
	return slices.ContainsFunc(ds.all(), func(x DepartmentInfo) bool { return x.Name == d })
}

// Info returns what is configured for d. A department that is no longer
// configured (a case opened before a config change) is described by its
// key: label and role are the key itself.
func (ds Departments) Info(d Department) DepartmentInfo {
	for _, x := range ds.all() {
		if x.Name == d {
			return x
		}
	}
	return DepartmentInfo{Name: d, Label: string(d), Role: Role(d)}
}

// Label names d for people: "IT", "Legal", ….
func (ds Departments) Label(d Department) string { return ds.Info(d).Label }

// RoleOf returns the role whose members work d's tasks.
func (ds Departments) RoleOf(d Department) Role { return ds.Info(d).Role }

// Lead returns the email of d's lead, "" when none is configured.
func (ds Departments) Lead(d Department) string { return ds.Info(d).Lead }

// Roles returns the roles of every department, once each.
func (ds Departments) Roles() []Role {
	var out []Role
	for _, d := range ds.all() {
		if !slices.Contains(out, d.Role) {
			out = append(out, d.Role)
		}
	}
	return out
}

// Listed returns the departments to list for these tasks: the configured
// ones in display order, then any department a task names that is no
// longer configured, in task order, so that no task drops out of sight.
func (ds Departments) Listed(tasks []*Task) []Department {
	out := ds.Names()
	for _, t := range tasks {
		if t.Department != "" && !slices.Contains(out, t.Department) {
			out = append(out, t.Department)
		}
	}
	return out
}

// Join lists the department keys for messages: "it, finance, …".
func (ds Departments) Join() string {
	names := ds.Names()
	s := make([]string, len(names))
	for i, d := range names {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}
