package offboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestSettleDeviceActions_OnlyAcknowledgedIsDone(t *testing.T) {
	ack := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		actions          []offboard.DeviceAction
		verified, failed bool
		summary          string
	}{
		{"all acknowledged", []offboard.DeviceAction{
			{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack},
			{DeviceID: "d2", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack},
		}, true, false, "2 of 2 devices acknowledged"},
		{"one pending is unverified", []offboard.DeviceAction{
			{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack},
			{DeviceID: "d2", Action: "lock", State: offboard.DevicePending},
		}, false, false, "1 of 2 devices have not acknowledged: d2"},
		{"an unknown state is pending, not done", []offboard.DeviceAction{
			{DeviceID: "d1", Action: "wipe", State: "queued"},
		}, false, false, "1 of 1 devices have not acknowledged: d1"},
		{"a failure fails", []offboard.DeviceAction{
			{DeviceID: "d1", Action: "lock", State: offboard.DevicePending},
			{DeviceID: "d2", Action: "lock", State: offboard.DeviceFailed, Error: "device not found"},
		}, false, true, "1 of 2 devices failed: d2"},
		{"no device is not done", nil, false, false, "no managed device found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := offboard.SettleDeviceActions(tt.actions)
			if got.Verified != tt.verified || got.Failed != tt.failed || !strings.Contains(got.Summary, tt.summary) {
				t.Errorf("got verified %v failed %v %q, want %v %v %q", got.Verified, got.Failed, got.Summary, tt.verified, tt.failed, tt.summary)
			}
			if len(got.Evidence) != len(tt.actions) {
				t.Errorf("evidence %v: want one entry per device", got.Evidence)
			}
		})
	}
	got := offboard.SettleDeviceActions([]offboard.DeviceAction{{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack}})
	if got.Evidence["device.d1"] != "lock done at 2026-03-02T10:00:00Z" {
		t.Errorf("evidence %q", got.Evidence["device.d1"])
	}
}

func TestDevice_Line(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	d := offboard.Device{ID: "d1", Model: "MacBook Pro 14", Serial: "C02XK1", OS: "macOS", OSVersion: "14.5",
		LastCheckIn: now.Add(-3 * time.Hour), Compliance: offboard.NonCompliant, ManagedBy: "mdm"}
	want := "MacBook Pro 14 · serial C02XK1 · macOS 14.5 · checked in 3h ago · NOT compliant"
	if got := d.Line(now); got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	yes := true
	if got := (offboard.Device{ID: "d8", Encrypted: &yes, Compliance: offboard.Compliant}).Line(now); got != "device d8 · never checked in · encrypted · compliant" {
		t.Errorf("encrypted device line %q", got)
	}
	if got := (offboard.Device{ID: "d9"}).Line(now); got != "device d9 · never checked in · compliance unknown" {
		t.Errorf("bare device line %q", got)
	}
}

func TestLatestDevices_NewestPerSystem(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	snap := func(system string, at time.Time, serial string) string {
		return offboard.DeviceSnapshot{System: system, ReadAt: at, Devices: []offboard.Device{{ID: serial, Serial: serial, ManagedBy: system}}}.Encode()
	}
	tasks := []*offboard.Task{
		{Key: "b_lock", Evidence: map[string]string{offboard.EvidenceDevices: snap("b", t0, "old")}},
		{Key: "b_wipe", Evidence: map[string]string{offboard.EvidenceDevices: snap("b", t0.Add(time.Hour), "new")}},
		{Key: "a_lock", Evidence: map[string]string{offboard.EvidenceDevices: snap("a", t0, "a1")}},
		{Key: "broken", Evidence: map[string]string{offboard.EvidenceDevices: "{not json"}},
		{Key: "none"},
	}
	got := offboard.LatestDevices(tasks)
	if len(got) != 2 || got[0].System != "a" || got[1].System != "b" || got[1].Devices[0].Serial != "new" {
		t.Fatalf("snapshots %+v, want a then b's newest", got)
	}
	if _, err := offboard.ParseDeviceSnapshot("{not json"); err == nil {
		t.Error("a broken snapshot parsed")
	}
}

func TestCanApprove_TwoDistinctIT(t *testing.T) {
	c := &offboard.Case{Employee: offboard.Employee{Email: "jane@example.com"}}
	person := func(email string, roles ...offboard.Role) offboard.Actor {
		return offboard.Actor{Kind: offboard.ActorPerson, ID: email, Email: email, Roles: roles}
	}
	a := &offboard.Approval{Role: offboard.RoleIT, Needed: 2, RequestedBy: "rita@example.com"}
	tests := []struct {
		name  string
		actor offboard.Actor
		ok    bool
	}{
		{"an IT person", person("ivan@example.com", offboard.RoleIT), true},
		{"the requester, though IT", person("rita@example.com", offboard.RoleIT), false},
		{"the person leaving, though IT", person("jane@example.com", offboard.RoleIT), false},
		{"an admin without IT", person("ada@example.com", offboard.RoleAdmin), false},
		{"HR", person("hana@example.com", offboard.RoleHR), false},
	}
	for _, tt := range tests {
		err := offboard.CanApprove(tt.actor, c, a, nil)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want allowed %v", tt.name, err, tt.ok)
		}
	}
	a.Decisions = []offboard.Decision{{By: "ivan@example.com", Approve: true}}
	if err := offboard.CanApprove(person("IVAN@example.com", offboard.RoleIT), c, a, nil); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("the same person twice: err %v, want forbidden", err)
	}
	if a.Yeses() != 1 || a.Required() != 2 {
		t.Errorf("yeses %d of %d, want 1 of 2", a.Yeses(), a.Required())
	}
	if err := offboard.CanApprove(person("tom@example.com", offboard.RoleIT), c, a, nil); err != nil {
		t.Errorf("a second IT person: %v", err)
	}
	if (&offboard.Approval{}).Required() != 1 {
		t.Error("an approval without Needed needs one yes")
	}
}

func TestDeviceReturn_Validate(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	ok := offboard.DeviceReturn{ShippingRef: "1Z999", ReceivedOn: "2026-03-02", Wiped: true, WipedBy: "tom@example.com", Condition: "scratched lid"}
	if fe := ok.Validate(now, time.UTC); len(fe) != 0 || !ok.Complete() {
		t.Fatalf("a good return: %v complete %v", fe, ok.Complete())
	}
	for _, tc := range []struct {
		r     offboard.DeviceReturn
		field string
	}{
		{offboard.DeviceReturn{ReceivedOn: "2026-03-03"}, "received_on"},
		{offboard.DeviceReturn{ReceivedOn: "2 March"}, "received_on"},
		{offboard.DeviceReturn{Wiped: true}, "wiped_by"},
		{offboard.DeviceReturn{WipedBy: "tom@example.com"}, "wiped_by"},
		{offboard.DeviceReturn{Wiped: true, WipedBy: "Tom <tom@example.com>"}, "wiped_by"},
		{offboard.DeviceReturn{ShippingRef: "1Z\n2"}, "shipping_ref"},
		{offboard.DeviceReturn{Condition: strings.Repeat("x", 201)}, "condition"},
	} {
		if fe := tc.r.Validate(now, time.UTC); fe[tc.field] == "" {
			t.Errorf("%+v: errors %v, want one on %s", tc.r, fe, tc.field)
		}
	}
	// A later record adds to what was known.
	first := offboard.DeviceReturn{ShippingRef: "1Z999"}
	got := first.Merge(offboard.DeviceReturn{ReceivedOn: "2026-03-02", Condition: "good"})
	if got.ShippingRef != "1Z999" || got.ReceivedOn != "2026-03-02" || got.Complete() {
		t.Errorf("merged %+v", got)
	}
	task := &offboard.Task{Evidence: got.Evidence()}
	if back := offboard.DeviceReturnOf(task); back != got {
		t.Errorf("evidence round trip %+v, want %+v", back, got)
	}
	if w := got.Words(); w != "shipping reference 1Z999 · received 2026-03-02 · condition: good · not wiped yet" {
		t.Errorf("words %q", w)
	}
}

func TestApproval_Deciders(t *testing.T) {
	a := &offboard.Approval{Role: offboard.RoleIT, Needed: 2, Decisions: []offboard.Decision{{By: "tom@example.com", Approve: true}}}
	if got := a.Deciders(); got != "2 different people with the it role (1 of 2 approved)" {
		t.Errorf("deciders %q", got)
	}
	if got := (&offboard.Approval{Approver: "mona@example.com"}).Deciders(); got != "mona@example.com" {
		t.Errorf("named approver %q", got)
	}
}

// The leaver under another address: Jane clicks in Teams with her Entra
// object id (the one the case's Entra tasks found) while the roster gives
// an alias IT holds. A platform id the case knows as the leaver's is the
// leaver.
func TestCanApprove_LeaverByPlatformID(t *testing.T) {
	c := &offboard.Case{Employee: offboard.Employee{Email: "jane@example.com"},
		UserIDs: map[string]string{"entra": "0f1e2d3c-0000-4000-8000-00000000000a"}}
	a := &offboard.Approval{Role: offboard.RoleIT, Needed: 2, RequestedBy: "rita@example.com"}
	alias := offboard.Actor{Kind: offboard.ActorPerson, ID: "jdoe.it@example.com", Email: "jdoe.it@example.com",
		Platform: "teams", PlatformUserID: "0F1E2D3C-0000-4000-8000-00000000000A", Roles: []offboard.Role{offboard.RoleIT}}
	if err := offboard.CanApprove(alias, c, a, nil); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("the leaver under an alias: err %v, want forbidden", err)
	}
	other := alias
	other.Email, other.ID, other.PlatformUserID = "ivan@example.com", "ivan@example.com", "11111111-0000-4000-8000-00000000000b"
	if err := offboard.CanApprove(other, c, a, nil); err != nil {
		t.Fatalf("another IT person: %v", err)
	}
}

// The same leaver under an alias may not run a task of their own case
// either: the lock's PIN is revealed to whoever may run the lock task.
func TestCanRunTask_LeaverByPlatformID(t *testing.T) {
	c := &offboard.Case{Employee: offboard.Employee{Email: "jane@example.com"},
		UserIDs: map[string]string{"entra": "0f1e2d3c-0000-4000-8000-00000000000a"}}
	lock := &offboard.Task{Key: "jamf_lock", Title: "Lock", Department: offboard.DeptIT}
	alias := offboard.Actor{Kind: offboard.ActorPerson, ID: "jdoe.it@example.com", Email: "jdoe.it@example.com",
		Platform: "teams", PlatformUserID: "0F1E2D3C-0000-4000-8000-00000000000A", Roles: []offboard.Role{offboard.RoleIT, offboard.RoleHR}}
	if err := offboard.CanRunTask(alias, c, lock, offboard.Departments{}); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("the leaver under an alias runs their own lock: err %v, want forbidden", err)
	}
	if err := offboard.CanSkipTask(alias, c, lock, offboard.Departments{}); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("the leaver under an alias skips their own lock: err %v, want forbidden", err)
	}
	other := alias
	other.Email, other.ID, other.PlatformUserID = "ivan@example.com", "ivan@example.com", "11111111-0000-4000-8000-00000000000b"
	if err := offboard.CanRunTask(other, c, lock, offboard.Departments{}); err != nil {
		t.Fatalf("another IT person: %v", err)
	}
}

// An actor without an email is recorded as "kind:id" (flows' actorName);
// DecidedBy must know that record as theirs, or they could decide twice.
func TestApproval_DecidedByWithoutEmail(t *testing.T) {
	tok := offboard.Actor{Kind: offboard.ActorAPI, ID: "it-sync", Roles: []offboard.Role{offboard.RoleIT}}
	a := &offboard.Approval{Role: offboard.RoleIT, Needed: 2, Decisions: []offboard.Decision{{By: "api:it-sync", Approve: true}}}
	if !a.DecidedBy(tok) {
		t.Fatal("an email-less actor's own decision is not recognised as theirs")
	}
	c := &offboard.Case{Employee: offboard.Employee{Email: "jane@example.com"}}
	if err := offboard.CanApprove(tok, c, a, nil); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("deciding twice: err %v, want forbidden", err)
	}
}

// An email-less requester (recorded "kind:id") cannot approve their own
// request.
func TestCanApprove_RequesterWithoutEmail(t *testing.T) {
	tok := offboard.Actor{Kind: offboard.ActorAPI, ID: "it-sync", Roles: []offboard.Role{offboard.RoleIT}}
	a := &offboard.Approval{Role: offboard.RoleIT, Needed: 2, RequestedBy: "api:it-sync"}
	c := &offboard.Case{Employee: offboard.Employee{Email: "jane@example.com"}}
	if err := offboard.CanApprove(tok, c, a, nil); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("the requester approving: err %v, want forbidden", err)
	}
}
