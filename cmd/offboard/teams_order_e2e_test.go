package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// In Teams: IT's Run on "Deactivate the Okta account" while the data
// transfers wait sends a form card listing them and the risk; an empty
// reason redraws it with the error; a reason runs the task with the
// override, audited.
func TestTeams_RunBeforeDependenciesAsksFirst(t *testing.T) {
	w := newTeamsWorld(t)
	const hanaChat = "a:hana"
	w.send(tmHana, hanaChat, "personal", "", "offboard", nil)
	form := w.conn.WaitFor(t, "the form", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.CardText(), `"ofb_form":"open_case"`)
	})
	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	w.send(tmHana, hanaChat, "personal", form.ID, "", map[string]any{"ofb_form": "open_case", "employee_email": "jane.doe@example.com",
		"manager": tmMona.Email, "kind": "voluntary", "last_day": lastDay})
	var thread string
	eventually(t, "the case thread", func() bool {
		for _, c := range w.conn.Conversations() {
			if c.ChannelID == teamstest.ChannelID {
				thread = c.ID
				return true
			}
		}
		return false
	})
	var itCard teamstest.Activity
	eventually(t, "the IT card", func() bool {
		for _, a := range w.conn.Activities(thread) {
			if strings.Contains(a.CardText(), "okta_deactivate") && strings.Contains(a.CardText(), "IT tasks") {
				itCard = a
				return true
			}
		}
		return false
	})
	run := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_deactivate"}.Encode()
	w.send(tmIvan, thread, "channel", itCard.ID, "", map[string]any{"ofb_click": run})
	confirm := w.conn.WaitFor(t, "the confirmation form", func(a teamstest.Activity) bool {
		return strings.Contains(a.CardText(), `"ofb_form":"run_override"`)
	})
	for _, want := range []string{"Transfer Drive ownership (waiting for approval)", "unassigns every app"} {
		if !strings.Contains(confirm.CardText(), want) {
			t.Errorf("confirmation card does not say %q: %s", want, confirm.CardText())
		}
	}
	if st := w.app.view(t, "OFF-0001"); taskByKey(*st, "okta_deactivate").Status == offboard.TaskRunning {
		t.Fatal("the click ran deactivation before the confirmation")
	}
	w.send(tmIvan, confirm.ConversationID, "channel", confirm.ID, "", map[string]any{"ofb_form": "run_override", "ofb_state": run, "reason": " "})
	w.conn.WaitFor(t, "the form again with the error", func(a teamstest.Activity) bool {
		return a.ID == confirm.ID && a.Updates > 0 && strings.Contains(a.CardText(), "Say why it cannot wait")
	})
	w.send(tmIvan, confirm.ConversationID, "channel", confirm.ID, "", map[string]any{"ofb_form": "run_override", "ofb_state": run,
		"reason": "Drive already exported by legal"})
	eventually(t, "the override audited", func() bool {
		found := false
		_ = w.app.app.db.AuditEvents(context.Background(), offboard.AuditFilter{CaseID: "OFF-0001"}, func(e *offboard.AuditEvent) error {
			if e.Action == "task.order_overridden" && e.Actor.Email == tmIvan.Email && e.Evidence["reason"] == "Drive already exported by legal" {
				found = true
			}
			return nil
		})
		return found
	})
}
