package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// writeOffCase is an involuntary exit with a manager whose device read
// found a MacBook with its value, 30 days after access went: the tick
// has asked the manager and Finance to write it off.
func writeOffCase(h *harness) (offboard.CaseID, *offboard.Approval) {
	h.t.Helper()
	r, err := h.router.Submit(h.ctx, hr, bot.FormOpenCase, "", map[string]string{
		"employee": jane.Email, "manager": manager.Email, "kind": "involuntary"})
	if err != nil {
		h.t.Fatalf("open form: %v", err)
	}
	id, _ := offboard.ParseCaseID(strings.Fields(r.Cards[0].Title)[0])
	for _, j := range h.actionJobs() {
		if j.TaskKey == "fakemdm_devices" {
			snap := offboard.DeviceSnapshot{System: "fakemdm", Label: "Fake MDM", ReadAt: h.clock.Now(), Devices: []offboard.Device{
				{ID: "d1", Model: "MacBook Pro 14", Serial: "C02XK1", ManagedBy: "fakemdm", Value: "1,899.00 USD"}}}
			h.apply(offboard.ActionSucceeded{By: offboard.System("runner"), JobID: j.ID, Verified: true,
				Evidence: map[string]string{offboard.EvidenceDevices: snap.Encode()}})
		}
	}
	h.clock.Set(h.view(id).Case.RevokeAt.Add(30 * 24 * time.Hour))
	h.apply(offboard.Tick{By: offboard.System("scheduler")})
	for _, a := range h.view(id).Approvals {
		if a.Kind == offboard.ApproverManagerFinance {
			return id, a
		}
	}
	h.t.Fatal("no write-off asked 30 days after access went")
	return "", nil
}

func sectionOf(card offboard.Card, heading string) *offboard.Section {
	for i := range card.Sections {
		if card.Sections[i].Heading == heading {
			return &card.Sections[i]
		}
	}
	return nil
}

// TestDepartmentCard_WriteOff: IT's card says the write-off was asked and
// by whom it is decided, and still lets IT record the device arriving;
// Finance's card has a line for it with the value; the approval card
// names the manager and Finance and no requester (offboard asked); both
// yeses through the buttons turn the lines into "written off".
func TestDepartmentCard_WriteOff(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id, a := writeOffCase(h)

	itCard := h.taskCard(id, "device_recover")
	s := sectionOf(itCard, "Lock and recover the laptop")
	if s == nil {
		t.Fatalf("no laptop section on IT's card: %+v", itCard.Sections)
	}
	if got := fieldValue(s.Fields, "Return"); got != "not received yet · not wiped yet · write-off asked" {
		t.Errorf("Return line %q", got)
	}
	if got := fieldValue(s.Fields, "Status"); !strings.Contains(got, manager.Email+" (the manager) and someone of Finance · 0 of 2 approvals") {
		t.Errorf("Status %q", got)
	}
	if b, ok := buttonLabelled(s.Actions, "Record the return…"); !ok || b.Action.Verb != offboard.VerbRecordReturn {
		t.Errorf("no Record the return button while the write-off waits: %+v", s.Actions)
	}

	finCard, ok := bot.DepartmentCard(h.view(id), offboard.DeptFinance, h.clock.Now(), h.loc)
	if !ok {
		t.Fatal("no Finance card")
	}
	fs := sectionOf(finCard, "Device write-off: Lock and recover the laptop")
	if fs == nil || fs.Text != "write-off asked" || fieldValue(fs.Fields, "Value") != "1,899.00 USD" {
		t.Fatalf("Finance's write-off line %+v", fs)
	}

	ac := bot.ApprovalCard(h.view(id), a)
	if got := fieldValue(ac.Fields, "Approver"); got != manager.Email+" (the manager) and someone of Finance, two different people, never the person leaving" {
		t.Errorf("approval card approver %q", got)
	}
	if q := fieldValue(ac.Fields, "Question"); !strings.Contains(q, "MacBook Pro 14") || !strings.Contains(q, "1,899.00 USD") {
		t.Errorf("approval card question %q", q)
	}

	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: id, TaskKey: a.TaskKey, ApprovalID: a.ID}.Encode()
	if r := h.router.Click(h.ctx, it, approve); !strings.Contains(r.Text, "only") {
		t.Errorf("IT approves a write-off: %q, want refused", r.Text)
	}
	h.router.Click(h.ctx, manager, approve)
	if st := h.task(id, "device_recover").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("after the manager alone: %s", st)
	}
	h.router.Click(h.ctx, finance, approve)
	task := h.task(id, "device_recover")
	if task.Status != offboard.TaskDone {
		t.Fatalf("after both: %s", task.Status)
	}
	want := "written off by " + manager.Email + ", " + finance.Email + " (value 1,899.00 USD)"
	if got := fieldValue(sectionOf(h.taskCard(id, "device_recover"), task.Title).Fields, "Return"); !strings.HasSuffix(got, want) {
		t.Errorf("IT's Return line %q, want it to end %q", got, want)
	}
	finCard, _ = bot.DepartmentCard(h.view(id), offboard.DeptFinance, h.clock.Now(), h.loc)
	if fs := sectionOf(finCard, "Device write-off: Lock and recover the laptop"); fs == nil || fs.Text != want {
		t.Errorf("Finance's line after both: %+v", fs)
	}
}

// TestAskAgainForm_WriteOff: a denied write-off's Ask again form has no
// parameters, only who stands in for the manager.
func TestAskAgainForm_WriteOff(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id, a := writeOffCase(h)
	if _, err := h.engine.Apply(h.ctx, offboard.DecideApproval{By: finance, ApprovalID: a.ID, Approve: false, Comment: "we will chase it"}); err != nil {
		t.Fatal(err)
	}
	s := sectionOf(h.taskCard(id, "device_recover"), "Lock and recover the laptop")
	b, ok := buttonLabelled(s.Actions, "Ask again…")
	if !ok {
		t.Fatalf("no Ask again on a denied write-off: %+v", s.Actions)
	}
	r := h.router.Click(h.ctx, it, b.Action.Encode())
	if r.Form == nil || len(r.Form.Inputs) != 1 || r.Form.Inputs[0].ID != "approver" {
		t.Fatalf("ask-again form %+v, want only the approver", r.Form)
	}
	if _, err := h.router.Submit(h.ctx, it, bot.FormAskAgain, r.Form.State, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, x := range h.view(id).Approvals {
		if x.Kind == offboard.ApproverManagerFinance && x.Status == offboard.ApprovalPending {
			pending++
		}
	}
	if pending != 1 {
		t.Errorf("%d write-offs pending after Ask again, want 1", pending)
	}
}

func buttonLabelled(bs []offboard.Button, label string) (offboard.Button, bool) {
	for _, b := range bs {
		if b.Label == label {
			return b, true
		}
	}
	return offboard.Button{}, false
}
