package microsoft_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// newIntune builds a client on the fake and registers the Intune actions.
func newIntune(t *testing.T, s *graphtest.Server) *connectors.Registry {
	t.Helper()
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	if err := microsoft.NewIntune(c).Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func runParams(t *testing.T, reg *connectors.Registry, action string, target offboard.Target, params map[string]string) (connectors.Result, error) {
	t.Helper()
	a, ok := reg.Lookup(action)
	if !ok {
		t.Fatalf("%s is not registered", action)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Run(ctx, connectors.Request{JobID: "OFF-0001/x#1", CaseID: "OFF-0001", Action: action, Params: params, Target: target, Attempt: 1})
}

// janeDevices gives Jane an online laptop and a phone that is off.
func janeDevices(s *graphtest.Server, userID string) (laptop, phone string) {
	laptop = s.AddDevice(graphtest.ManagedDevice{UserID: userID, DeviceName: "JANE-MBP", Model: "MacBook Pro", Manufacturer: "Apple",
		Serial: "C02XK1", OS: "macOS", OSVersion: "14.5", LastSync: time.Now().Add(-time.Hour), Compliance: "compliant", Encrypted: true, Online: true})
	phone = s.AddDevice(graphtest.ManagedDevice{UserID: userID, DeviceName: "JANE-IPHONE", Model: "iPhone 15",
		Serial: "F2LZQ9", OS: "iOS", OSVersion: "17.4", LastSync: time.Now().Add(-72 * time.Hour), Compliance: "noncompliant"})
	return laptop, phone
}

func requestsTo(s *graphtest.Server, suffix string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func TestIntune_Status(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	laptop, phone := janeDevices(s, id)
	s.AddDevice(graphtest.ManagedDevice{UserID: s.AddUser(graphtest.User{UserPrincipalName: "bob@example.com"}), DeviceName: "BOB-PC"})
	reg := newIntune(t, s)

	res, err := runParams(t, reg, "intune.status", janeTarget, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.UserID != id {
		t.Fatalf("result = %+v, want verified with user id %s", res, id)
	}
	snap, err := offboard.ParseDeviceSnapshot(res.Evidence[offboard.EvidenceDevices])
	if err != nil {
		t.Fatal(err)
	}
	if snap.System != "intune" || len(snap.Devices) != 2 {
		t.Fatalf("snapshot = %+v, want Jane's 2 devices from intune", snap)
	}
	byID := map[string]offboard.Device{}
	for _, d := range snap.Devices {
		byID[d.ID] = d
	}
	mac, ph := byID[laptop], byID[phone]
	if mac.Model != "MacBook Pro" || mac.Serial != "C02XK1" || mac.OS != "macOS" || mac.Compliance != offboard.Compliant ||
		mac.Encrypted == nil || !*mac.Encrypted || mac.LastCheckIn.IsZero() || mac.ManagedBy != "intune" {
		t.Errorf("laptop = %+v", mac)
	}
	if ph.Compliance != offboard.NonCompliant || ph.Encrypted == nil || *ph.Encrypted {
		t.Errorf("phone = %+v", ph)
	}
	if line := mac.Line(time.Now()); !strings.Contains(line, "serial C02XK1") || !strings.Contains(line, "compliant") {
		t.Errorf("line = %q", line)
	}
}

// TestIntune_Lock: the lock reaches the online laptop (done) but not the
// phone that is off (pending: unverified, never done); at the phone's
// check-in, the retry is done. The user is looked up once: the Entra id
// the case carries saves it.
func TestIntune_Lock(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	laptop, phone := janeDevices(s, id)
	reg := newIntune(t, s)
	target := janeTarget
	target.UserIDs = map[string]string{"entra": id}

	res, err := runParams(t, reg, "intune.lock", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified {
		t.Fatalf("lock verified with the phone off: %+v", res)
	}
	if !strings.HasPrefix(res.Evidence["device."+laptop], "lock done at ") || !strings.Contains(res.Evidence["device."+phone], "pending") {
		t.Fatalf("evidence = %v", res.Evidence)
	}
	if res.UserID != id || requestsTo(s, "/users/jane@example.com") != 0 {
		t.Fatalf("user id %q, lookups by email %d: the entra id should have been used", res.UserID, requestsTo(s, "/users/jane@example.com"))
	}
	if d, _ := s.Device(phone); len(d.Actions) != 1 || d.Actions[0].Name != "remoteLock" || d.Actions[0].State != "pending" {
		t.Fatalf("phone actions = %+v", d.Actions)
	}

	s.CheckIn(phone)
	res, err = runParams(t, reg, "intune.lock", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || !strings.HasPrefix(res.Evidence["device."+phone], "lock done at ") {
		t.Fatalf("after check-in: %+v", res)
	}
	if d, _ := s.Device(phone); len(d.Actions) != 1 {
		t.Fatalf("phone got %d locks, want the one it acknowledged (none queued again)", len(d.Actions))
	}
}

func TestIntune_Retire_notSupported(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	s.AddDevice(graphtest.ManagedDevice{UserID: id, DeviceName: "KIOSK", Online: true, NotSupported: []string{"retire"}})
	reg := newIntune(t, s)

	_, err := runParams(t, reg, "intune.retire", janeTarget, nil)
	if !errors.Is(err, connectors.ErrDeviceFailed) || !strings.Contains(err.Error(), "notSupported") {
		t.Fatalf("err = %v, want a device failure naming Intune's notSupported", err)
	}
}

func TestIntune_Wipe(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	laptop, _ := janeDevices(s, id)
	bob := s.AddUser(graphtest.User{UserPrincipalName: "bob@example.com"})
	bobPC := s.AddDevice(graphtest.ManagedDevice{UserID: bob, DeviceName: "BOB-PC", Online: true})
	reg := newIntune(t, s)

	// Someone else's device is refused, and nothing is sent.
	_, err := runParams(t, reg, "intune.wipe", janeTarget, map[string]string{"device_id": bobPC, "keep_enrollment": "false", "keep_user_data": "false"})
	if offboard.ErrorCode(err) != offboard.EINVALID {
		t.Fatalf("wipe of bob's device: err = %v, want EINVALID", err)
	}
	if d, _ := s.Device(bobPC); len(d.Actions) != 0 {
		t.Fatalf("bob's device got %+v", d.Actions)
	}
	if _, err := runParams(t, reg, "intune.wipe", janeTarget, map[string]string{"device_id": laptop, "keep_user_data": "maybe"}); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Fatalf("keep_user_data=maybe: err = %v, want EINVALID", err)
	}

	res, err := runParams(t, reg, "intune.wipe", janeTarget, map[string]string{"device_id": laptop, "keep_enrollment": "true", "keep_user_data": "false"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Device(laptop)
	if !res.Verified || d.LastWipe["keepEnrollmentData"] != true || d.LastWipe["keepUserData"] != false {
		t.Fatalf("result %+v, wipe body %v", res, d.LastWipe)
	}
	// A retry does not wipe again.
	if _, err := runParams(t, reg, "intune.wipe", janeTarget, map[string]string{"device_id": laptop}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Device(laptop); len(d.Actions) != 1 {
		t.Fatalf("wipes sent = %d, want 1", len(d.Actions))
	}
}

// TestIntune_Lock_permissions: without PrivilegedOperations.All the lock
// is refused naming the permission; without Read.All the list is.
func TestIntune_Lock_permissions(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	janeDevices(s, id)
	reg := newIntune(t, s)

	s.SetPermissions(append(graphtest.LeastPrivilege, "DeviceManagementManagedDevices.Read.All")...)
	_, err := runParams(t, reg, "intune.lock", janeTarget, nil)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "DeviceManagementManagedDevices.PrivilegedOperations.All") {
		t.Fatalf("err = %v", err)
	}
	s.SetPermissions(graphtest.LeastPrivilege...)
	_, err = runParams(t, reg, "intune.status", janeTarget, nil)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "DeviceManagementManagedDevices.Read.All") {
		t.Fatalf("err = %v", err)
	}
}

// TestIntune_Status_staleID: an id that no longer exists is looked up
// again by email.
func TestIntune_Status_staleID(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	janeDevices(s, id)
	reg := newIntune(t, s)
	target := janeTarget
	target.UserIDs = map[string]string{"intune": "00000000-dead-beef-0000-000000000000"}
	res, err := runParams(t, reg, "intune.status", target, nil)
	if err != nil || res.UserID != id {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

func TestIntune_Lock_throttled(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	janeDevices(s, id)
	reg := newIntune(t, s)
	s.Throttle(1, 20*time.Second)
	_, err := runParams(t, reg, "intune.lock", janeTarget, nil)
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); !ok || rl.API != microsoft.API {
		t.Fatalf("err = %v, want a microsoft rate-limit pause", err)
	}
}
