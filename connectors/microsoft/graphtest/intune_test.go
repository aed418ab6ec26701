package graphtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// graphCall sends one Graph request with a token from the fake.
func graphCall(t *testing.T, s *graphtest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	_, tok := postToken(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {graphtest.ClientID},
		"client_secret": {graphtest.ClientSecret}, "scope": {"https://graph.microsoft.com/.default"}})
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, s.URL+"/v1.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// TestServer_CheckIn: a command to an offline device is pending in its
// deviceActionResults until it checks in; errors have Microsoft's shapes.
func TestServer_CheckIn(t *testing.T) {
	s := graphtest.New(t)
	uid := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com"})
	dev := s.AddDevice(graphtest.ManagedDevice{UserID: uid, DeviceName: "JANE-MBP", Serial: "C02XK1"})

	if st, body := graphCall(t, s, http.MethodGet, "/users/"+uid+"/managedDevices", nil); st != 200 || len(body["value"].([]any)) != 1 {
		t.Fatalf("list = %d %v", st, body)
	}
	if st, _ := graphCall(t, s, http.MethodPost, "/deviceManagement/managedDevices/"+dev+"/remoteLock", nil); st != http.StatusNoContent {
		t.Fatalf("remoteLock = %d", st)
	}
	state := func() string {
		_, body := graphCall(t, s, http.MethodGet, "/deviceManagement/managedDevices/"+dev, nil)
		results := body["deviceActionResults"].([]any)
		return results[len(results)-1].(map[string]any)["actionState"].(string)
	}
	if got := state(); got != "pending" {
		t.Fatalf("before check-in: %s", got)
	}
	s.CheckIn(dev)
	if got := state(); got != "done" {
		t.Fatalf("after check-in: %s", got)
	}

	if st, body := graphCall(t, s, http.MethodPost, "/deviceManagement/managedDevices/nope/wipe", map[string]any{}); st != 404 || errCode(body) != "ResourceNotFound" {
		t.Fatalf("unknown device = %d %v", st, body)
	}
	if st, body := graphCall(t, s, http.MethodPost, "/deviceManagement/managedDevices/"+dev+"/wipe", map[string]any{"keepEverything": true}); st != 400 || errCode(body) != "BadRequest" {
		t.Fatalf("unknown wipe parameter = %d %v", st, body)
	}
	s.SetPermissions("DeviceManagementManagedDevices.Read.All")
	if st, body := graphCall(t, s, http.MethodPost, "/deviceManagement/managedDevices/"+dev+"/retire", nil); st != 403 || errCode(body) != "Authorization_RequestDenied" {
		t.Fatalf("retire without PrivilegedOperations.All = %d %v", st, body)
	}
	if d, _ := s.Device(dev); len(d.Actions) != 1 {
		t.Fatalf("refused commands were recorded: %+v", d.Actions)
	}
}
