package jamf

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// command is one MDM command offboard sends: the verb people read and
// Jamf's commandType.
type command struct {
	verb        string
	commandType string
}

var (
	cmdLock  = command{verb: "lock", commandType: "DEVICE_LOCK"}
	cmdErase = command{verb: "wipe", commandType: "ERASE_DEVICE"}
)

// privilege is the API role privilege cmd needs on a device of kind k.
func (cmd command) privilege(k Kind) string {
	switch {
	case cmd == cmdLock && k == KindMobile:
		return PrivMobileLock
	case cmd == cmdLock:
		return PrivComputerLock
	case k == KindMobile:
		return PrivMobileWipe
	}
	return PrivComputerWipe
}

// lockMessage is shown on the locked Mac's screen.
const lockMessage = "This device has been locked by your organisation's IT team. Please return it."

// newPIN is a 6-digit PIN from crypto/rand: the lock screen's passcode,
// which only IT may learn.
func newPIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("jamf: generate a lock PIN: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// commandData is the commandData of POST /v2/mdm/commands, the fields
// offboard sets.
type commandData struct {
	CommandType string `json:"commandType"`
	// PIN is the 6-digit passcode of a Mac's lock or erase. Jamf documents
	// it for DEVICE_LOCK; integrators report ERASE_DEVICE refused without
	// one on Macs, so offboard sends one there too. Mobile devices take
	// none (their own passcode stays).
	PIN     string `json:"pin,omitempty"`
	Message string `json:"message,omitempty"`
}

type commandRequest struct {
	ClientData []struct {
		ManagementID string `json:"managementId"`
	} `json:"clientData"`
	CommandData commandData `json:"commandData"`
}

// sentCommand is one entry of Jamf's answer to a POST of a command.
type sentCommand struct {
	ID   string `json:"id"`
	Href string `json:"href"`
}

// mdmCommand is one command as GET /v2/mdm/commands lists it.
type mdmCommand struct {
	UUID   string `json:"uuid"`
	Client struct {
		ManagementID string `json:"managementId"`
		ClientType   string `json:"clientType"`
	} `json:"client"`
	// CommandState is PENDING, ACKNOWLEDGED, NOT_NOW, ERROR or (Jamf Pro
	// 11.30 and later) COMMAND_FORMAT_ERROR.
	CommandState  string     `json:"commandState"`
	CommandType   string     `json:"commandType"`
	DateSent      *time.Time `json:"dateSent"`
	DateCompleted *time.Time `json:"dateCompleted"`
}

// sendCommand posts cmd to one device and returns Jamf's command id.
func (c *Client) sendCommand(ctx context.Context, cmd command, d device, data commandData) (string, error) {
	req := commandRequest{CommandData: data}
	req.CommandData.CommandType = cmd.commandType
	req.ClientData = append(req.ClientData, struct {
		ManagementID string `json:"managementId"`
	}{d.managementID})
	var out []sentCommand
	if err := c.do(ctx, call{method: "POST", path: "/v2/mdm/commands", body: req, out: &out,
		what: fmt.Sprintf("%s the device %s", cmd.verb, d.label()), priv: cmd.privilege(d.kind)}); err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "", nil
	}
	return out[0].ID, nil
}

// commands lists the device's commands of cmd's type, newest first.
func (c *Client) commands(ctx context.Context, cmd command, d device) ([]mdmCommand, error) {
	q := url.Values{}
	q.Set("page", "0")
	q.Set("page-size", "20")
	q.Set("sort", "dateSent:desc")
	q.Set("filter", "clientManagementId=="+rsqlString(d.managementID)+";command=="+cmd.commandType)
	var p page[mdmCommand]
	if err := c.do(ctx, call{method: "GET", path: "/v2/mdm/commands?" + q.Encode(), out: &p,
		what: fmt.Sprintf("read the %s commands of the device %s", cmd.verb, d.label()), priv: PrivReadCommands}); err != nil {
		return nil, err
	}
	return p.Results, nil
}

// newest is the most recently sent command, or the one with id when id
// is set; nil when Jamf lists none.
func newest(list []mdmCommand, id string) *mdmCommand {
	var best *mdmCommand
	for i := range list {
		m := &list[i]
		if id != "" {
			if m.UUID == id {
				return m
			}
			continue
		}
		if best == nil || (m.DateSent != nil && (best.DateSent == nil || m.DateSent.After(*best.DateSent))) {
			best = m
		}
	}
	return best
}

// settle is what a command means for the task: done only when Jamf says
// the device acknowledged it; ERROR fails; PENDING and NOT_NOW (the
// device was busy and will be asked again) are pending.
func settle(cmd command, deviceID string, m *mdmCommand) offboard.DeviceAction {
	a := offboard.DeviceAction{DeviceID: deviceID, Action: cmd.verb, State: offboard.DevicePending}
	if m == nil {
		return a
	}
	switch state := strings.ToUpper(m.CommandState); {
	case state == "ACKNOWLEDGED":
		a.State = offboard.DeviceDone
		if m.DateCompleted != nil {
			at := m.DateCompleted.UTC()
			a.AcknowledgedAt = &at
		}
	case failedState(state):
		// COMMAND_FORMAT_ERROR: Jamf refused the command; the device never
		// gets it, so it must not wait as pending.
		a.State = offboard.DeviceFailed
		a.Error = fmt.Sprintf("Jamf Pro reports the %s command as %s", m.CommandType, state)
	}
	return a
}

// stillLocked reports whether d has not been in contact with Jamf since it
// acknowledged the lock m (a minute's grace for the acknowledgement's own
// contact), so the lock still holds.
func stillLocked(d device, m *mdmCommand) bool {
	if m.DateCompleted == nil {
		return false
	}
	return !d.d.LastCheckIn.After(m.DateCompleted.Add(time.Minute))
}

// failedState reports whether Jamf says a command failed: the device
// answered ERROR, or Jamf refused its format (COMMAND_FORMAT_ERROR).
func failedState(state string) bool {
	return strings.EqualFold(state, "ERROR") || strings.EqualFold(state, "COMMAND_FORMAT_ERROR")
}

// recentCommand is how old an acknowledged command may be and still count
// for this offboarding on a retry: a Mac that acknowledged a lock an hour
// ago needs no second one (nor a second PIN).
const recentCommand = 7 * 24 * time.Hour

// outcome is where one device's command stands after sendOnce: the
// action, a note for the evidence, and the PIN when this run sent one.
type outcome struct {
	action offboard.DeviceAction
	note   string
	pin    string
}

// sendOnce sends cmd to d unless Jamf already has one pending for it, or
// one acknowledged recently, and says where it stands. It never queues a
// second lock behind one the device has not picked up: the Mac would
// take the second PIN, and the first, shown to IT, would be wrong.
func (c *Client) sendOnce(ctx context.Context, cmd command, d device, data commandData, withPIN bool) (outcome, error) {
	list, err := c.commands(ctx, cmd, d)
	if err != nil {
		return outcome{}, err
	}
	now := c.now()
	if prev := newest(list, ""); prev != nil {
		state := strings.ToUpper(prev.CommandState)
		recent := prev.DateSent != nil && now.Sub(*prev.DateSent) < recentCommand
		if state == "ACKNOWLEDGED" && cmd == cmdLock && stillLocked(d, prev) {
			// However old: a Mac that took a lock and has not talked to
			// Jamf since is still locked with that PIN. A second lock
			// would wait forever, and its new PIN would replace the one
			// IT holds for the task.
			recent = true
		}
		if state == "PENDING" || state == "NOT_NOW" || (state == "ACKNOWLEDGED" && recent) {
			note := fmt.Sprintf("Jamf Pro already had a %s %s for the device", prev.CommandType, prev.CommandState)
			if prev.DateSent != nil {
				note += " (sent " + prev.DateSent.UTC().Format(time.RFC3339) + ")"
			}
			return outcome{action: settle(cmd, d.managementID, prev), note: note + "; not sent again"}, nil
		}
	}
	var note string
	if prev := newest(list, ""); prev != nil && failedState(prev.CommandState) {
		// The device reported the last one failed (seen at its check-in):
		// sending again is the retry; the failure stays in the evidence.
		note = fmt.Sprintf("the previous %s failed (Jamf Pro: %s); sent again", prev.CommandType, prev.CommandState)
	}
	var pin string
	if withPIN && d.kind == KindComputer {
		if pin, err = newPIN(); err != nil {
			return outcome{}, err
		}
		data.PIN = pin
	}
	id, err := c.sendCommand(ctx, cmd, d, data)
	if err != nil {
		return outcome{}, err
	}
	out := outcome{pin: pin, note: note, action: offboard.DeviceAction{DeviceID: d.managementID, Action: cmd.verb, State: offboard.DevicePending}}
	// Read it back. The command is sent either way: a failed read must
	// not lose the PIN, so it leaves the device pending (a retry reads it
	// again) rather than failing the run.
	back, err := c.commands(ctx, cmd, d)
	if err != nil {
		c.log.Warn("jamf pro: could not read back a command just sent", "what", cmd.verb, "error", c.redactor.String(err.Error()))
		out.note = strings.TrimPrefix(note+"; sent; Jamf Pro's status could not be read back: "+offboard.UpstreamText([]byte(err.Error())), "; ")
		return out, nil
	}
	if m := newest(back, id); m != nil {
		out.action = settle(cmd, d.managementID, m)
	}
	return out, nil
}
