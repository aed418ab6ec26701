package graphtest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

func TestServer_LimitIdentity(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", AccountEnabled: true})
	tok := secretToken(t, s)
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	// Off by default: no budget, no cost header.
	if r := get("/v1.0/users/" + id); r.StatusCode != 200 || r.Header.Get("x-ms-resource-unit") != "" {
		t.Fatalf("unlimited: %d %q", r.StatusCode, r.Header.Get("x-ms-resource-unit"))
	}
	// 3 RU per 10 s: GET users costs 2, GET a user 1; the next GET users
	// needs 2 with nothing left, about 6.7 s of refill.
	s.LimitIdentity(3)
	if r := get("/v1.0/users"); r.StatusCode != 200 || r.Header.Get("x-ms-resource-unit") != "2" {
		t.Fatalf("first: %d %q", r.StatusCode, r.Header.Get("x-ms-resource-unit"))
	}
	if r := get("/v1.0/users/" + id); r.StatusCode != 200 || r.Header.Get("x-ms-resource-unit") != "1" {
		t.Fatalf("second: %d %q", r.StatusCode, r.Header.Get("x-ms-resource-unit"))
	}
	r := get("/v1.0/users")
	var body struct {
		Error struct {
			Code       string
			InnerError map[string]string `json:"innerError"`
		} `json:"error"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	ra, _ := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.StatusCode != http.StatusTooManyRequests || body.Error.Code != "TooManyRequests" || body.Error.InnerError["request-id"] == "" {
		t.Fatalf("over budget: %d %+v", r.StatusCode, body)
	}
	if ra < 6 || ra > 7 {
		t.Errorf("Retry-After = %q, want 6 or 7 (2 RU at 0.3 RU/s)", r.Header.Get("Retry-After"))
	}
	if r.Header.Get("x-ms-throttle-information") != "ResourceUnitLimitExceeded" {
		t.Errorf("x-ms-throttle-information = %q", r.Header.Get("x-ms-throttle-information"))
	}
	// Intune is not the identity service's budget.
	if r := get("/v1.0/deviceManagement/managedDevices"); r.StatusCode == http.StatusTooManyRequests {
		t.Error("an Intune read was charged to the identity budget")
	}
	if spent, throttled := s.ResourceUnits(); spent != 3 || throttled != 1 {
		t.Errorf("ResourceUnits() = %d, %d; want 3, 1", spent, throttled)
	}
	s.LimitIdentity(0)
	if r := get("/v1.0/users"); r.StatusCode != 200 {
		t.Errorf("limit off: %d", r.StatusCode)
	}
}
