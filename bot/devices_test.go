package bot_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
)

var tom = person("tom.it@example.com", "Tom")

func withFakeMDM(o *flowstest.Options) {
	o.Connectors = offboard.Connectors{oktaconn.Declaration(), flowstest.FakeMDM}
	o.Roles = func(email string) []offboard.Role {
		if email == tom.Email {
			return []offboard.Role{offboard.RoleIT}
		}
		return testRoles(email)
	}
}

// PINs the devices of devicesCase were locked with.
const pinD1, pinD2 = "482913", "605127"

// devicesCase is an involuntary exit with a device system: the lock ran
// with a PIN per device and read two laptops (one never acknowledged),
// and IT asked to wipe one; Tom gave the first of two yeses.
func devicesCase(h *harness) offboard.CaseID {
	runner := offboard.System("runner")
	id := h.open("jane.doe@example.com involuntary")
	h.clock.Advance(4 * time.Minute)
	now := h.clock.Now()
	for _, j := range h.actionJobs() {
		switch j.TaskKey {
		case "fakemdm_devices": // the read when the case opened
			snap := offboard.DeviceSnapshot{System: "fakemdm", Label: "Fake MDM", ReadAt: now, Devices: []offboard.Device{
				{ID: "d1", Model: "MacBook Pro 14", Serial: "C02XK1", OS: "macOS", OSVersion: "14.5", LastCheckIn: now.Add(-time.Minute), Compliance: offboard.Compliant, ManagedBy: "fakemdm"},
				{ID: "d2", Model: "iPhone 15", Serial: "F2LZQ9", OS: "iOS", OSVersion: "17.4", LastCheckIn: now.Add(-72 * time.Hour), Compliance: offboard.NonCompliant, ManagedBy: "fakemdm"},
			}}
			h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Summary: "2 devices",
				Evidence: map[string]string{offboard.EvidenceDevices: snap.Encode()}})
		case "fakemdm_lock":
			ack := now.Add(-time.Minute)
			out := offboard.SettleDeviceActions([]offboard.DeviceAction{
				{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack},
				{DeviceID: "d2", Action: "lock", State: offboard.DevicePending},
			})
			h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: out.Verified, Summary: out.Summary, Evidence: out.Evidence,
				Secrets: offboard.Secrets{"device_pin:d1": pinD1, "device_pin:d2": pinD2}})
		default:
			h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true, Evidence: map[string]string{"status_after": "SUSPENDED"}})
		}
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
	var devices, wipe, lock, read *offboard.Section
	for i, s := range itCard.Sections {
		switch s.Heading {
		case "Devices in Fake MDM":
			devices = &itCard.Sections[i]
		case "Wipe a Fake MDM device":
			wipe = &itCard.Sections[i]
		case "Lock the Fake MDM devices":
			lock = &itCard.Sections[i]
		case "Read the person's managed devices":
			read = &itCard.Sections[i]
		}
	}
	if devices == nil || wipe == nil || lock == nil || read == nil {
		t.Fatalf("IT card sections %+v", itCard.Sections)
	}
	wantLines := "• MacBook Pro 14 · serial C02XK1 · macOS 14.5 · checked in 1h 1m ago · compliant\n" +
		"• iPhone 15 · serial F2LZQ9 · iOS 17.4 · checked in 3 days ago · NOT compliant"
	if devices.Text != wantLines || devices.Tone != offboard.ToneWarning {
		t.Errorf("device lines (tone %s):\n%s\nwant:\n%s", devices.Tone, devices.Text, wantLines)
	}
	for _, f := range read.Fields {
		if f.Label == "Evidence" && strings.Contains(f.Value, "serial") {
			t.Errorf("the device list is dumped into the evidence: %s", f.Value)
		}
	}
	if lock.Tone != offboard.ToneDanger || !strings.Contains(lock.Text, "1 of 2 devices have not acknowledged: d2") {
		t.Errorf("unacknowledged lock: tone %s, %q", lock.Tone, lock.Text)
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

// TestRouter_DeviceReturnForm: the laptop task is done through its form
// once it is received and wiped; each field is checked where it is typed.
func TestRouter_DeviceReturnForm(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	ref := offboard.ActionRef{Verb: offboard.VerbRecordReturn, CaseID: id, TaskKey: "device_recover"}
	r := h.router.Click(h.ctx, it, ref.Encode())
	if r.Form == nil || r.Form.ID != bot.FormDeviceReturn || !r.Ephemeral {
		t.Fatalf("click: %+v, want the return form", r)
	}
	submit := func(who offboard.Actor, values map[string]string) (offboard.Reply, error) {
		return h.router.Submit(h.ctx, who, bot.FormDeviceReturn, r.Form.State, values)
	}
	today := h.clock.Now().In(h.loc).Format("2006-01-02")
	tomorrow := h.clock.Now().In(h.loc).AddDate(0, 0, 1).Format("2006-01-02")
	for _, tc := range []struct {
		values map[string]string
		field  string
	}{
		{map[string]string{"received_on": "30/11/2026", "wiped": "no"}, "received_on"},
		{map[string]string{"received_on": tomorrow, "wiped": "no"}, "received_on"},
		{map[string]string{"wiped": "yes", "wiped_by": "not an email"}, "wiped_by"},
		{map[string]string{"wiped": "no", "wiped_by": "tom@example.com"}, "wiped_by"},
		{map[string]string{"wiped": "perhaps"}, "wiped"},
		{map[string]string{"shipping_ref": strings.Repeat("1Z", 40), "wiped": "no"}, "shipping_ref"},
		{map[string]string{"wiped": "no"}, "shipping_ref"},
	} {
		_, err := submit(it, tc.values)
		var fe offboard.FieldErrors
		if !errors.As(err, &fe) || fe[tc.field] == "" {
			t.Errorf("%v: err %v, want a field error on %s", tc.values, err, tc.field)
		}
	}
	before := len(h.view(id).Tasks)
	if r, err := submit(finance, map[string]string{"shipping_ref": "1Z999", "wiped": "no"}); err != nil || !strings.Contains(r.Text, "may not") {
		t.Errorf("finance records a return: %+v %v, want refused", r, err)
	}
	if _, err := submit(it, map[string]string{"shipping_ref": "1Z999AA1", "wiped": "no"}); err != nil {
		t.Fatal(err)
	}
	task := findTaskIn(h.view(id), "device_recover")
	if task.Status.Settled() || offboard.DeviceReturnOf(task).ShippingRef != "1Z999AA1" {
		t.Fatalf("after the reference: %s %v", task.Status, task.Evidence)
	}
	card, _ := bot.DepartmentCard(h.view(id), offboard.DeptIT, h.clock.Now(), h.loc)
	shown := false
	for _, s := range card.Sections {
		if s.Heading == task.Title && fieldValue(s.Fields, "Return") == "shipping reference 1Z999AA1 · not received yet · not wiped yet" {
			shown = true
		}
	}
	if !shown {
		t.Errorf("the card does not show the return: %+v", card.Sections)
	}
	// Received and wiped (by the submitter, unless named): done, and the
	// reference recorded before is kept.
	if _, err := submit(it, map[string]string{"received_on": today, "wiped": "yes"}); err != nil {
		t.Fatal(err)
	}
	task = findTaskIn(h.view(id), "device_recover")
	got := offboard.DeviceReturnOf(task)
	if task.Status != offboard.TaskDone || got.ShippingRef != "1Z999AA1" || got.WipedBy != it.Email || got.ReceivedOn != today {
		t.Fatalf("after received and wiped: %s %+v", task.Status, got)
	}
	if len(h.view(id).Tasks) != before {
		t.Error("recording the return changed the tasks")
	}
	var acts []string
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if e.Target == "device_recover" {
			acts = append(acts, e.Action+": "+e.Detail)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(acts) < 2 || !strings.Contains(acts[len(acts)-2], "task.device_return") || !strings.Contains(acts[len(acts)-1], "task.done: "+it.Email+" recorded the return: shipping reference 1Z999AA1 · received "+today) {
		t.Errorf("audit %q", acts)
	}
}

func findTaskIn(v *offboard.CaseView, key string) *offboard.Task {
	for _, t := range v.Tasks {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// TestClick_AskAgainWipe: IT names the device to wipe in the Ask again
// form; the switches are selects, nobody is named as approver, and a
// missing device is a field error beside it.
func TestClick_AskAgainWipe(t *testing.T) {
	h := newHarnessWith(t, withFakeMDM)
	id := h.open("jane.doe@example.com involuntary")
	ask, ok := button([]offboard.Card{h.taskCard(id, "fakemdm_wipe")}, offboard.VerbAskAgain, "fakemdm_wipe")
	if !ok {
		t.Fatal("no Ask again on the wipe waiting for a device")
	}
	r := h.router.Click(h.ctx, it, ask.Action.Encode())
	if r.Form == nil {
		t.Fatalf("click: %+v", r)
	}
	kinds := map[string]string{}
	for _, in := range r.Form.Inputs {
		kinds[in.ID] = in.Kind + ":" + in.Initial
	}
	if kinds["param_device_id"] != offboard.InputText+":" || kinds["param_keep_enrollment"] != offboard.InputSelect+":false" ||
		kinds["param_keep_user_data"] != offboard.InputSelect+":false" {
		t.Errorf("inputs %v", kinds)
	}
	if _, named := kinds["approver"]; named {
		t.Error("the wipe's form asks for an approver; two people of IT decide")
	}
	submit := func(values map[string]string) error {
		_, err := h.router.Submit(h.ctx, it, bot.FormAskAgain, r.Form.State, values)
		return err
	}
	var fe offboard.FieldErrors
	if err := submit(map[string]string{"param_device_id": "d1", "param_keep_enrollment": "maybe", "param_keep_user_data": "false"}); !errors.As(err, &fe) ||
		!strings.Contains(fe["param_keep_enrollment"], "true or false") {
		t.Errorf("a bad switch: %v", err)
	}
	if err := submit(map[string]string{"param_device_id": "d1", "param_keep_enrollment": "false", "param_keep_user_data": "true"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range h.view(id).Approvals {
		if a.TaskKey == "fakemdm_wipe" && (a.Status != offboard.ApprovalPending || a.Params["device_id"] != "d1" || a.Params["keep_user_data"] != "true" || a.Role != offboard.RoleIT) {
			t.Errorf("wipe approval %+v", a)
		}
	}
}
