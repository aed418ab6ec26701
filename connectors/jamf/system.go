package jamf

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// System is the connector name of Jamf Pro: its action ids start with
// "jamf.".
const System = "jamf"

// Label names Jamf Pro for people.
const Label = "Jamf Pro"

// Declaration is what the Jamf Pro connector implements. Its commands are
// done only when the device acknowledged them. Macs are not retired in
// this version: lock and wipe only.
func Declaration() offboard.Connector {
	return offboard.Connector{
		Name:  System,
		Label: Label,
		Bindings: []offboard.Binding{
			{Capability: offboard.DevicesStatus, Action: "jamf.status",
				Title: "Read the person's Jamf Pro computers and mobile devices", Priority: offboard.PriorityReport},
			{Capability: offboard.DevicesLock, Action: "jamf.lock",
				Title: "Lock the person's Jamf Pro devices (Macs with a PIN)", Button: "Lock devices", Priority: offboard.PriorityDevice},
			{Capability: offboard.DevicesWipe, Action: "jamf.wipe",
				Title: "Wipe the Jamf Pro device (erase)", Button: "Wipe device", Priority: offboard.PriorityDevice},
		},
		Actions: ActionIDs(),
	}
}

// ActionIDs are the connector's action ids in the safe order.
func ActionIDs() []string { return []string{"jamf.status", "jamf.lock", "jamf.wipe"} }

// Jamf is the Jamf Pro device system.
type Jamf struct {
	c *Client
}

// NewJamf returns the Jamf Pro system on c.
func NewJamf(c *Client) *Jamf { return &Jamf{c: c} }

// Register registers the Jamf Pro actions and declaration.
func (j *Jamf) Register(r *connectors.Registry) error {
	actions := map[string]connectors.Action{
		"jamf.status": connectors.DeviceStatus(System, Label, j, j.c.now),
		"jamf.lock":   connectors.ActionFunc(j.lock),
		"jamf.wipe":   connectors.ActionFunc(j.wipe),
	}
	if len(actions) != len(ActionIDs()) {
		return fmt.Errorf("jamf: %d actions for %d ids", len(actions), len(ActionIDs()))
	}
	return r.RegisterConnector(Declaration(), actions)
}

// Jamf reads devices for the shared adapters and the cards.
var _ offboard.DeviceReader = (*Jamf)(nil)

// Devices implements offboard.DeviceReader: the person's computers and
// mobile devices.
func (j *Jamf) Devices(ctx context.Context, t offboard.Target) ([]offboard.Device, error) {
	list, err := j.c.personDevices(ctx, t)
	if err != nil {
		return nil, err
	}
	return plain(list), nil
}

func plain(list []device) []offboard.Device {
	out := make([]offboard.Device, len(list))
	for i, d := range list {
		out[i] = d.d
	}
	return out
}

func (j *Jamf) snapshot(list []device) offboard.DeviceSnapshot {
	return connectors.DeviceSnapshot(System, Label, plain(list), j.c.now())
}

// result is connectors.DeviceResult with Jamf's words on a failure, the
// notes, and the PINs this run set as secrets (the evidence says only
// that one was set).
func result(actions []offboard.DeviceAction, snap offboard.DeviceSnapshot, outs map[string]outcome) (connectors.Result, error) {
	res, err := connectors.DeviceResult(actions, &snap)
	if err != nil {
		var words []string
		for _, a := range actions {
			if a.State == offboard.DeviceFailed {
				words = append(words, a.DeviceID+": "+a.Error)
			}
		}
		err = fmt.Errorf("%w (%s)", err, strings.Join(words, "; "))
	}
	var secrets map[string]string
	for id, o := range outs {
		if o.note != "" && res.Evidence != nil {
			res.Evidence["note."+id] = o.note
		}
		if o.pin != "" && o.action.State != offboard.DeviceFailed {
			// A device that refused the command never took its PIN.
			if secrets == nil {
				secrets = map[string]string{}
			}
			secrets[offboard.SecretDevicePIN+id] = o.pin
			if res.Evidence != nil {
				res.Evidence["pin."+id] = "set"
			}
		}
	}
	if err != nil && len(secrets) > 0 {
		// A device failed, but PINs went out with this run to others: an
		// error cannot carry them, and a retry does not send a second lock
		// to a device with one pending, so they would be lost. The task is
		// unverified instead (it escalates like a failure), saying which
		// device failed.
		out := offboard.SettleDeviceActions(actions)
		out.Evidence[offboard.EvidenceDevices] = snap.Encode()
		for k, v := range res.Evidence {
			out.Evidence[k] = v
		}
		for id, o := range outs {
			if o.note != "" {
				out.Evidence["note."+id] = o.note
			}
			if o.pin != "" && o.action.State != offboard.DeviceFailed {
				out.Evidence["pin."+id] = "set"
			}
		}
		return connectors.Result{Summary: out.Summary + "; " + err.Error(), Evidence: out.Evidence, Secrets: secrets}, nil
	}
	if err != nil {
		return connectors.Result{}, err
	}
	res.Secrets = secrets
	return res, nil
}

// lock sends DEVICE_LOCK to every device of the person: each Mac with its
// own PIN, mobile devices without (their passcode stays).
func (j *Jamf) lock(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	list, err := j.c.personDevices(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	var actions []offboard.DeviceAction
	outs := map[string]outcome{}
	for _, d := range list {
		if d.managementID == "" {
			actions = append(actions, offboard.DeviceAction{DeviceID: d.d.ID, Action: cmdLock.verb,
				State: offboard.DeviceFailed, Error: notEnrolled(d)})
			continue
		}
		o, err := j.c.sendOnce(ctx, cmdLock, d, commandData{Message: lockMessage}, true)
		if err != nil {
			if len(outs) > 0 {
				// Devices locked before this one keep their PINs.
				return result(append(actions, offboard.DeviceAction{DeviceID: d.managementID, Action: cmdLock.verb,
					State: offboard.DeviceFailed, Error: offboard.UpstreamText([]byte(err.Error()))}), j.snapshot(list), outs)
			}
			return connectors.Result{}, err
		}
		outs[d.managementID] = o
		actions = append(actions, o.action)
	}
	return result(actions, j.snapshot(list), outs)
}

// wipe erases the one device the approved parameters name. The device
// must be one of the person's: an approval binds that device, and an id
// of someone else's is refused. An erase Jamf already has pending, or
// acknowledged recently, is not sent again.
func (j *Jamf) wipe(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	named := strings.TrimSpace(req.Params["device_id"])
	if named == "" {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID,
			"device_id must name the Jamf Pro device to wipe: its serial number, as the IT card shows it, or its management id")
	}
	list, err := j.c.personDevices(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	d, err := pick(list, named, req.Target.Email)
	if err != nil {
		return connectors.Result{}, err
	}
	if d.managementID == "" {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID, "%s", notEnrolled(d))
	}
	o, err := j.c.sendOnce(ctx, cmdErase, d, commandData{}, true)
	if err != nil {
		return connectors.Result{}, err
	}
	return result([]offboard.DeviceAction{o.action}, j.snapshot(list), map[string]outcome{d.managementID: o})
}

// pick is the one device of the person that named names: its management
// id, or its serial number (what the IT card shows people). A serial two
// of the person's devices share is refused rather than guessed.
func pick(list []device, named, email string) (device, error) {
	if i := slices.IndexFunc(list, func(d device) bool { return d.managementID == named }); i >= 0 {
		return list[i], nil
	}
	var found []device
	for _, d := range list {
		if d.d.Serial != "" && strings.EqualFold(d.d.Serial, named) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return device{}, offboard.Errorf(offboard.EINVALID,
			"device %s is not one of %s's devices in Jamf Pro; nothing was wiped", named, email)
	}
	return device{}, offboard.Errorf(offboard.EINVALID,
		"%d of %s's devices in Jamf Pro have the serial number %s; name the one to wipe by its management id. Nothing was wiped", len(found), email, named)
}
