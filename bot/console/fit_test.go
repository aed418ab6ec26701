package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Each person's page offers only the buttons they may click: the manager
// decides the approval, others read whom it waits for; IT runs its
// tasks, Finance sees their status only; Deny is styled destructive.
func TestConsole_ButtonsFitThePerson(t *testing.T) {
	h := newHarness(t)
	res, err := h.engine.Apply(context.Background(), offboard.OpenCase{By: hr, Kind: offboard.Voluntary,
		LastDay:  time.Now().AddDate(0, 0, 10).Format(time.DateOnly),
		Employee: offboard.Employee{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: "mona.manager@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	room := "/console/rooms/" + string(res.Case.ID)
	approve := `value="approve|` + string(res.Case.ID) + `|transfer_drive|`
	runSuspend := `value="start|` + string(res.Case.ID) + `|okta_suspend|`
	page := func(email string) string {
		t.Helper()
		b := h.browser()
		b.actAs(email)
		code, body := b.get(room)
		if code != 200 {
			t.Fatalf("%s: room %d", email, code)
		}
		return body
	}

	manager := page("mona.manager@example.com")
	if !strings.Contains(manager, approve) || !strings.Contains(manager, `class="btn danger">Deny…`) {
		t.Errorf("the manager has no Approve, or no destructive Deny:\n%.3000s", manager)
	}
	if strings.Contains(manager, runSuspend) {
		t.Error("the manager may run IT's suspend")
	}

	it := page("ivan.it@example.com")
	if strings.Contains(it, approve) {
		t.Error("IT may decide the manager's approval")
	}
	if !strings.Contains(it, "Waiting for mona.manager@example.com") {
		t.Error("IT's page does not say whom the approval waits for")
	}
	if !strings.Contains(it, runSuspend) {
		t.Error("IT cannot run its own suspend")
	}

	finance := page("fiona.finance@example.com")
	if strings.Contains(finance, runSuspend) || strings.Contains(finance, approve) {
		t.Error("Finance is offered IT's or the manager's buttons")
	}
	if !strings.Contains(finance, "Suspend") {
		t.Error("Finance does not see IT's tasks at all; it should see their status")
	}
}
