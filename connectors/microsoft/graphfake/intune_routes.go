package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Documented application permissions of the Intune calls, least
// privileged first.
var (
	permDevicesRead = []string{"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"}
	// The remote actions (remoteLock, retire, wipe).
	permDevicesPrivileged = []string{"DeviceManagementManagedDevices.PrivilegedOperations.All"}
)

// IntuneLeastPrivilege are the application permissions the Intune
// actions need, as the README lists them; NewServer grants them.
var IntuneLeastPrivilege = []string{"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.PrivilegedOperations.All"}

// ManagedDevice is an Intune managed device of a user of the fake.
type ManagedDevice struct {
	ID           string
	UserID       string
	DeviceName   string
	Model        string
	Manufacturer string
	Serial       string
	OS           string
	OSVersion    string
	LastSync     time.Time
	// Compliance is complianceState: compliant, noncompliant, unknown, …
	Compliance string
	Encrypted  bool
	// Online devices acknowledge a command at once; others at CheckIn.
	Online bool
	// NotSupported are action names the device reports notSupported for.
	NotSupported []string
	// Actions are deviceActionResults, oldest first.
	Actions []ActionResult
	// LastWipe is the body of the last wipe received.
	LastWipe map[string]any
}

// ActionResult is a deviceActionResult.
type ActionResult struct {
	Name    string
	State   string
	Start   time.Time
	Updated time.Time
}

var (
	reUserDevices = regexp.MustCompile(`^/v1\.0/users/([^/]+)/managedDevices$`)
	reDevice      = regexp.MustCompile(`^/v1\.0/deviceManagement/managedDevices/([^/]+)$`)
	reDeviceCmd   = regexp.MustCompile(`^/v1\.0/deviceManagement/managedDevices/([^/]+)/(remoteLock|retire|wipe)$`)
	reAllDevices  = regexp.MustCompile(`^/v1\.0/deviceManagement/managedDevices$`)
	intunePaths   = []*regexp.Regexp{reUserDevices, reDevice, reDeviceCmd, reAllDevices}
)

// AddDevice adds a managed device (a copy) for its UserID; an empty ID
// gets a new one. It returns the id.
func (s *Server) AddDevice(d ManagedDevice) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.ID == "" {
		d.ID = newID()
	}
	if s.devices == nil {
		s.devices = map[string]*ManagedDevice{}
	}
	d.Actions = slices.Clone(d.Actions)
	s.devices[d.ID] = &d
	return d.ID
}

// Device returns a copy of the managed device with id.
func (s *Server) Device(id string) (ManagedDevice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[id]
	if !ok {
		return ManagedDevice{}, false
	}
	c := *d
	c.Actions = slices.Clone(d.Actions)
	return c, true
}

// CheckIn is the device's next check-in: it syncs and acknowledges every
// pending command (pending → done).
func (s *Server) CheckIn(deviceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceID]
	if !ok {
		return false
	}
	now := s.now().UTC()
	d.LastSync = now
	for i := range d.Actions {
		if d.Actions[i].State == "pending" {
			d.Actions[i].State, d.Actions[i].Updated = "done", now
		}
	}
	return true
}

// intune serves the Intune routes; false when p is none of them.
func (s *Server) intune(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !slices.ContainsFunc(intunePaths, func(re *regexp.Regexp) bool { return re.MatchString(p) }) {
		return false
	}
	switch {
	case reUserDevices.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permDevicesRead) {
			if u := s.findUser(w, reUserDevices.FindStringSubmatch(p)[1]); u != nil {
				list := []map[string]any{}
				for _, d := range s.sortedDevices() {
					if d.UserID == u.ID {
						list = append(list, deviceJSON(d, u))
					}
				}
				writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('" + u.ID + "')/managedDevices", "value": list})
			}
		}
	case reAllDevices.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permDevicesRead) {
			list := []map[string]any{}
			for _, d := range s.sortedDevices() {
				list = append(list, deviceJSON(d, s.users[d.UserID]))
			}
			if top, err := strconv.Atoi(r.URL.Query().Get("$top")); err == nil && top >= 0 && top < len(list) {
				list = list[:top]
			}
			writeJSON(w, http.StatusOK, map[string]any{"value": list})
		}
	case reDevice.MatchString(p) && r.Method == http.MethodGet:
		if s.allowed(w, permDevicesRead) {
			if d := s.findDevice(w, reDevice.FindStringSubmatch(p)[1]); d != nil {
				writeJSON(w, http.StatusOK, deviceJSON(d, s.users[d.UserID]))
			}
		}
	case reDeviceCmd.MatchString(p) && r.Method == http.MethodPost:
		m := reDeviceCmd.FindStringSubmatch(p)
		s.deviceCommand(w, r, m[1], m[2])
	default:
		graphError(w, http.StatusMethodNotAllowed, "BadRequest", fmt.Sprintf("No HTTP resource was found that matches the request URI for %s %s.", r.Method, p))
	}
	return true
}

func (s *Server) sortedDevices() []*ManagedDevice {
	out := make([]*ManagedDevice, 0, len(s.devices))
	for _, d := range s.devices {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *ManagedDevice) int {
		if a.DeviceName != b.DeviceName {
			if a.DeviceName < b.DeviceName {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}

// findDevice finds a device or answers Intune's 404.
func (s *Server) findDevice(w http.ResponseWriter, id string) *ManagedDevice {
	if d, ok := s.devices[id]; ok {
		return d
	}
	graphError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("{\r\n  \"_version\": 3,\r\n  \"Message\": \"Resource not found: managedDevices('%s')\"\r\n}", id))
	return nil
}

// deviceCommand records a remote action: done at once on an online
// device, notSupported where the device says so, else pending until the
// device checks in. Microsoft answers 204 No Content.
func (s *Server) deviceCommand(w http.ResponseWriter, r *http.Request, id, action string) {
	var body map[string]any
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil && err.Error() != "EOF" {
			graphError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload.")
			return
		}
	}
	if action == "wipe" {
		for k, v := range body {
			switch k {
			case "keepEnrollmentData", "keepUserData", "persistEsimDataPlan":
				if _, ok := v.(bool); !ok {
					graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value for parameter '%s'.", k))
					return
				}
			case "macOsUnlockCode":
			default:
				graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The parameter '%s' in the request payload is not a valid parameter for the operation 'wipe'.", k))
				return
			}
		}
	}
	if !s.allowed(w, permDevicesPrivileged) {
		return
	}
	d := s.findDevice(w, id)
	if d == nil {
		return
	}
	now := s.now().UTC()
	res := ActionResult{Name: action, State: "pending", Start: now, Updated: now}
	switch {
	case slices.Contains(d.NotSupported, action):
		res.State = "notSupported"
	case d.Online:
		res.State = "done"
		d.LastSync = now
	}
	if action == "wipe" {
		d.LastWipe = body
	}
	d.Actions = append(d.Actions, res)
	w.WriteHeader(http.StatusNoContent)
}

func deviceJSON(d *ManagedDevice, u *User) map[string]any {
	results := []map[string]any{}
	for _, a := range d.Actions {
		results = append(results, map[string]any{"actionName": a.Name, "actionState": a.State,
			"startDateTime": a.Start.UTC().Format(time.RFC3339Nano), "lastUpdatedDateTime": a.Updated.UTC().Format(time.RFC3339Nano)})
	}
	lastSync := "0001-01-01T00:00:00Z"
	if !d.LastSync.IsZero() {
		lastSync = d.LastSync.UTC().Format(time.RFC3339)
	}
	upn := ""
	if u != nil {
		upn = u.UserPrincipalName
	}
	compliance := d.Compliance
	if compliance == "" {
		compliance = "unknown"
	}
	return map[string]any{"id": d.ID, "userId": d.UserID, "deviceName": d.DeviceName, "model": d.Model, "manufacturer": d.Manufacturer,
		"serialNumber": d.Serial, "operatingSystem": d.OS, "osVersion": d.OSVersion, "lastSyncDateTime": lastSync,
		"complianceState": compliance, "isEncrypted": d.Encrypted, "managementAgent": "mdm", "userPrincipalName": upn,
		"deviceActionResults": results}
}
