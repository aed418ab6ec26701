package offboard

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Devices as every device system (an MDM: Intune, Jamf) reports them, so
// the engine and the cards never learn a vendor's shapes. A device system
// implements DeviceReader for devices.status and returns DeviceActions
// from its lock, retire and wipe actions; SettleDeviceActions turns those
// into what the task records.

// Compliance is a device's standing with its management system's policies.
type Compliance string

// Compliance states.
const (
	Compliant    Compliance = "compliant"
	NonCompliant Compliance = "noncompliant"
	// ComplianceUnknown: the system has not evaluated the device (yet).
	ComplianceUnknown Compliance = "unknown"
)

// Device is one managed device of a person.
type Device struct {
	// ID is the device system's id, what a lock or a wipe names.
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Model  string `json:"model,omitempty"`
	Serial string `json:"serial,omitempty"`
	// OS and OSVersion: "macOS", "14.5".
	OS        string `json:"os,omitempty"`
	OSVersion string `json:"os_version,omitempty"`
	// LastCheckIn is when the device last talked to its system; a lock
	// reaches the device only at its next check-in.
	LastCheckIn time.Time  `json:"last_check_in,omitzero"`
	Compliance  Compliance `json:"compliance,omitempty"`
	// Encrypted is the disk encryption (FileVault, BitLocker) when the
	// system reports it; nil when it does not.
	Encrypted *bool `json:"encrypted,omitempty"`
	// ManagedBy is the connector name of the system that manages it.
	ManagedBy string `json:"managed_by"`
	// Value is the asset's purchase value with its currency ("1,899.00
	// USD") when the system records it; a write-off approval shows it.
	Value string `json:"value,omitempty"`
}

// Line says the device in one line for a card: model, serial, OS, last
// check-in, disk encryption when known, and compliance.
func (d Device) Line(now time.Time) string {
	name := d.Model
	if name == "" {
		name = d.Name
	}
	if name == "" {
		name = "device " + d.ID
	}
	parts := []string{name}
	if d.Serial != "" {
		parts = append(parts, "serial "+d.Serial)
	}
	if os := strings.TrimSpace(d.OS + " " + d.OSVersion); os != "" {
		parts = append(parts, os)
	}
	if d.LastCheckIn.IsZero() {
		parts = append(parts, "never checked in")
	} else {
		parts = append(parts, "checked in "+Humanize(now.Sub(d.LastCheckIn))+" ago")
	}
	if d.Encrypted != nil && *d.Encrypted {
		parts = append(parts, "encrypted")
	} else if d.Encrypted != nil {
		parts = append(parts, "NOT encrypted")
	}
	switch d.Compliance {
	case Compliant:
		parts = append(parts, "compliant")
	case NonCompliant:
		parts = append(parts, "NOT compliant")
	default:
		parts = append(parts, "compliance unknown")
	}
	return strings.Join(parts, " · ")
}

// DeviceReader is the devices.status capability: the person's managed
// devices in one system. It is called outside any transaction (it is a
// network call); what it returns is stored as a DeviceSnapshot.
type DeviceReader interface {
	Devices(ctx context.Context, target Target) ([]Device, error)
}

// DeviceSnapshot is a device read kept as the evidence the cards draw
// from: the list as the system said it at ReadAt.
type DeviceSnapshot struct {
	// System is the connector's name, Label its name for people.
	System  string    `json:"system"`
	Label   string    `json:"label,omitempty"`
	ReadAt  time.Time `json:"read_at"`
	Devices []Device  `json:"devices"`
}

// EvidenceDevices is the evidence key under which a device task keeps the
// snapshot its action read (JSON, DeviceSnapshot.Encode).
const EvidenceDevices = "devices"

// Encode is the snapshot as an evidence value.
func (s DeviceSnapshot) Encode() string {
	b, err := json.Marshal(s)
	if err != nil {
		return "" // only strings and times: cannot fail
	}
	return string(b)
}

// ParseDeviceSnapshot reads an evidence value written by Encode.
func ParseDeviceSnapshot(v string) (DeviceSnapshot, error) {
	var s DeviceSnapshot
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return DeviceSnapshot{}, fmt.Errorf("device snapshot: %w", err)
	}
	return s, nil
}

// LatestDevices returns the newest device snapshot among the tasks'
// evidence, one per system (the newest of each), systems in name order.
func LatestDevices(tasks []*Task) []DeviceSnapshot {
	newest := map[string]DeviceSnapshot{}
	for _, t := range tasks {
		v, ok := t.Evidence[EvidenceDevices]
		if !ok {
			continue
		}
		s, err := ParseDeviceSnapshot(v)
		if err != nil {
			continue // not ours to fail a card over; the raw value stays in the audit
		}
		if old, ok := newest[s.System]; !ok || s.ReadAt.After(old.ReadAt) {
			newest[s.System] = s
		}
	}
	out := make([]DeviceSnapshot, 0, len(newest))
	for _, s := range newest {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b DeviceSnapshot) int { return strings.Compare(a.System, b.System) })
	return out
}

// DeviceActionState is where a command sent to a device stands, as its
// system reports it.
type DeviceActionState string

// Device action states.
const (
	// DevicePending: sent, the device has not acknowledged it (it may be
	// off, or never check in again).
	DevicePending DeviceActionState = "pending"
	DeviceDone    DeviceActionState = "done"
	DeviceFailed  DeviceActionState = "failed"
)

// DeviceAction is the result of one lock, retire or wipe on one device.
type DeviceAction struct {
	DeviceID string `json:"device_id"`
	// Action is the verb: lock, retire, wipe.
	Action string            `json:"action"`
	State  DeviceActionState `json:"state"`
	// AcknowledgedAt is when the device confirmed it; nil while pending.
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	// Error is the system's reason for a failure (already cut to size).
	Error string `json:"error,omitempty"`
}

// DeviceOutcome is what a device task records of its actions.
type DeviceOutcome struct {
	// Verified is true only when every device acknowledged: a command
	// sent to a device that has not confirmed it is not done.
	Verified bool
	// Failed is true when a device's system refused or the device
	// reported a failure; the task then fails rather than being unverified.
	Failed   bool
	Summary  string
	Evidence map[string]string
}

// SettleDeviceActions decides what a set of device actions means for the
// task: done when every device acknowledged, failed when any failed,
// otherwise unverified (pending devices are named), so an action a device
// never confirms escalates like an unverified revocation. No device at
// all is not done either: nothing was locked.
func SettleDeviceActions(actions []DeviceAction) DeviceOutcome {
	ev := map[string]string{}
	var pending, failed, done []string
	for _, a := range actions {
		key := "device." + a.DeviceID
		switch a.State {
		case DeviceDone:
			v := "done"
			if a.AcknowledgedAt != nil {
				v += " at " + a.AcknowledgedAt.UTC().Format(time.RFC3339)
			}
			ev[key] = a.Action + " " + v
			done = append(done, a.DeviceID)
		case DeviceFailed:
			ev[key] = a.Action + " failed: " + UpstreamText([]byte(a.Error))
			failed = append(failed, a.DeviceID)
		default:
			ev[key] = a.Action + " pending: the device has not acknowledged it"
			pending = append(pending, a.DeviceID)
		}
	}
	switch {
	case len(actions) == 0:
		return DeviceOutcome{Summary: "no managed device found for the person; nothing was sent", Evidence: ev}
	case len(failed) > 0:
		return DeviceOutcome{Failed: true, Evidence: ev,
			Summary: fmt.Sprintf("%d of %d devices failed: %s", len(failed), len(actions), strings.Join(failed, ", "))}
	case len(pending) > 0:
		return DeviceOutcome{Evidence: ev,
			Summary: fmt.Sprintf("%d of %d devices have not acknowledged: %s", len(pending), len(actions), strings.Join(pending, ", "))}
	}
	return DeviceOutcome{Verified: true, Evidence: ev,
		Summary: fmt.Sprintf("%d of %d devices acknowledged", len(done), len(actions))}
}
