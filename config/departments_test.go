package config_test

import (
	"slices"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
)

func TestConfig_DepartmentSet(t *testing.T) {
	c, err := config.Parse([]byte(`
roles:
  facilities: [fred@example.com]
departments:
  hr: {label: People Team}
  facilities: {lead: fred@example.com, slack_channel: C0FAC}
  it: {slack_channel: C0IT}
`), "config.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ds := c.DepartmentSet()
	want := []offboard.Department{"hr", "facilities", "it", "finance", "security", "legal"}
	if got := ds.Names(); !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (the file's, then the defaults it leaves out)", got, want)
	}
	for d, label := range map[offboard.Department]string{"hr": "People Team", "facilities": "Facilities", "it": "IT", "legal": "Legal"} {
		if got := ds.Label(d); got != label {
			t.Errorf("label of %s = %q, want %q", d, got, label)
		}
	}
	if ds.RoleOf("facilities") != "facilities" || ds.RoleOf(offboard.DeptHR) != offboard.RoleHR {
		t.Errorf("roles: facilities %q, hr %q; want each its key", ds.RoleOf("facilities"), ds.RoleOf(offboard.DeptHR))
	}
	if ds.Lead("facilities") != "fred@example.com" || ds.Lead(offboard.DeptIT) != "" {
		t.Errorf("leads: facilities %q, it %q", ds.Lead("facilities"), ds.Lead(offboard.DeptIT))
	}
	if c.Departments[offboard.DeptIT].SlackChannel != "C0IT" || c.Departments["facilities"].SlackChannel != "C0FAC" {
		t.Errorf("channels lost: %+v", c.Departments)
	}
	if got := c.RolesOf("Fred@Example.com"); !slices.Equal(got, []offboard.Role{"facilities"}) {
		t.Errorf("RolesOf(fred) = %v, want the facilities department's role", got)
	}
}

func TestConfig_DepartmentSet_Defaults(t *testing.T) {
	got := config.Default().DepartmentSet()
	if !slices.Equal(got, offboard.StandardDepartments()) {
		t.Fatalf("default departments = %+v, want the standard five", got)
	}
	if got.Label(offboard.DeptLegal) != "Legal" {
		t.Errorf("legal is labelled %q", got.Label(offboard.DeptLegal))
	}
}

func TestConfig_Validate_DepartmentRole(t *testing.T) {
	_, err := config.Parse([]byte(`
roles:
  facilities: [fred@example.com]
`), "config.yaml", noEnv)
	if err == nil {
		t.Fatal("a role no department has was accepted")
	}
	_, err = config.Parse([]byte(`
roles:
  workplace: [fred@example.com]
departments:
  facilities: {role: workplace}
`), "config.yaml", noEnv)
	if err != nil {
		t.Fatalf("a department's own role was refused: %v", err)
	}
}
