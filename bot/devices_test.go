package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

// fakeMDM is a test-only device system declared as a connector, as
// Intune and Jamf will be.
var fakeMDM = offboard.Connector{
	Name: "fakemdm", Label: "Fake MDM",
	Bindings: []offboard.Binding{
		{Capability: offboard.DevicesLock, Action: "fakemdm.lock", Title: "Lock the Fake MDM devices", Button: "Lock now"},
		{Capability: offboard.DevicesRetire, Action: "fakemdm.retire", Title: "Retire the Fake MDM devices"},
		{Capability: offboard.DevicesWipe, Action: "fakemdm.wipe", Title: "Wipe a Fake MDM device", Button: "Wipe"},
		{Capability: offboard.DevicesStatus, Action: "fakemdm.status"},
	},
	Actions: []string{"fakemdm.lock", "fakemdm.retire", "fakemdm.wipe", "fakemdm.status"},
}

var tom = person("tom.it@example.com", "Tom")

func withFakeMDM(o *flowstest.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), fakeMDM}
	o.Roles = func(email string) []offboard.Role {
		if email == tom.Email {
			return []offboard.Role{offboard.RoleIT}
		}
		return testRoles(email)
	}
}

// devicesCase is an involuntary exit with a device system: the lock ran
// and read two laptops (one never acknowledged), and IT asked to wipe one;
// Tom gave the first of two yeses.
func devicesCase(h *harness) offboard.CaseID {
	runner := offboard.System("runner")
	id := h.open("jane.doe@example.com involuntary")
	h.clock.Advance(4 * time.Minute)
	now := h.clock.Now()
	for _, j := range h.actionJobs() {
		if j.TaskKey != "fakemdm_lock" {
			h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Evidence: map[string]string{"status_after": "SUSPENDED"}})
			continue
		}
		ack := now.Add(-time.Minute)
		out := offboard.SettleDeviceActions([]offboard.DeviceAction{
			{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack},
			{DeviceID: "d2", Action: "lock", State: offboard.DevicePending},
		})
		out.Evidence[offboard.EvidenceDevices] = offboard.DeviceSnapshot{System: "fakemdm", Label: "Fake MDM", ReadAt: now, Devices: []offboard.Device{
			{ID: "d1", Model: "MacBook Pro 14", Serial: "C02XK1", OS: "macOS", OSVersion: "14.5", LastCheckIn: now.Add(-time.Minute), Compliance: offboard.Compliant, ManagedBy: "fakemdm"},
			{ID: "d2", Model: "iPhone 15", Serial: "F2LZQ9", OS: "iOS", OSVersion: "17.4", LastCheckIn: now.Add(-72 * time.Hour), Compliance: offboard.NonCompliant, ManagedBy: "fakemdm"},
		}}.Encode()
		h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: out.Verified, Summary: out.Summary, Evidence: out.Evidence})
	}
	h.apply(offboard.RequestApproval{By: it, CaseID: id, TaskKey: "fakemdm_wipe", Params: map[string]string{"device_id": "d1"}})
	for _, a := range h.view(id).Approvals {
		if a.TaskKey == "fakemdm_wipe" {
			r := h.router.Click(h.ctx, tom, offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: id, TaskKey: a.TaskKey, ApprovalID: a.ID}.Encode())
			if strings.Contains(r.Text, "may not") || strings.Contains(r.Text, "only") {
				h.t.Fatalf("Tom's yes refused: %s", r.Text)
			}
		}
	}
	h.clock.Advance(time.Hour)
	return id
}

func TestTaskCards_DevicesAndTwoApprovals(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id := devicesCase(h)
	v := h.view(id)
	now := h.clock.Now()
	itCard, ok := bot.DepartmentCard(v, offboard.DeptIT, now, h.loc)
	if !ok {
		t.Fatal("no IT card")
	}
	var devices, wipe, lock *offboard.Section
	for i, s := range itCard.Sections {
		switch s.Heading {
		case "Devices in Fake MDM":
			devices = &itCard.Sections[i]
		case "Wipe a Fake MDM device":
			wipe = &itCard.Sections[i]
		case "Lock the Fake MDM devices":
			lock = &itCard.Sections[i]
		}
	}
	if devices == nil || wipe == nil || lock == nil {
		t.Fatalf("IT card sections %+v", itCard.Sections)
	}
	wantLines := "• MacBook Pro 14 · serial C02XK1 · macOS 14.5 · checked in 1h 1m ago · compliant\n" +
		"• iPhone 15 · serial F2LZQ9 · iOS 17.4 · checked in 3 days ago · NOT compliant"
	if devices.Text != wantLines || devices.Tone != offboard.ToneWarning {
		t.Errorf("device lines (tone %s):\n%s\nwant:\n%s", devices.Tone, devices.Text, wantLines)
	}
	for _, f := range lock.Fields {
		if f.Label == "Evidence" && strings.Contains(f.Value, "serial") {
			t.Errorf("the device list is dumped into the evidence: %s", f.Value)
		}
	}
	if st := fieldValue(wipe.Fields, "Status"); !strings.Contains(st, "from 2 different people of IT · 1 of 2 approvals") {
		t.Errorf("wipe status %q", st)
	}
	var card offboard.Card
	for _, a := range v.Approvals {
		if a.TaskKey == "fakemdm_wipe" {
			card = bot.ApprovalCard(v, a)
		}
	}
	if fieldValue(card.Fields, "Approvals") != "1 of 2 approvals" || len(card.Actions) != 2 {
		t.Errorf("approval card %+v: want 1 of 2 and still Approve/Deny", card)
	}
	if !strings.Contains(fieldValue(card.Fields, "Approver"), "neither ivan.it@example.com (who asked) nor the person leaving") {
		t.Errorf("approver %q", fieldValue(card.Fields, "Approver"))
	}
	// The second yes from the same person is refused where they clicked.
	for _, a := range v.Approvals {
		if a.TaskKey == "fakemdm_wipe" {
			r := h.router.Click(h.ctx, tom, offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: id, TaskKey: a.TaskKey, ApprovalID: a.ID}.Encode())
			if !strings.Contains(r.Text, "already decided") {
				t.Errorf("Tom's second yes: %q", r.Text)
			}
		}
	}
}

func TestGolden_DeviceCards(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id := devicesCase(h)
	v := h.view(id)
	now := h.clock.Now()
	var approvals []offboard.Card
	for _, a := range v.Approvals {
		if a.TaskKey == "fakemdm_wipe" {
			approvals = append(approvals, bot.ApprovalCard(v, a))
		}
	}
	it, _ := bot.DepartmentCard(v, offboard.DeptIT, now, h.loc)
	checkGolden(t, "devices_wipe_half_approved", map[string]any{"it": it, "approvals": approvals})
}

func fieldValue(fs []offboard.Field, label string) string {
	for _, f := range fs {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}
