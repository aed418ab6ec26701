package flows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

// felix is a second person of Finance: a write-off needs one of Finance
// and the manager, never two of Finance.
var felix = person("felix.finance@example.com")

const day = 24 * time.Hour

// withWriteOff is withDevices with Felix in Finance.
func withWriteOff(o *flows.Options) {
	withDevices(o)
	roles := o.Roles
	o.Roles = func(email string) []offboard.Role {
		if email == felix.Email {
			return []offboard.Role{offboard.RoleFinance}
		}
		return roles(email)
	}
}

// openWithLaptop opens an involuntary exit for Jane (managed by
// manager) whose device read found one MacBook with its value, and
// returns the case.
func openWithLaptop(h *harness, managerEmail string) *offboard.Case {
	h.t.Helper()
	cs := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Name: "Jane Doe", Email: jane.Email, ManagerEmail: managerEmail}}).Case
	snap := offboard.DeviceSnapshot{System: "fakemdm", Label: "Fake MDM", ReadAt: h.clock.Now(), Devices: []offboard.Device{
		{ID: "d1", Model: "MacBook Pro 14", Serial: "C02WOFF", OS: "macOS", OSVersion: "14.5", ManagedBy: "fakemdm", Value: "1,899.00 USD"}}}
	for _, j := range h.actionJobs() {
		if j.TaskKey == "fakemdm_devices" {
			h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Summary: "1 device",
				Evidence: map[string]string{offboard.EvidenceDevices: snap.Encode()}})
		}
	}
	return cs
}

// writeOffApprovals are the case's manager_finance approvals on the
// device return.
func (h *harness) writeOffApprovals(id offboard.CaseID) []*offboard.Approval {
	var out []*offboard.Approval
	for _, a := range h.approvals(id) {
		if a.TaskKey == "device_recover" && a.Kind == offboard.ApproverManagerFinance {
			out = append(out, a)
		}
	}
	return out
}

// TestTick_WriteOffAskedOnceAfterDeadline: a laptop not received 30 days
// after access went is put to the manager and Finance, with its line and
// value, once: not a day early, and neither a later tick nor a restarted
// engine asks again.
func TestTick_WriteOffAskedOnceAfterDeadline(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	revoke := h.caseOf(cs.ID).RevokeAt

	h.tickAt(revoke.Add(30*day - time.Minute))
	if got := h.writeOffApprovals(cs.ID); len(got) != 0 {
		t.Fatalf("write-off asked before the deadline: %+v", got[0])
	}
	if slices.Contains(h.auditActions(cs.ID), "device.write_off_asked") {
		t.Fatal("write-off audited before the deadline")
	}

	h.tickAt(revoke.Add(30 * day))
	got := h.writeOffApprovals(cs.ID)
	if len(got) != 1 {
		t.Fatalf("%d write-off approvals at the deadline, want 1", len(got))
	}
	a := got[0]
	if a.Status != offboard.ApprovalPending || a.Approver != manager.Email || a.Role != offboard.RoleFinance || a.Required() != 2 {
		t.Errorf("write-off approval %+v, want pending, the manager and Finance, 2 yeses", a)
	}
	for _, want := range []string{"MacBook Pro 14", "C02WOFF", "1,899.00 USD", "not received yet", "Jane Doe"} {
		if !strings.Contains(a.Question, want) {
			t.Errorf("question %q lacks %q", a.Question, want)
		}
	}
	task := h.task(cs.ID, "device_recover")
	if task.Status != offboard.TaskWaitingApproval || task.Evidence[offboard.EvidenceWriteOff] != offboard.WriteOffAsked ||
		task.Evidence[offboard.EvidenceWriteOffValue] != "1,899.00 USD" {
		t.Errorf("task %s %v, want waiting with the write-off asked and the value", task.Status, task.Evidence)
	}
	if w := offboard.WriteOffWords(task); w != "write-off asked" {
		t.Errorf("card words %q", w)
	}

	h.tickAt(revoke.Add(31 * day))
	h.tickAt(revoke.Add(31 * day))
	// A restart is a new engine on the same store.
	o := flows.Options{Store: h.db, Clock: h.clock, Roles: testRoles, Location: time.UTC,
		Connectors: offboard.Connectors{oktaconn.Declaration(), flowstest.FakeMDM}}
	withWriteOff(&o)
	again, err := flows.New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(revoke.Add(40 * day))
	if _, err := again.Apply(h.ctx, offboard.Tick{By: sched}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.writeOffApprovals(cs.ID)); n != 1 {
		t.Fatalf("%d write-off approvals after more ticks and a restart, want 1", n)
	}
}

// TestDecideApproval_WriteOffNeedsManagerAndFinance: neither side alone
// writes a device off, a second person of the same side is refused, as
// are the leaver and someone of neither side; both sides' yeses settle
// the return as written off, saying by whom, when and for what value.
func TestDecideApproval_WriteOffNeedsManagerAndFinance(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	h.tickAt(h.caseOf(cs.ID).RevokeAt.Add(30 * day))
	a := h.writeOffApprovals(cs.ID)[0]
	decide := func(by offboard.Actor, yes bool) offboard.DecideApproval {
		return offboard.DecideApproval{By: by, ApprovalID: a.ID, Approve: yes}
	}
	h.refuse(decide(jane, true), offboard.EFORBIDDEN, "person leaving")
	h.refuse(decide(it, true), offboard.EFORBIDDEN, "only "+manager.Email)

	h.apply(decide(finance, true))
	if got := h.approvalFor(cs.ID, "device_recover", offboard.ApprovalPending); got.Yeses() != 1 || got.Decisions[0].As != offboard.SideFinance {
		t.Fatalf("after Finance alone: %+v, want pending with Finance's yes", got.Decisions)
	}
	if st := h.task(cs.ID, "device_recover").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("Finance alone wrote it off: %s", st)
	}
	h.refuse(decide(felix, true), offboard.EFORBIDDEN, "waits for the manager")
	h.refuse(decide(finance, true), offboard.EFORBIDDEN, "already decided")

	h.clock.Advance(time.Hour)
	h.apply(decide(manager, true))
	if got := h.approvalFor(cs.ID, "device_recover", offboard.ApprovalApproved); got.Granted() != true {
		t.Fatal("approval not granted by both sides")
	}
	task := h.task(cs.ID, "device_recover")
	if task.Status != offboard.TaskDone {
		t.Fatalf("written off: task %s, want done", task.Status)
	}
	ev := task.Evidence
	if ev[offboard.EvidenceWriteOff] != offboard.WriteOffWrittenOff || ev[offboard.EvidenceWrittenOffBy] != finance.Email+", "+manager.Email ||
		ev[offboard.EvidenceWrittenOffAt] != h.clock.Now().UTC().Format(time.RFC3339) || ev[offboard.EvidenceWriteOffValue] != "1,899.00 USD" {
		t.Errorf("written-off evidence %v", ev)
	}
	if w := offboard.WriteOffWords(task); w != "written off by "+finance.Email+", "+manager.Email+" (value 1,899.00 USD)" {
		t.Errorf("card words %q", w)
	}
	if last := h.lastAudit(); last.Action != "task.done" || !strings.Contains(last.Detail, "written off by") {
		t.Errorf("last audit %s %q, want task.done written off", last.Action, last.Detail)
	}
}

// TestDecideApproval_WriteOffManagerAloneNotEnough: the manager's yes
// leaves the write-off waiting for Finance; a manager who is in Finance
// too cannot give the second yes; another of Finance can.
func TestDecideApproval_WriteOffManagerAloneNotEnough(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, felix.Email) // Felix manages Jane and is in Finance
	h.tickAt(h.caseOf(cs.ID).RevokeAt.Add(30 * day))
	a := h.writeOffApprovals(cs.ID)[0]
	h.apply(offboard.DecideApproval{By: felix, ApprovalID: a.ID, Approve: true})
	if got := h.approvalFor(cs.ID, "device_recover", offboard.ApprovalPending); got.Decisions[0].As != offboard.SideManager {
		t.Fatalf("Felix decided as %q, want the manager", got.Decisions[0].As)
	}
	if st := h.task(cs.ID, "device_recover").Status; st != offboard.TaskWaitingApproval {
		t.Fatalf("the manager alone wrote it off: %s", st)
	}
	h.refuse(offboard.DecideApproval{By: felix, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "already decided")
	h.apply(offboard.DecideApproval{By: finance, ApprovalID: a.ID, Approve: true})
	if st := h.task(cs.ID, "device_recover").Status; st != offboard.TaskDone {
		t.Fatalf("manager and Finance approved: %s, want done", st)
	}
}

// TestDecideApproval_WriteOffDenied: a no leaves the return open and
// chased, is never asked again by a tick, and Ask again asks anew.
func TestDecideApproval_WriteOffDenied(t *testing.T) {
	h := newHarness(t, withWriteOff, func(o *flows.Options) { o.Escalation.RemindAfter = day })
	cs := openWithLaptop(h, manager.Email)
	revoke := h.caseOf(cs.ID).RevokeAt
	h.tickAt(revoke.Add(30 * day))
	a := h.writeOffApprovals(cs.ID)[0]
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: false, Comment: "she says it is in the post"})
	task := h.task(cs.ID, "device_recover")
	if task.Status.Settled() || task.Evidence[offboard.EvidenceWriteOff] != offboard.WriteOffDenied ||
		!strings.Contains(task.LastError, "denied by "+manager.Email) {
		t.Fatalf("denied: %s %q %v, want open and saying so", task.Status, task.LastError, task.Evidence)
	}
	nudges := task.Nudges
	h.tickAt(revoke.Add(60 * day))
	if n := len(h.writeOffApprovals(cs.ID)); n != 1 {
		t.Fatalf("%d write-off approvals after a denial and a tick, want the 1 denied", n)
	}
	if got := h.task(cs.ID, "device_recover"); nudges != 1 || got.Nudges != 2 {
		t.Errorf("denied return not chased as overdue: nudges %d → %d", nudges, got.Nudges)
	}
	h.refuse(offboard.RequestApproval{By: finance, CaseID: cs.ID, TaskKey: "device_recover"}, offboard.EFORBIDDEN, "may not")
	h.apply(offboard.RequestApproval{By: it, CaseID: cs.ID, TaskKey: "device_recover"})
	p := h.approvalFor(cs.ID, "device_recover", offboard.ApprovalPending)
	if p.Kind != offboard.ApproverManagerFinance || p.RequestedBy != it.Email || !strings.Contains(p.Question, "1,899.00 USD") {
		t.Errorf("asked again: %+v", p)
	}
	if ev := h.task(cs.ID, "device_recover").Evidence[offboard.EvidenceWriteOff]; ev != offboard.WriteOffAsked {
		t.Errorf("asked again: evidence %q", ev)
	}
}

// TestTick_NoWriteOffOnceReceived: a device recorded received before the
// deadline is never put to a write-off; one received while the
// write-off waits takes it back.
func TestTick_NoWriteOffOnceReceived(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	revoke := h.caseOf(cs.ID).RevokeAt
	h.clock.Set(revoke.Add(10 * day))
	h.apply(offboard.RecordDeviceReturn{By: it, CaseID: cs.ID, TaskKey: "device_recover",
		Return: offboard.DeviceReturn{ReceivedOn: h.clock.Now().Format("2006-01-02")}})
	h.tickAt(revoke.Add(45 * day))
	if got := h.writeOffApprovals(cs.ID); len(got) != 0 {
		t.Fatalf("received device put to a write-off: %+v", got[0])
	}

	h2 := newHarness(t, withWriteOff)
	cs2 := openWithLaptop(h2, manager.Email)
	h2.tickAt(h2.caseOf(cs2.ID).RevokeAt.Add(30 * day))
	h2.apply(offboard.RecordDeviceReturn{By: it, CaseID: cs2.ID, TaskKey: "device_recover",
		Return: offboard.DeviceReturn{ReceivedOn: h2.clock.Now().Format("2006-01-02")}})
	a := h2.writeOffApprovals(cs2.ID)[0]
	task := h2.task(cs2.ID, "device_recover")
	if a.Status != offboard.ApprovalVoid || task.Status != offboard.TaskPending || task.Evidence[offboard.EvidenceWriteOff] != "" {
		t.Fatalf("received during the write-off: approval %s, task %s %v", a.Status, task.Status, task.Evidence)
	}
	h2.refuse(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true}, offboard.ECONFLICT, "void")
	h2.apply(offboard.RecordDeviceReturn{By: it, CaseID: cs2.ID, TaskKey: "device_recover",
		Return: offboard.DeviceReturn{Wiped: true, WipedBy: tom.Email}})
	if st := h2.task(cs2.ID, "device_recover").Status; st != offboard.TaskDone {
		t.Fatalf("received and wiped: %s, want done", st)
	}
}

// TestTick_WriteOffWaitsForBusinessHours: the question goes out on the
// first tick inside the manager's hours, not at night.
func TestTick_WriteOffWaitsForBusinessHours(t *testing.T) {
	h := newHarness(t, withWriteOff, func(o *flows.Options) {
		o.Escalation.BusinessHours = func(at time.Time, email string) bool {
			return email == manager.Email && at.Hour() >= 9 && at.Hour() < 17
		}
	})
	cs := openWithLaptop(h, manager.Email)
	due := h.caseOf(cs.ID).RevokeAt.Add(30 * day)
	night := time.Date(due.Year(), due.Month(), due.Day(), 22, 0, 0, 0, time.UTC)
	if night.Before(due) {
		night = night.Add(day)
	}
	h.tickAt(night)
	if got := h.writeOffApprovals(cs.ID); len(got) != 0 {
		t.Fatalf("write-off asked at night: %+v", got[0])
	}
	h.tickAt(night.Add(11 * time.Hour)) // 09:00 the next morning
	if n := len(h.writeOffApprovals(cs.ID)); n != 1 {
		t.Fatalf("%d write-off approvals in the morning, want 1", n)
	}
}

// TestTick_WriteOffDisabled: a negative WriteOffAfter (config's 0) never
// asks.
func TestTick_WriteOffDisabled(t *testing.T) {
	h := newHarness(t, withWriteOff, func(o *flows.Options) { o.WriteOffAfter = -1 })
	cs := openWithLaptop(h, manager.Email)
	h.tickAt(h.caseOf(cs.ID).RevokeAt.Add(400 * day))
	if got := h.writeOffApprovals(cs.ID); len(got) != 0 {
		t.Fatalf("write-off asked while disabled: %+v", got[0])
	}
}

// TestGetCase_DeciderSeesConfidentialCase: an involuntary exit is
// confidential, so Finance does not see it — except a person of Finance
// while a write-off waits for Finance's yes: they must open the case to
// decide. Lists still leave it out, and once decided it is hidden again.
func TestGetCase_DeciderSeesConfidentialCase(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	if _, err := h.engine.GetCase(h.ctx, felix, cs.ID); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("Finance sees the confidential case before any write-off: %v", err)
	}
	h.tickAt(h.caseOf(cs.ID).RevokeAt.Add(30 * day))
	if _, err := h.engine.GetCase(h.ctx, felix, cs.ID); err != nil {
		t.Fatalf("Finance cannot open the case to decide the write-off: %v", err)
	}
	if list, _ := h.engine.ListCases(h.ctx, felix, offboard.CaseOpen, 0); len(list) != 0 {
		t.Errorf("the confidential case is listed for Finance")
	}
	a := h.writeOffApprovals(cs.ID)[0]
	h.apply(offboard.DecideApproval{By: felix, ApprovalID: a.ID, Approve: true})
	h.apply(offboard.DecideApproval{By: manager, ApprovalID: a.ID, Approve: true})
	if _, err := h.engine.GetCase(h.ctx, felix, cs.ID); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("Finance still sees the case once the write-off is decided: %v", err)
	}
}

// TestRequestApproval_WipeOfAnUnknownDevice: once the person's devices
// were read, a wipe naming a device that is none of them is refused when
// it is asked, before two people approve what the connector would refuse;
// the serial the card shows is accepted as well as the id.
func TestRequestApproval_WipeOfAnUnknownDevice(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	ask := func(dev string) offboard.RequestApproval {
		return offboard.RequestApproval{By: it, CaseID: cs.ID, TaskKey: "fakemdm_wipe",
			Params: map[string]string{"device_id": dev, "keep_enrollment": "false", "keep_user_data": "false"}}
	}
	h.refuse(ask("someone-elses-mac"), offboard.EINVALID, "none of Jane Doe's devices")
	h.apply(ask("c02woff"))
	if a := h.approvalFor(cs.ID, "fakemdm_wipe", offboard.ApprovalPending); a.Params["device_id"] != "c02woff" {
		t.Fatalf("approval params %v", a.Params)
	}
	h.apply(ask("d1"))
}
