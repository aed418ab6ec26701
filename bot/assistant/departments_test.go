package assistant_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

// sixDepartments are the standard five plus facilities (labelled
// "Workplace"), configured in an order of their own.
func sixDepartments() offboard.Departments {
	return offboard.Departments{
		{Name: offboard.DeptIT, Label: "IT", Role: offboard.RoleIT},
		{Name: "facilities", Label: "Workplace", Role: "facilities"},
		{Name: offboard.DeptFinance, Label: "Finance", Role: offboard.RoleFinance},
		{Name: offboard.DeptSecurity, Label: "Security", Role: offboard.RoleSecurity},
		{Name: offboard.DeptHR, Label: "HR", Role: offboard.RoleHR},
		{Name: offboard.DeptLegal, Label: "Legal", Role: offboard.RoleLegal},
	}
}

// newFacilitiesWorld is a world whose config adds facilities and a
// facilities task to the default playbook, with one open case.
func newFacilitiesWorld(t *testing.T) *world {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := testclock.New(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	e := flowstest.New(t, flowstest.Options{Store: db, Clock: clock, Roles: roles, Location: time.UTC, Departments: sixDepartments(),
		Playbooks: []offboard.Playbook{{Name: flowstest.DefaultPlaybookName, Tasks: []offboard.TaskTemplate{{
			Key: "return_desk", Department: "facilities", Title: "Clear the desk and collect the badge",
			Action: offboard.ActionManual, When: offboard.WhenAtLastDay, Due: offboard.Duration(24 * time.Hour)}}}}})
	w := &world{t: t, ctx: context.Background(), engine: e, db: db, clock: clock,
		a: assistant.New(e, clock, time.UTC).WithDepartments(sixDepartments()), ids: map[string]offboard.CaseID{}}
	no := false
	w.open("alex", offboard.OpenCase{Kind: offboard.Involuntary, Confidential: &no,
		Employee: offboard.Employee{Name: "Alex Moreau", Email: "alex.moreau@example.com", ManagerEmail: mona.Email}})
	return w
}

// TestAnswerer_Answer_ConfiguredDepartments: the rules name a sixth
// department by its label, list it in the configured order, and
// understand it by key or label.
func TestAnswerer_Answer_ConfiguredDepartments(t *testing.T) {
	w := newFacilitiesWorld(t)
	left := w.ask(boss, "what's left on "+string(w.ids["alex"]))
	must(t, left, "• Workplace: Clear the desk and collect the badge")
	if i, j := strings.Index(left, "• Workplace:"), strings.Index(left, "• Finance:"); i < 0 || j < 0 || i > j {
		t.Errorf("Workplace at %d, Finance at %d; want the configured order:\n%s", i, j, left)
	}

	w.clock.Advance(3 * 24 * time.Hour)
	for _, q := range []string{"what's overdue for workplace?", "what's overdue for facilities?"} {
		got := w.ask(boss, q)
		must(t, got, "for Workplace", "Clear the desk and collect the badge")
		if strings.Contains(got, "Cancel the corporate card") {
			t.Errorf("%q: the answer lists another department's task:\n%s", q, got)
		}
	}
	all := w.ask(boss, "what's overdue?")
	if i, j := strings.Index(all, "• Workplace:"), strings.Index(all, "• Finance:"); i < 0 || j < 0 || i > j {
		t.Errorf("overdue: Workplace at %d, Finance at %d; want the configured order:\n%s", i, j, all)
	}
}

// TestModel_Answer_ConfiguredDepartments: the model is offered the
// configured departments and its tools accept the sixth one.
func TestModel_Answer_ConfiguredDepartments(t *testing.T) {
	w := newFacilitiesWorld(t)
	var got openaitest.Request
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				openaitest.Call("o", "open_tasks", `{"department":"facilities"}`),
				openaitest.Call("x", "open_tasks", `{"department":"marketing"}`),
			}}
		}
		got = req
		return openaitest.Reply{Content: "Workplace still has to clear the desk."}
	})
	m := newModel(t, w, fake, func(o *assistant.ModelOptions) { o.Departments = sixDepartments() })
	w.askModel(m, boss, "what does facilities still have to do?")

	offered := fake.Requests()[0]
	for _, tool := range offered.Tools {
		if tool.Function.Name == "open_tasks" && !strings.Contains(string(tool.Function.Parameters), `"facilities"`) {
			t.Errorf("open_tasks does not offer facilities: %s", tool.Function.Parameters)
		}
	}
	res, _ := got.Result("o")
	must(t, res, "Clear the desk and collect the badge", `"department":"Workplace"`)
	if strings.Contains(res, "Cancel the corporate card") {
		t.Errorf("open_tasks for facilities returned another department's task: %s", res)
	}
	bad, _ := got.Result("x")
	must(t, bad, `department \"marketing\" is not one of it, facilities, finance, security, hr, legal`)
}
