package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

const facilities offboard.Department = "facilities"

var fred = person("fred.facilities@example.com", "Fred")

// sixDepartments are the standard five plus facilities, configured in an
// order of their own, facilities labelled "Workplace" and HR "People".
func sixDepartments() offboard.Departments {
	return offboard.Departments{
		{Name: offboard.DeptIT, Label: "IT", Role: offboard.RoleIT},
		{Name: facilities, Label: "Workplace", Role: "facilities"},
		{Name: offboard.DeptFinance, Label: "Finance", Role: offboard.RoleFinance},
		{Name: offboard.DeptSecurity, Label: "Security", Role: offboard.RoleSecurity},
		{Name: offboard.DeptHR, Label: "People", Role: offboard.RoleHR},
		{Name: offboard.DeptLegal, Label: "Legal", Role: offboard.RoleLegal},
	}
}

func withFacilities(o *flowstest.Options) {
	o.Departments = sixDepartments()
	o.Playbooks = []offboard.Playbook{{Name: flowstest.DefaultPlaybookName, Tasks: []offboard.TaskTemplate{{
		Key: "return_desk", Department: facilities, Title: "Clear the desk and collect the badge",
		Action: offboard.ActionManual, When: offboard.WhenAtLastDay, Due: offboard.Duration(24 * time.Hour)}}}}
	o.Roles = func(email string) []offboard.Role {
		if email == fred.Email {
			return []offboard.Role{"facilities"}
		}
		return testRoles(email)
	}
}

// TestTaskCards_ConfiguredDepartments: a sixth department from config
// gets its card, under its label, in the configured order; its role
// works its tasks.
func TestTaskCards_ConfiguredDepartments(t *testing.T) {
	h := newHarnessWith(t, withFacilities)
	id := h.open("jane.doe@example.com involuntary")

	var titles []string
	for _, c := range bot.TaskCards(h.view(id), h.clock.Now(), h.loc) {
		titles = append(titles, strings.SplitN(c.Title, " · ", 2)[0])
	}
	want := []string{"IT tasks", "Workplace tasks", "Finance tasks", "Security tasks", "People tasks", "Legal tasks"}
	if !slices.Equal(titles, want) {
		t.Fatalf("cards %q, want %q (the configured order and labels)", titles, want)
	}
	card, ok := bot.DepartmentCard(h.view(id), facilities, h.clock.Now(), h.loc)
	if !ok || len(card.Sections) != 1 || card.Sections[0].Heading != "Clear the desk and collect the badge" {
		t.Fatalf("facilities card = %+v", card)
	}
	if f := card.Sections[0].Fields; len(f) < 2 || f[1].Value != "Nobody yet (Workplace)" {
		t.Errorf("assignee field %+v, want the department's label", f)
	}

	r := h.router.Command(h.ctx, hr, "status "+string(id))
	if !strings.Contains(r.Text, "Workplace: Clear the desk and collect the badge") {
		t.Errorf("status does not list the facilities task under its label:\n%s", r.Text)
	}
	if i, j := strings.Index(r.Text, "\nWorkplace:"), strings.Index(r.Text, "\nFinance:"); i < 0 || j < 0 || i > j {
		t.Errorf("status lists Workplace at %d, Finance at %d; want the configured order:\n%s", i, j, r.Text)
	}

	// IT may not do Facilities' work; Facilities may.
	_, err := h.engine.Apply(h.ctx, offboard.CompleteTask{By: it, CaseID: id, TaskKey: "return_desk"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(offboard.ErrorMessage(err), "the Workplace team can") {
		t.Fatalf("IT completing a facilities task: %v", err)
	}
	if _, err := h.engine.Apply(h.ctx, offboard.CompleteTask{By: fred, CaseID: id, TaskKey: "return_desk"}); err != nil {
		t.Fatalf("the facilities role completing its task: %v", err)
	}
	if st := h.task(id, "return_desk").Status; st != offboard.TaskDone {
		t.Fatalf("return_desk = %s, want done", st)
	}
}

// TestDigest_ConfiguredDepartments: the digest lists a sixth department's
// overdue task under its label, in the configured order, and gives it
// its own part.
func TestDigest_ConfiguredDepartments(t *testing.T) {
	h := newHarnessWith(t, withFacilities)
	id := h.open("jane.doe@example.com involuntary")
	h.clock.Advance(3 * 24 * time.Hour)

	d, err := h.engine.Digest(h.ctx, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	txt := d.Text(h.loc)
	at := func(s string) int {
		i := strings.Index(txt, s)
		if i < 0 {
			t.Fatalf("digest lacks %q:\n%s", s, txt)
		}
		return i
	}
	ws, fin, sec := at(`• Workplace: "Clear the desk and collect the badge" on `+string(id)), at("• Finance: "), at("• Security: ")
	if ws > fin || fin > sec {
		t.Errorf("overdue lines out of the configured order (Workplace %d, Finance %d, Security %d):\n%s", ws, fin, sec, txt)
	}
	if got := d.Listed(); !slices.Equal(got, sixDepartments().Names()) {
		t.Errorf("digest departments %v, want %v", got, sixDepartments().Names())
	}
	part := d.ForDepartment(facilities)
	if len(part.Open) != 1 || part.Open[0].ID != id || len(part.Overdue[facilities]) != 1 {
		t.Errorf("facilities' part of the digest = %+v", part)
	}
}
