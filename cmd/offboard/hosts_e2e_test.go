package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A page of another site whose name resolves to offboard's loopback
// address (DNS rebinding) reaches the server with its own name in Host.
// Every route refuses it with 421 before any handler runs, while the
// same requests by a loopback name are served.
func TestServe_HostAllowList(t *testing.T) {
	dir := t.TempDir()
	// Demo mode, loopback, no token: the console is open to whoever
	// reaches it by a loopback name, the setting the attack was made on.
	app := startApp(t, writeConfig(t, dir, `demo: true
console:
  enabled: true
hris:
  generic:
    token: "generic-token-0123456789"
  bamboohr:
    webhook_secret: "bamboo-secret-0123456789"
`), wireOptions{})
	u, _ := url.Parse(app.url)
	evil := "rebind.evil.example:" + u.Port()
	send := func(method, path, host, body string, hdr map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, app.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	origin := map[string]string{"Origin": "http://" + evil}
	form := map[string]string{"Origin": "http://" + evil, "Content-Type": "application/x-www-form-urlencoded"}
	jsonHdr := func(auth string) map[string]string {
		return map[string]string{"Origin": "http://" + evil, "Content-Type": "application/json", "Authorization": auth}
	}
	routes := []struct{ method, path, body string }{
		{"GET", "/healthz", ""},
		{"GET", "/", ""},
		{"GET", "/audit.json", ""},
		{"GET", "/audit.csv", ""},
		{"POST", "/audit/verify", ""},
		{"GET", "/console", ""},
		{"POST", "/console/say", "text=%2Foffboard+jane%40example.com+involuntary"},
		{"POST", "/api/v1/cases", `{"employee":{"email":"jane@example.com"},"kind":"involuntary"}`},
		{"GET", "/api/v1/cases", ""},
		{"POST", "/webhooks/hris", `{"email":"jane@example.com","kind":"involuntary"}`},
		{"POST", "/webhooks/bamboohr", `{"employees":[]}`},
		{"POST", "/api/messages", `{}`},
		{"GET", "/no-such-route", ""},
	}
	for _, rt := range routes {
		hdr := origin
		switch {
		case strings.HasPrefix(rt.path, "/console/"):
			hdr = form
		case strings.HasPrefix(rt.path, "/api/v1/"):
			hdr = jsonHdr("Bearer " + hrToken)
		case rt.path == "/webhooks/hris":
			hdr = jsonHdr("Bearer generic-token-0123456789")
		}
		if code, body := send(rt.method, rt.path, evil, rt.body, hdr); code != http.StatusMisdirectedRequest {
			t.Errorf("%s %s with Host %s: %d, want 421: %.200s", rt.method, rt.path, evil, code, body)
		}
	}
	if r := call(t, "GET", app.url+"/api/v1/cases?status=open", hrToken, ""); r.status != 200 || strings.Contains(string(r.body), "OFF-") {
		t.Errorf("cases after the rebinding requests: %d %s", r.status, r.body)
	}
	// The same server by its loopback names.
	for _, host := range []string{"127.0.0.1:" + u.Port(), "localhost:" + u.Port(), "[::1]:" + u.Port()} {
		if code, body := send("GET", "/audit.json", host, "", nil); code != http.StatusOK {
			t.Errorf("GET /audit.json with Host %s: %d %.200s", host, code, body)
		}
	}
	// A loopback name on another port is not this server.
	if code, _ := send("GET", "/audit.json", "localhost:1", "", nil); code != http.StatusMisdirectedRequest {
		t.Errorf("Host localhost:1: %d, want 421", code)
	}
	// offboard health still works.
	if code, _, stderr := runCLI("health", "--url", app.url+"/healthz"); code != 0 {
		t.Errorf("offboard health: exit %d: %s", code, stderr)
	}
}
