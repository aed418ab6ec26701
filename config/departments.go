package config

import (
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/offboard-dev/offboard"
	"go.yaml.in/yaml/v3"
)

// DepartmentSettings describes one department: what people call it, who
// leads it, which role works its tasks and where its cards go.
type DepartmentSettings struct {
	// Label is shown on cards; "" means the standard label, or the key
	// with a capital ("facilities" → "Facilities").
	Label string `yaml:"label" json:"label"`
	// Lead is the email that tasks staying overdue escalate to.
	Lead string `yaml:"lead" json:"lead"`
	// Role's members work the department's tasks; "" means the key.
	Role         offboard.Role `yaml:"role" json:"role"`
	SlackChannel string        `yaml:"slack_channel" json:"slack_channel"`
	TeamsChannel string        `yaml:"teams_channel" json:"teams_channel"`
}

// DefaultDepartments are the departments every configuration has: it,
// finance, security, hr and legal. A file's `departments:` adds to them
// or changes them; it cannot remove one (offboard's own tasks belong to
// IT and stuck approvals go to HR).
func DefaultDepartments() map[offboard.Department]DepartmentSettings {
	out := map[offboard.Department]DepartmentSettings{}
	for _, d := range offboard.StandardDepartments() {
		out[d.Name] = DepartmentSettings{Label: d.Label, Role: d.Role}
	}
	return out
}

// DepartmentSet returns the configured departments in display order: the
// order the file lists them, then the defaults it leaves out, in their
// usual order, then (for a Config built without a file) the rest by key.
func (c *Config) DepartmentSet() offboard.Departments {
	var order []offboard.Department
	if c.meta != nil {
		order = slices.Clone(c.meta.departmentOrder)
	}
	for _, d := range offboard.StandardDepartments() {
		if !slices.Contains(order, d.Name) {
			order = append(order, d.Name)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(c.Departments)) {
		if !slices.Contains(order, d) {
			order = append(order, d)
		}
	}
	var out offboard.Departments
	for _, d := range order {
		s, ok := c.Departments[d]
		if !ok {
			continue // a Config built by hand without it
		}
		out = append(out, offboard.DepartmentInfo{Name: d, Label: departmentLabel(d, s.Label),
			Lead: strings.TrimSpace(s.Lead), Role: departmentRole(d, s.Role)})
	}
	return out
}

// departmentLabel is the label a department is shown with: the
// configured one, the standard one, or the key with a capital.
func departmentLabel(d offboard.Department, label string) string {
	if l := strings.TrimSpace(label); l != "" {
		return l
	}
	for _, std := range offboard.StandardDepartments() {
		if std.Name == d {
			return std.Label
		}
	}
	r := []rune(strings.ReplaceAll(string(d), "_", " "))
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func departmentRole(d offboard.Department, r offboard.Role) offboard.Role {
	if r == "" {
		return offboard.Role(d)
	}
	return r
}

// AssignableRoles returns every role config may assign: the built-in ones and the
// roles of the configured departments, in that order.
func (c *Config) AssignableRoles() []offboard.Role {
	out := offboard.ConfigurableRoles()
	for _, r := range c.DepartmentSet().Roles() {
		// A misconfigured department (validateDepartments says so) must
		// not make its bad role, or offboard's own, assignable.
		if offboard.ValidDepartmentName(string(r)) && r != offboard.RoleSystem && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// departmentOrder reads the keys of `departments:` in the order the
// document lists them.
func departmentOrder(root *yaml.Node) []offboard.Department {
	if root == nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	top := resolveAlias(root.Content[0])
	if top == nil || top.Kind != yaml.MappingNode {
		return nil
	}
	var out []offboard.Department
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "departments" {
			continue
		}
		m := resolveAlias(top.Content[i+1])
		if m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		for j := 0; j+1 < len(m.Content); j += 2 {
			if d := offboard.Department(m.Content[j].Value); !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

func roleNamesOf(roles []offboard.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// maxDepartmentLabel bounds a label: it heads cards and digest lines.
const maxDepartmentLabel = 40

// validateDepartments checks each department's key, label, lead and
// role. Neither the key nor the role may be admin or system: a
// department's role is assignable under roles:, and offboard's own role
// must never be.
func (c *Config) validateDepartments(v *validator) {
	labels := map[string]offboard.Department{}
	for _, d := range sortedKeys(c.Departments) {
		p := keyPath("departments", string(d))
		switch {
		case !offboard.ValidDepartmentName(string(d)):
			v.add(p, "department key %q: want lowercase letters, digits and _ (starting with a letter), as playbooks name it", d)
			continue
		case offboard.Role(d) == offboard.RoleSystem || offboard.Role(d) == offboard.RoleAdmin || offboard.Role(d) == offboard.RoleAuditor:
			v.add(p, "%q is a role, not a department; name the department otherwise", d)
			continue
		}
		s := c.Departments[d]
		label := departmentLabel(d, s.Label)
		switch other, dup := labels[strings.ToLower(label)]; {
		case len(label) > maxDepartmentLabel || strings.ContainsFunc(label, unicode.IsControl):
			v.add(p+".label", "want a short name on one line (at most %d characters)", maxDepartmentLabel)
		case dup:
			v.add(p+".label", "%q is also the label of departments.%s; people could not tell them apart", label, other)
		default:
			labels[strings.ToLower(label)] = d
		}
		if s.Lead != "" && !validEmail(s.Lead) {
			v.add(p+".lead", "want an email address, got %q", s.Lead)
		}
		switch r := s.Role; {
		case r == "":
		case r == offboard.RoleSystem || r == offboard.RoleAdmin || r == offboard.RoleAuditor:
			// An auditor only reads; a department's role works tasks.
			v.add(p+".role", "%q cannot work a department's tasks; name a role of its own (default %q)", r, d)
		case !offboard.ValidDepartmentName(string(r)):
			v.add(p+".role", "role %q: want lowercase letters, digits and _ (starting with a letter)", r)
		}
	}
}
