package microsoft

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestClient_DoRefusesRedirect: Graph's v1.0 calls offboard makes never
// redirect, so a 3xx is refused rather than followed: following it would
// send the bearer token (Go keeps it for the same host name on another
// port) and take another server's answer as Graph's read-back evidence.
func TestClient_DoRefusesRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	var sawToken atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if r.Header.Get("Authorization") != "" {
			sawToken.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"accountEnabled":false}`))
	}))
	defer other.Close()
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"graph-token-secret","token_type":"Bearer","expires_in":3600}`))
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer graph.Close()
	c, err := New(Options{TenantID: "t1", ClientID: "app", ClientSecret: "s3cret",
		GraphURL: graph.URL, LoginURL: graph.URL, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		AccountEnabled *bool `json:"accountEnabled"`
	}
	err = c.do(t.Context(), call{method: http.MethodGet, path: "/users/u1?$select=accountEnabled", out: &out, what: "read the account"})
	if err == nil {
		t.Fatalf("a redirect was followed and its answer taken as Graph's: %+v", out)
	}
	if n := elsewhere.Load(); n != 0 || sawToken.Load() {
		t.Fatalf("the other server got %d requests (token sent: %v)", n, sawToken.Load())
	}
	if !strings.Contains(err.Error(), "redirect") || strings.Contains(err.Error(), "graph-token-secret") {
		t.Fatalf("error should say a redirect was refused, without the token: %v", err)
	}
}

// TestClient_DoOversizedAnswer: an answer past maxBody is refused as too
// large, not cut and then misreported as broken JSON.
func TestClient_DoOversizedAnswer(t *testing.T) {
	c := hostileGraph(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"value":[`))
		item := []byte(`{"id":"00000000-0000-0000-0000-000000000000","deviceName":"x"},`)
		for n := 0; n < maxBody/len(item)+10; n++ {
			_, _ = w.Write(item)
		}
		_, _ = w.Write([]byte(`{"id":"last"}]}`))
	})
	var out struct {
		Value []map[string]any `json:"value"`
	}
	err := c.do(t.Context(), call{method: http.MethodGet, path: "/users/u1/managedDevices", out: &out, what: "list devices"})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("an oversized answer: %v, want an error saying it is too large", err)
	}
}

// TestClient_DoWrongTypes: an answer with the wrong JSON types is a clear
// decode error naming the call, not a crash or a zero value taken as data.
func TestClient_DoWrongTypes(t *testing.T) {
	c := hostileGraph(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"accountEnabled":"no","id":42}`))
	})
	var out struct {
		ID             string `json:"id"`
		AccountEnabled *bool  `json:"accountEnabled"`
	}
	err := c.do(t.Context(), call{method: http.MethodGet, path: "/users/u1", out: &out, what: "read the account"})
	if err == nil || !strings.Contains(err.Error(), "read the account: decode answer") {
		t.Fatalf("wrong types: %v, want a decode error naming the call", err)
	}
}

// TestClient_ListWithoutValue: a read-back list whose answer has no
// "value" array (an empty body, {}) is an error, never "none remain":
// reset MFA and revoke grants would otherwise report done on a
// non-answer.
func TestClient_ListWithoutValue(t *testing.T) {
	for _, answer := range []string{``, `{}`, `{"value":null}`} {
		c := hostileGraph(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(answer))
		})
		if ms, err := c.Methods(t.Context(), "u1"); err == nil {
			t.Errorf("methods answer %q: %v, nil error; want an error, not an empty list", answer, ms)
		}
		if gs, err := c.Grants(t.Context(), "u1"); err == nil {
			t.Errorf("grants answer %q: %v, nil error; want an error, not an empty list", answer, gs)
		}
	}
}

// TestIntune_ListDevicesWithoutValue: a device list answer without a
// "value" array is an error, not "no devices" (a lock would be done on
// nothing).
func TestIntune_ListDevicesWithoutValue(t *testing.T) {
	c := hostileGraph(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	})
	in := &Intune{c: c}
	if list, err := in.listDevices(t.Context(), "u1"); err == nil {
		t.Fatalf("devices %v, nil error; want an error for an answer without a list", list)
	}
}

// TestClient_GetUserWithoutID: a user answer without an id is an error:
// the actions would otherwise act on "/users/" and read back nothing.
func TestClient_GetUserWithoutID(t *testing.T) {
	for _, answer := range []string{``, `{}`, `{"accountEnabled":false}`} {
		c := hostileGraph(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(answer))
		})
		if u, err := c.GetUser(t.Context(), "jane@example.com"); err == nil {
			t.Errorf("user answer %q: %+v, nil error; want an error for a user without an id", answer, u)
		}
	}
}

// hostileGraph is a Graph that hands out a token and answers every other
// request with answer, and a client of it; both end with the test.
func hostileGraph(t *testing.T, answer http.HandlerFunc) *Client {
	t.Helper()
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		answer(w, r)
	}))
	t.Cleanup(graph.Close)
	c, err := New(Options{TenantID: "t1", ClientID: "app", ClientSecret: "s3cret", GraphURL: graph.URL, LoginURL: graph.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
