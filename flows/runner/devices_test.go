package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/runner"
)

// A test-only device system: an MDM over HTTP whose commands stay
// pending until the device checks in. The laptop is online and
// acknowledges at once; the phone is off and never does.

type mdmDevice struct {
	ID         string    `json:"id"`
	Owner      string    `json:"owner"`
	Model      string    `json:"model"`
	Serial     string    `json:"serial"`
	OS         string    `json:"os"`
	Version    string    `json:"osVersion"`
	LastSync   time.Time `json:"lastSync"`
	Compliance string    `json:"complianceState"`
	online     bool
}

type mdmCommand struct {
	Action string     `json:"action"`
	State  string     `json:"state"` // pending, done, failed
	At     *time.Time `json:"ackedAt,omitempty"`
	// PIN is what the lock was sent with; the device shows it, the API
	// never gives it back.
	PIN string `json:"-"`
}

type fakeMDMServer struct {
	mu       sync.Mutex
	devices  []*mdmDevice
	commands map[string][]mdmCommand // device id → commands
	now      func() time.Time
}

func (f *fakeMDMServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/devices":
		var out []*mdmDevice
		for _, d := range f.devices {
			if strings.EqualFold(d.Owner, r.URL.Query().Get("owner")) {
				out = append(out, d)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"value": out})
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/devices/") && strings.HasSuffix(r.URL.Path, "/lock"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/devices/"), "/lock")
		i := slices.IndexFunc(f.devices, func(d *mdmDevice) bool { return d.ID == id })
		if i < 0 {
			http.Error(w, `{"error":"device not found"}`, http.StatusNotFound)
			return
		}
		var body struct{ PIN string }
		_ = json.NewDecoder(r.Body).Decode(&body) // a lock without a PIN has no body
		c := mdmCommand{Action: "lock", State: "pending", PIN: body.PIN}
		if f.devices[i].online {
			at := f.now()
			c.State, c.At = "done", &at
		}
		f.commands[id] = append(f.commands[id], c)
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/commands"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/devices/"), "/commands")
		json.NewEncoder(w).Encode(map[string]any{"value": f.commands[id]})
	default:
		http.NotFound(w, r)
	}
}

// mdmClient is the device system's side: it reads devices and locks
// them through the shared adapters.
type mdmClient struct {
	base string
	now  func() time.Time
	// pins, when set, makes each lock carry a new PIN from it, handed
	// over as a secret.
	pins func() string
}

func (c *mdmClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fake mdm: %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (c *mdmClient) Devices(ctx context.Context, t offboard.Target) ([]offboard.Device, error) {
	var body struct{ Value []mdmDevice }
	if err := c.get(ctx, "/devices?owner="+t.Email, &body); err != nil {
		return nil, err
	}
	out := make([]offboard.Device, len(body.Value))
	for i, d := range body.Value {
		out[i] = offboard.Device{ID: d.ID, Model: d.Model, Serial: d.Serial, OS: d.OS, OSVersion: d.Version,
			LastCheckIn: d.LastSync, Compliance: offboard.Compliance(d.Compliance), ManagedBy: "fakemdm"}
	}
	return out, nil
}

func (c *mdmClient) lock() connectors.Action {
	return connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		devices, err := c.Devices(ctx, req.Target)
		if err != nil {
			return connectors.Result{}, err
		}
		var acts []offboard.DeviceAction
		secrets := map[string]string{}
		for _, d := range devices {
			var body io.Reader
			if c.pins != nil {
				pin := c.pins()
				secrets[offboard.SecretDevicePIN+d.ID] = pin
				body = strings.NewReader(`{"pin":"` + pin + `"}`)
			}
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/devices/"+d.ID+"/lock", body)
			if err != nil {
				return connectors.Result{}, err
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				return connectors.Result{}, err
			}
			resp.Body.Close()
			var cmds struct{ Value []mdmCommand }
			if err := c.get(ctx, "/devices/"+d.ID+"/commands", &cmds); err != nil {
				return connectors.Result{}, err
			}
			last := cmds.Value[len(cmds.Value)-1]
			acts = append(acts, offboard.DeviceAction{DeviceID: d.ID, Action: "lock", State: offboard.DeviceActionState(last.State), AcknowledgedAt: last.At})
		}
		snap := connectors.DeviceSnapshot("fakemdm", "Fake MDM", devices, c.now())
		res, err := connectors.DeviceResult(acts, &snap)
		if len(secrets) > 0 {
			res.Secrets = secrets
		}
		return res, err
	})
}

var fakeMDMDecl = offboard.Connector{
	Name: "fakemdm", Label: "Fake MDM",
	Bindings: []offboard.Binding{
		{Capability: offboard.DevicesLock, Action: "fakemdm.lock", Title: "Lock the Fake MDM devices"},
		{Capability: offboard.DevicesStatus, Action: "fakemdm.status"},
	},
	Actions: []string{"fakemdm.lock", "fakemdm.status"},
}

// TestRunner_Run_deviceLockUnacknowledged: an involuntary exit with Okta
// and an MDM; Okta's revocations run first, the devices are read, the
// lock reaches the laptop but not the phone that is off, so the lock is
// unverified (and IT told), never done.
func TestRunner_Run_deviceLockUnacknowledged(t *testing.T) {
	e := newEnv(t, envOptions{connectors: offboard.Connectors{oktaconn.Declaration(), fakeMDMDecl}})
	l := newLedger(e.clock)
	mdm := &fakeMDMServer{commands: map[string][]mdmCommand{}, now: e.clock.Now, devices: []*mdmDevice{
		{ID: "mac1", Owner: "jane@example.com", Model: "MacBook Pro", Serial: "C02XK1", OS: "macOS", Version: "14.5",
			LastSync: e.clock.Now().Add(-time.Hour), Compliance: "compliant", online: true},
		{ID: "phone1", Owner: "jane@example.com", Model: "iPhone 15", Serial: "F2LZQ9", OS: "iOS", Version: "17.4",
			LastSync: e.clock.Now().Add(-72 * time.Hour), Compliance: "noncompliant"},
		{ID: "mac9", Owner: "someone@example.com", Model: "MacBook Air", Serial: "OTHER"},
	}}
	srv := httptest.NewServer(mdm)
	t.Cleanup(srv.Close)
	client := &mdmClient{base: srv.URL, now: e.clock.Now}
	reg := l.registry(t)
	lockAction := client.lock()
	logged := connectors.ActionFunc(func(ctx context.Context, req connectors.Request) (connectors.Result, error) {
		l.mu.Lock()
		l.events = append(l.events, "action fakemdm.lock")
		l.mu.Unlock()
		return lockAction.Run(ctx, req)
	})
	if err := reg.Register("fakemdm.lock", logged); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("fakemdm.status", connectors.DeviceStatus("fakemdm", "Fake MDM", client, e.clock.Now)); err != nil {
		t.Fatal(err)
	}
	r, _ := e.start(runner.Options{Actions: reg, Notifier: l, Workers: 1})

	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskUnverified, "fakemdm_lock")
	tasks = e.waitTasks(id, offboard.TaskDone, "fakemdm_devices", "okta_suspend")
	e.waitIdle(id)

	lock := tasks["fakemdm_lock"]
	if lock.Evidence["device.mac1"] == "" || !strings.HasPrefix(lock.Evidence["device.mac1"], "lock done at ") ||
		!strings.Contains(lock.Evidence["device.phone1"], "pending") || !strings.Contains(lock.LastError, "phone1") {
		t.Errorf("lock evidence %v, last error %q", lock.Evidence, lock.LastError)
	}
	snaps := offboard.LatestDevices([]*offboard.Task{tasks["fakemdm_devices"]})
	if len(snaps) != 1 || len(snaps[0].Devices) != 2 || snaps[0].Devices[1].Serial != "F2LZQ9" {
		t.Errorf("device read %+v, want Jane's two devices", snaps)
	}
	// Access goes before devices: the suspend started before the lock.
	// Notices run in their own lane and may come first: only the order
	// of the actions counts.
	events, _ := l.snapshot()
	var actions []string
	for _, ev := range events {
		if strings.HasPrefix(ev, "action ") {
			actions = append(actions, ev)
		}
	}
	suspend, locked := slices.Index(actions, "action okta.suspend"), slices.Index(actions, "action fakemdm.lock")
	if suspend != 0 || locked < suspend {
		t.Errorf("actions %v, want okta.suspend first and the lock after it", actions)
	}
	if !slices.Contains(l.noticeKinds(), string(offboard.NoticeTaskUnverified)) {
		t.Errorf("notices %v: IT was not told the lock is unverified", l.noticeKinds())
	}
}

// TestRunner_Run_lockSecretsPassThrough: the PIN each lock was sent with
// reaches the task through the runner — the same PIN the device got —
// while the runner's log and the case view carry its name only.
func TestRunner_Run_lockSecretsPassThrough(t *testing.T) {
	e := newEnv(t, envOptions{connectors: offboard.Connectors{oktaconn.Declaration(), fakeMDMDecl}})
	l := newLedger(e.clock)
	mdm := &fakeMDMServer{commands: map[string][]mdmCommand{}, now: e.clock.Now, devices: []*mdmDevice{
		{ID: "mac1", Owner: "jane@example.com", Model: "MacBook Pro", Serial: "C02XK1", online: true},
		{ID: "mac2", Owner: "jane@example.com", Model: "MacBook Air", Serial: "C02XK2", online: true},
	}}
	srv := httptest.NewServer(mdm)
	t.Cleanup(srv.Close)
	// Distinctive PINs, so that finding one in the log is no accident.
	var next atomic.Int32
	next.Store(730519)
	client := &mdmClient{base: srv.URL, now: e.clock.Now, pins: func() string { return fmt.Sprint(next.Add(1)) }}
	reg := l.registry(t)
	if err := reg.Register("fakemdm.lock", client.lock()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("fakemdm.status", connectors.DeviceStatus("fakemdm", "Fake MDM", client, e.clock.Now)); err != nil {
		t.Fatal(err)
	}
	r, _ := e.start(runner.Options{Actions: reg, Notifier: l, Workers: 1})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	shown := e.waitTasks(id, offboard.TaskDone, "fakemdm_lock")["fakemdm_lock"]
	e.waitIdle(id)

	var stored *offboard.Task
	if err := e.db.View(context.Background(), func(tx offboard.Tx) error {
		var err error
		stored, err = tx.Task(id, "fakemdm_lock")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mdm.mu.Lock()
	defer mdm.mu.Unlock()
	for _, dev := range []string{"mac1", "mac2"} {
		sent := mdm.commands[dev][0].PIN
		name := offboard.SecretDevicePIN + dev
		if len(sent) != 6 || stored.Secrets[name] != sent {
			t.Errorf("%s: the device got PIN %q, the task holds %q", dev, sent, stored.Secrets[name])
		}
		if shown.Secrets[name] != offboard.SecretSet {
			t.Errorf("%s: the case view shows %q, want %q", dev, shown.Secrets[name], offboard.SecretSet)
		}
		if strings.Contains(e.logs.String(), sent) {
			t.Errorf("%s: the runner logged the PIN", dev)
		}
	}
}
