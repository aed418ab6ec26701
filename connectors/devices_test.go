package connectors_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// inventory is a device system's inventory as a test keeps it: devices
// by the owner's email.
type inventory map[string][]offboard.Device

func (inv inventory) Devices(_ context.Context, t offboard.Target) ([]offboard.Device, error) {
	if t.Email == "down@example.com" {
		return nil, errors.New("503 service unavailable")
	}
	return inv[t.Email], nil
}

func TestDeviceStatus_Run(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	inv := inventory{"jane@example.com": {{ID: "d1", Model: "MacBook Air", Serial: "C02AAA"}, {ID: "d2", Model: "iPhone", ManagedBy: "other"}}}
	act := connectors.DeviceStatus("mdm", "Test MDM", inv, func() time.Time { return at })
	res, err := act.Run(t.Context(), connectors.Request{Target: offboard.Target{Email: "jane@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := offboard.ParseDeviceSnapshot(res.Evidence[offboard.EvidenceDevices])
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || snap.System != "mdm" || snap.Label != "Test MDM" || !snap.ReadAt.Equal(at) || len(snap.Devices) != 2 ||
		snap.Devices[0].ManagedBy != "mdm" || snap.Devices[1].ManagedBy != "other" {
		t.Errorf("result %+v snapshot %+v", res, snap)
	}
	_, err = act.Run(t.Context(), connectors.Request{Target: offboard.Target{Email: "down@example.com"}})
	if err == nil || !strings.Contains(err.Error(), "read the devices of down@example.com in Test MDM") || !connectors.Retryable(err) {
		t.Errorf("outage: %v (retryable %v)", err, connectors.Retryable(err))
	}
}

func TestDeviceResult_PendingIsUnverified(t *testing.T) {
	ack := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	snap := connectors.DeviceSnapshot("mdm", "Test MDM", []offboard.Device{{ID: "d1"}}, ack)
	res, err := connectors.DeviceResult([]offboard.DeviceAction{{DeviceID: "d1", Action: "lock", State: offboard.DevicePending}}, &snap)
	if err != nil || res.Verified || res.Evidence[offboard.EvidenceDevices] == "" {
		t.Errorf("pending lock: %+v %v, want unverified with the snapshot", res, err)
	}
	res, err = connectors.DeviceResult([]offboard.DeviceAction{{DeviceID: "d1", Action: "lock", State: offboard.DeviceDone, AcknowledgedAt: &ack}}, nil)
	if err != nil || !res.Verified {
		t.Errorf("acknowledged lock: %+v %v", res, err)
	}
	_, err = connectors.DeviceResult([]offboard.DeviceAction{{DeviceID: "d1", Action: "wipe", State: offboard.DeviceFailed, Error: "not supported"}}, nil)
	if !errors.Is(err, connectors.ErrDeviceFailed) || !connectors.Retryable(err) {
		t.Errorf("failed wipe: %v", err)
	}
}
