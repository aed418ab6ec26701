package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

var fred = person("fred.facilities@example.com")

func deskTask() offboard.TaskTemplate {
	return offboard.TaskTemplate{Key: "return_desk", Department: "facilities", Title: "Clear the desk",
		Action: offboard.ActionManual, When: offboard.WhenAtLastDay, Due: offboard.Duration(24 * time.Hour)}
}

// TestNew_UnknownDepartmentNamesKey: a playbook task naming a department
// config does not have fails at start, naming the task and the key.
func TestNew_UnknownDepartmentNamesKey(t *testing.T) {
	h := newHarness(t)
	_, err := flows.New(flows.Options{Store: h.db, Playbooks: []offboard.Playbook{{Name: "default", Tasks: []offboard.TaskTemplate{deskTask()}}}})
	if err == nil {
		t.Fatal("a task of an unconfigured department was accepted")
	}
	for _, want := range []string{`task "return_desk"`, `department "facilities" is not one of it, finance, security, hr, legal`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
}

// TestEngine_ConfiguredDepartment: with facilities configured, its task
// opens with the case, its role (not IT) works it, a change redraws its
// card, and its lead hears about it once it stays overdue.
func TestEngine_ConfiguredDepartment(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) {
		o.Departments = append(offboard.StandardDepartments(),
			offboard.DepartmentInfo{Name: "facilities", Label: "Workplace", Role: "workplace", Lead: "lead.facilities@example.com"})
		o.Playbooks = []offboard.Playbook{{Name: "default", Tasks: []offboard.TaskTemplate{deskTask()}}}
		o.Roles = func(email string) []offboard.Role {
			if email == fred.Email {
				return []offboard.Role{"workplace"}
			}
			return testRoles(email)
		}
		o.Escalation = flows.EscalationPolicy{RemindAfter: time.Hour}
	})
	c := h.open(offboard.Involuntary, "")
	if tk := h.task(c.ID, "return_desk"); tk.Department != "facilities" {
		t.Fatalf("return_desk department %q", tk.Department)
	}

	// Overdue twice over: the reminder goes to the room, then the lead.
	h.clock.Advance(25 * time.Hour)
	h.apply(offboard.Tick{By: sched})
	h.clock.Advance(25 * time.Hour)
	h.apply(offboard.Tick{By: sched})
	told := false
	for _, j := range h.readyJobs() {
		if n := j.Notice; n != nil && n.TaskKey == "return_desk" && n.Kind == offboard.NoticeTaskOverdue &&
			len(n.To) == 1 && n.To[0] == "lead.facilities@example.com" {
			told = true
		}
	}
	if !told {
		t.Error("the facilities lead was not told about its task staying overdue")
	}

	h.refuse(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: "return_desk"}, offboard.EFORBIDDEN, "the Workplace team can")
	h.apply(offboard.CompleteTask{By: fred, CaseID: c.ID, TaskKey: "return_desk"})
	redraw := false
	for _, j := range h.readyJobs() {
		if n := j.Notice; n != nil && n.Kind == offboard.NoticeTasksUpdated && n.Department == "facilities" {
			redraw = true
		}
	}
	if !redraw {
		t.Error("no tasks_updated notice for the facilities card after its task changed")
	}
}
