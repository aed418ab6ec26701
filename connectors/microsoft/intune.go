package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// IntuneSystem is the connector name of Intune: its action ids start
// with "intune." and its Result.UserID (the Entra object id, which
// Intune shares) is kept under it.
const IntuneSystem = "intune"

// IntuneLabel names Intune for people.
const IntuneLabel = "Microsoft Intune"

// Intune's application permissions: reading devices, and the remote
// actions (lock, retire, wipe).
const (
	permDevicesRead       = "DeviceManagementManagedDevices.Read.All"
	permDevicesPrivileged = "DeviceManagementManagedDevices.PrivilegedOperations.All"
)

// deviceFields are what the card and the read-back use of a managed
// device.
const deviceFields = "id,deviceName,model,manufacturer,serialNumber,operatingSystem,osVersion,lastSyncDateTime," +
	"complianceState,isEncrypted,managementAgent,userPrincipalName"

// commandSkew is how far Intune's clock may trail ours when a command's
// result is matched to the command just sent.
const commandSkew = 2 * time.Minute

// Intune is the Microsoft Intune device system on the Graph client Entra
// ID uses (same credentials, same throttling pause).
type Intune struct {
	c *Client
}

// NewIntune returns the Intune system on c.
func NewIntune(c *Client) *Intune { return &Intune{c: c} }

// managedDevice is Graph's managedDevice, the fields offboard reads.
type managedDevice struct {
	ID                  string               `json:"id"`
	DeviceName          string               `json:"deviceName"`
	Model               string               `json:"model"`
	Manufacturer        string               `json:"manufacturer"`
	SerialNumber        string               `json:"serialNumber"`
	OperatingSystem     string               `json:"operatingSystem"`
	OSVersion           string               `json:"osVersion"`
	LastSyncDateTime    *time.Time           `json:"lastSyncDateTime"`
	ComplianceState     string               `json:"complianceState"`
	IsEncrypted         *bool                `json:"isEncrypted"`
	ManagementAgent     string               `json:"managementAgent"`
	DeviceActionResults []deviceActionResult `json:"deviceActionResults"`
}

// deviceActionResult is one remote action's state on a device, as Intune
// reports it: none, pending, canceled, active, done, failed, notSupported.
type deviceActionResult struct {
	ActionName          string     `json:"actionName"`
	ActionState         string     `json:"actionState"`
	StartDateTime       *time.Time `json:"startDateTime"`
	LastUpdatedDateTime *time.Time `json:"lastUpdatedDateTime"`
}

// device is the vendor-neutral device.
func (d managedDevice) device() offboard.Device {
	out := offboard.Device{ID: d.ID, Name: d.DeviceName, Model: d.Model, Serial: d.SerialNumber,
		OS: d.OperatingSystem, OSVersion: d.OSVersion, Compliance: compliance(d.ComplianceState),
		Encrypted: d.IsEncrypted, ManagedBy: IntuneSystem}
	// Intune says 0001-01-01 for a device that never synced.
	if d.LastSyncDateTime != nil && d.LastSyncDateTime.Year() > 1 {
		out.LastCheckIn = d.LastSyncDateTime.UTC()
	}
	return out
}

// compliance maps Intune's complianceState. A grace period is still not
// compliant; conflict and error are evaluations that did not pass.
func compliance(state string) offboard.Compliance {
	switch strings.ToLower(state) {
	case "compliant":
		return offboard.Compliant
	case "noncompliant", "ingraceperiod", "conflict", "error":
		return offboard.NonCompliant
	}
	return offboard.ComplianceUnknown
}

// userDevices lists the managed devices of the target and returns the
// Entra object id it listed them under. The id from an earlier action
// (Intune's own, else Entra ID's) saves a user lookup; a stale one (404)
// is looked up again by email.
func (in *Intune) userDevices(ctx context.Context, t offboard.Target) ([]managedDevice, string, error) {
	id := t.UserID(IntuneSystem)
	if id == "" {
		id = t.UserID(System)
	}
	if id != "" {
		list, err := in.listDevices(ctx, id)
		if offboard.ErrorCode(err) != offboard.ENOTFOUND {
			return list, id, err
		}
	}
	u, err := in.c.FindUser(ctx, offboard.Target{Email: t.Email})
	if err != nil {
		return nil, "", err
	}
	list, err := in.listDevices(ctx, u.ID)
	return list, u.ID, err
}

func (in *Intune) listDevices(ctx context.Context, userID string) ([]managedDevice, error) {
	var list struct {
		listAnswer[managedDevice]
		NextLink string `json:"@odata.nextLink"`
	}
	const what = "list the user's Intune managed devices"
	if err := in.c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(userID) + "/managedDevices?$select=" + deviceFields,
		out: &list, what: what, perm: permDevicesRead}); err != nil {
		return nil, err
	}
	if list.NextLink != "" {
		// A person with more devices than one page is not something an
		// offboarding should act on partially.
		return nil, offboard.Errorf(offboard.EINVALID, "Microsoft Intune lists more managed devices for the user than one page; act on them in the Intune admin center")
	}
	return list.items(what)
}

// Devices implements offboard.DeviceReader: the person's managed devices.
func (in *Intune) Devices(ctx context.Context, t offboard.Target) ([]offboard.Device, error) {
	list, _, err := in.userDevices(ctx, t)
	return devices(list), err
}

func devices(list []managedDevice) []offboard.Device {
	out := make([]offboard.Device, len(list))
	for i, d := range list {
		out[i] = d.device()
	}
	return out
}

// readerFunc adapts a function to offboard.DeviceReader.
type readerFunc func(ctx context.Context, t offboard.Target) ([]offboard.Device, error)

func (f readerFunc) Devices(ctx context.Context, t offboard.Target) ([]offboard.Device, error) {
	return f(ctx, t)
}

// status is devices.status through the shared adapter (the snapshot the
// IT card draws), with the user id it found for the case.
func (in *Intune) status(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	var userID string
	read := readerFunc(func(ctx context.Context, t offboard.Target) ([]offboard.Device, error) {
		list, id, err := in.userDevices(ctx, t)
		userID = id
		return devices(list), err
	})
	res, err := connectors.DeviceStatus(IntuneSystem, IntuneLabel, read, in.c.now).Run(ctx, req)
	if err != nil {
		return connectors.Result{}, err
	}
	res.UserID = userID
	res.Evidence["user_id"] = userID
	return res, nil
}

func (in *Intune) snapshot(list []managedDevice) offboard.DeviceSnapshot {
	return connectors.DeviceSnapshot(IntuneSystem, IntuneLabel, devices(list), in.c.now())
}

// command is one remote action: the verb people read, the Graph action
// segment, and the actionName Intune reports it under in
// deviceActionResults.
type command struct {
	verb       string
	segment    string
	actionName string
}

var (
	cmdLock   = command{verb: "lock", segment: "remoteLock", actionName: "remoteLock"}
	cmdRetire = command{verb: "retire", segment: "retire", actionName: "retire"}
	cmdWipe   = command{verb: "wipe", segment: "wipe", actionName: "wipe"}
)

// send posts the command to one device.
func (in *Intune) send(ctx context.Context, cmd command, d managedDevice, body any) error {
	return in.c.do(ctx, call{method: http.MethodPost, path: "/deviceManagement/managedDevices/" + url.PathEscape(d.ID) + "/" + cmd.segment,
		body: body, what: fmt.Sprintf("%s the Intune device %s", cmd.verb, deviceName(d)), perm: permDevicesPrivileged})
}

func deviceName(d managedDevice) string {
	if d.DeviceName != "" {
		return d.DeviceName + " (" + d.ID + ")"
	}
	return d.ID
}

// readBack reads the device's action results and says where the command
// sent at sent stands: done only when Intune reports the device did it.
func (in *Intune) readBack(ctx context.Context, cmd command, d managedDevice, sent time.Time) (offboard.DeviceAction, error) {
	var back managedDevice
	if err := in.c.do(ctx, call{method: http.MethodGet, path: "/deviceManagement/managedDevices/" + url.PathEscape(d.ID) + "?$select=id,deviceActionResults",
		out: &back, what: "read back the " + cmd.verb + " of the Intune device " + deviceName(d), perm: permDevicesRead}); err != nil {
		return offboard.DeviceAction{}, fmt.Errorf("read back: %w", err)
	}
	return settle(cmd, d.ID, latest(back.DeviceActionResults, cmd.actionName, sent)), nil
}

// latest is the newest result of the action started no earlier than
// since (less the clock skew); nil when Intune shows none.
func latest(results []deviceActionResult, actionName string, since time.Time) *deviceActionResult {
	var best *deviceActionResult
	for i := range results {
		r := &results[i]
		if !strings.EqualFold(r.ActionName, actionName) {
			continue
		}
		if !since.IsZero() && (r.StartDateTime == nil || r.StartDateTime.Before(since.Add(-commandSkew))) {
			continue
		}
		if best == nil || (r.StartDateTime != nil && (best.StartDateTime == nil || r.StartDateTime.After(*best.StartDateTime))) {
			best = r
		}
	}
	return best
}

// settle is what a result means for the task: done only when Intune says
// done; failed, canceled and notSupported fail with Intune's words;
// anything else (pending, active, none, no result yet) is pending.
func settle(cmd command, deviceID string, r *deviceActionResult) offboard.DeviceAction {
	a := offboard.DeviceAction{DeviceID: deviceID, Action: cmd.verb, State: offboard.DevicePending}
	if r == nil {
		return a
	}
	switch strings.ToLower(r.ActionState) {
	case "done":
		a.State = offboard.DeviceDone
		if r.LastUpdatedDateTime != nil {
			at := r.LastUpdatedDateTime.UTC()
			a.AcknowledgedAt = &at
		}
	case "failed", "canceled", "notsupported":
		a.State = offboard.DeviceFailed
		a.Error = fmt.Sprintf("Microsoft Intune reports the %s as %s", r.ActionName, r.ActionState)
	}
	return a
}

// recentCommand is how old an acknowledged command may be and still
// count for this offboarding on a retry: a device that acknowledged a
// lock an hour ago needs no second one (which an offline device would
// leave pending again).
const recentCommand = 7 * 24 * time.Hour

// sendOnce sends cmd to d unless Intune already has one pending or in
// progress, or one done recently, and returns where it stands. It never
// queues a second command behind one the device has not picked up.
func (in *Intune) sendOnce(ctx context.Context, cmd command, d managedDevice, body any) (offboard.DeviceAction, string, error) {
	var back managedDevice
	if err := in.c.do(ctx, call{method: http.MethodGet, path: "/deviceManagement/managedDevices/" + url.PathEscape(d.ID) + "?$select=id,deviceActionResults",
		out: &back, what: "read the actions of the Intune device " + deviceName(d), perm: permDevicesRead}); err != nil {
		return offboard.DeviceAction{}, "", err
	}
	now := in.c.now()
	if prev := latest(back.DeviceActionResults, cmd.actionName, time.Time{}); prev != nil {
		state := strings.ToLower(prev.ActionState)
		recent := prev.StartDateTime != nil && now.Sub(*prev.StartDateTime) < recentCommand
		if state == "pending" || state == "active" || (state == "done" && recent) {
			note := fmt.Sprintf("Microsoft Intune already had a %s %s for the device", cmd.actionName, prev.ActionState)
			if prev.StartDateTime != nil {
				note += " (sent " + prev.StartDateTime.UTC().Format(time.RFC3339) + ")"
			}
			return settle(cmd, d.ID, prev), note + "; not sent again", nil
		}
	}
	if err := in.send(ctx, cmd, d, body); err != nil {
		return offboard.DeviceAction{}, "", err
	}
	a, err := in.readBack(ctx, cmd, d, now)
	return a, "", err
}

// deviceResult is connectors.DeviceResult with Intune's words on a
// failure and the notes, for the user id.
func deviceResult(actions []offboard.DeviceAction, snap offboard.DeviceSnapshot, userID string, notes map[string]string) (connectors.Result, error) {
	res, err := connectors.DeviceResult(actions, &snap)
	if err != nil {
		var words []string
		for _, a := range actions {
			if a.State == offboard.DeviceFailed {
				words = append(words, a.DeviceID+": "+a.Error)
			}
		}
		return connectors.Result{}, fmt.Errorf("%w (%s)", err, strings.Join(words, "; "))
	}
	res.UserID = userID
	res.Evidence["user_id"] = userID
	for k, v := range notes {
		res.Evidence[k] = v
	}
	return res, nil
}

// runAll sends cmd to every managed device of the person and reads each
// back.
func (in *Intune) runAll(ctx context.Context, req connectors.Request, cmd command) (connectors.Result, error) {
	list, userID, err := in.userDevices(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	var actions []offboard.DeviceAction
	notes := map[string]string{}
	for _, d := range list {
		a, note, err := in.sendOnce(ctx, cmd, d, nil)
		if err != nil {
			return connectors.Result{}, err
		}
		if note != "" {
			notes["note."+d.ID] = note
		}
		actions = append(actions, a)
	}
	return deviceResult(actions, in.snapshot(list), userID, notes)
}

func (in *Intune) lock(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return in.runAll(ctx, req, cmdLock)
}

// retire removes company data, apps and settings from every device.
func (in *Intune) retire(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	return in.runAll(ctx, req, cmdRetire)
}

// wipeBody is the wipe action's documented body. macOsUnlockCode and
// persistEsimDataPlan are left unset (Intune's defaults).
type wipeBody struct {
	KeepEnrollmentData bool `json:"keepEnrollmentData"`
	KeepUserData       bool `json:"keepUserData"`
}

// wipe factory-resets the one device the approved parameters name, with
// the approved keep_* options. The device must be one of the person's: an
// approval for a wipe binds that device, and a device id of someone else
// is refused. A wipe Intune already shows pending, or recently done, is
// not sent again (on a retry): it would change nothing.
func (in *Intune) wipe(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	deviceID := strings.TrimSpace(req.Params["device_id"])
	if deviceID == "" {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID, "device_id must name the Intune device to wipe")
	}
	var body wipeBody
	for key, dst := range map[string]*bool{"keep_enrollment": &body.KeepEnrollmentData, "keep_user_data": &body.KeepUserData} {
		v := strings.TrimSpace(req.Params[key])
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return connectors.Result{}, offboard.Errorf(offboard.EINVALID, "%s must be true or false, got %q", key, v)
		}
		*dst = b
	}
	list, userID, err := in.userDevices(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	i := slices.IndexFunc(list, func(d managedDevice) bool { return d.ID == deviceID })
	if i < 0 {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID,
			"device %s is not one of %s's managed devices in Microsoft Intune; nothing was wiped", deviceID, req.Target.Email)
	}
	a, note, err := in.sendOnce(ctx, cmdWipe, list[i], body)
	if err != nil {
		return connectors.Result{}, err
	}
	notes := map[string]string{"keep_enrollment": strconv.FormatBool(body.KeepEnrollmentData), "keep_user_data": strconv.FormatBool(body.KeepUserData)}
	if note != "" {
		notes["note."+deviceID] = note
	}
	return deviceResult([]offboard.DeviceAction{a}, in.snapshot(list), userID, notes)
}
