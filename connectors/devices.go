package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// Device systems (Intune, Jamf) share these adapters, so each one only
// talks to its API: it reads devices (offboard.DeviceReader) and reports
// what each command did (offboard.DeviceAction); what that means for the
// task is decided here, once.

// DeviceStatus is the devices.status action of a device system: it reads
// the person's devices and returns them as the snapshot the IT card
// draws (Evidence[offboard.EvidenceDevices]). A read changes nothing, so
// it is verified by being read.
func DeviceStatus(system, label string, reader offboard.DeviceReader, now func() time.Time) Action {
	return ActionFunc(func(ctx context.Context, req Request) (Result, error) {
		devices, err := reader.Devices(ctx, req.Target)
		if err != nil {
			return Result{}, fmt.Errorf("read the devices of %s in %s: %w", req.Target.Email, label, err)
		}
		snap := DeviceSnapshot(system, label, devices, now())
		return Result{Verified: true, Summary: fmt.Sprintf("%d managed devices in %s", len(devices), label),
			Evidence: map[string]string{offboard.EvidenceDevices: snap.Encode()}}, nil
	})
}

// DeviceSnapshot is the snapshot of a read, each device marked as
// managed by system.
func DeviceSnapshot(system, label string, devices []offboard.Device, at time.Time) offboard.DeviceSnapshot {
	out := make([]offboard.Device, len(devices))
	for i, d := range devices {
		if d.ManagedBy == "" {
			d.ManagedBy = system
		}
		out[i] = d
	}
	return offboard.DeviceSnapshot{System: system, Label: label, ReadAt: at.UTC(), Devices: out}
}

// ErrDeviceFailed is wrapped by DeviceResult's error when a device
// reported that a command failed; sending it again may work, so it is
// retryable.
var ErrDeviceFailed = errors.New("a device reported the command failed")

// DeviceResult turns the commands a lock, retire or wipe sent into the
// action's result: verified only when every device acknowledged, an
// error when one failed, unverified (the task escalates) while any is
// pending or when there was no device. snap, when the action read the
// devices, is kept for the card.
func DeviceResult(actions []offboard.DeviceAction, snap *offboard.DeviceSnapshot) (Result, error) {
	out := offboard.SettleDeviceActions(actions)
	if out.Failed {
		return Result{}, fmt.Errorf("%w: %s", ErrDeviceFailed, out.Summary)
	}
	if snap != nil {
		out.Evidence[offboard.EvidenceDevices] = snap.Encode()
	}
	return Result{Verified: out.Verified, Summary: out.Summary, Evidence: out.Evidence}, nil
}
