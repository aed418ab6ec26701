package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

// TestDepartmentCard_inProgress: an action the outside system is still
// finishing shows how far it is on its card, and the note goes once the
// task is done.
func TestDepartmentCard_inProgress(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	var jobID string
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		jobs, err := tx.JobsForCase(id)
		for _, j := range jobs {
			if j.TaskKey == "okta_suspend" {
				jobID = j.ID
			}
		}
		return err
	}); err != nil || jobID == "" {
		t.Fatalf("no okta_suspend job (%v)", err)
	}
	runner := offboard.System("runner")
	if _, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: runner, JobID: jobID, InProgress: true, Summary: "40 of 120 files moved"}); err != nil {
		t.Fatal(err)
	}
	title := h.task(id, "okta_suspend").Title
	section := func() offboard.Section {
		card, ok := bot.DepartmentCard(h.view(id), offboard.DeptIT, h.clock.Now(), h.loc)
		if !ok {
			t.Fatal("no IT card")
		}
		for _, s := range card.Sections {
			if s.Heading == title {
				return s
			}
		}
		t.Fatalf("no section %q on the IT card", title)
		return offboard.Section{}
	}
	if s := section(); !strings.Contains(s.Text, "In progress: 40 of 120 files moved") {
		t.Errorf("running task's note %q does not show the progress", s.Text)
	}
	if _, err := h.engine.Apply(h.ctx, offboard.ActionSucceeded{By: runner, JobID: jobID, Verified: true}); err != nil {
		t.Fatal(err)
	}
	if s := section(); strings.Contains(s.Text, "In progress") {
		t.Errorf("done task still shows progress: %q", s.Text)
	}
}

// TestDepartmentCard_softWait: a suspend letting the mail handover of its
// own system go first says so, and by when it runs, not "To do".
func TestDepartmentCard_softWait(t *testing.T) {
	mailSys := offboard.Connector{
		Name: "fakemail", Label: "Fake Mail",
		Bindings: []offboard.Binding{
			{Capability: offboard.IdentitySuspend, Action: "fakemail.suspend", Title: "Suspend the Fake Mail account"},
			{Capability: offboard.DataMail, Action: "fakemail.delegate", Title: "Delegate the Fake Mail mailbox",
				When: offboard.WhenAtLastDay, NeedsActiveAccount: true},
		},
		Actions: []string{"fakemail.suspend", "fakemail.delegate"},
	}
	h := newHarnessWith(t, func(o *flowstest.Options) {
		o.Connectors = offboard.Connectors{oktaconn.Declaration(), mailSys}
	})
	id := h.openWithManager()
	var mailApproval string
	for _, a := range h.view(id).Approvals {
		if a.TaskKey == "fakemail_mail" {
			mailApproval = a.ID
		}
	}
	if mailApproval == "" {
		t.Fatal("no approval asked for fakemail_mail")
	}
	if _, err := h.engine.Apply(h.ctx, offboard.DecideApproval{By: manager, ApprovalID: mailApproval, Approve: true}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(h.view(id).Case.RevokeAt)
	if _, err := h.engine.Apply(h.ctx, offboard.Tick{By: offboard.System("scheduler")}); err != nil {
		t.Fatal(err)
	}
	if st := h.task(id, "fakemail_suspend").Status; st != offboard.TaskPending {
		t.Fatalf("fakemail_suspend = %s, want pending behind the delegation", st)
	}
	var status string
	for _, s := range h.taskCard(id, "fakemail_suspend").Sections {
		if s.Heading == "Suspend the Fake Mail account" {
			for _, f := range s.Fields {
				if f.Label == "Status" {
					status = f.Value
				}
			}
		}
	}
	if !strings.HasPrefix(status, "Letting Delegate the Fake Mail mailbox go first; runs by ") {
		t.Errorf("status %q, want it to say the suspend lets the delegation go first", status)
	}
}
