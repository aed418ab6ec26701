package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func getPage(t *testing.T, url, password string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if password != "" {
		req.SetBasicAuth("admin", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The dashboard is served by serve with console.enabled (here to the
// admin's console.token); the API and health keep their JSON answers
// beside it.
func TestServe_Dashboard(t *testing.T) {
	dir := t.TempDir()
	const token = "dashboard-token-0123456789"
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \""+token+"\"\n"), wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d", r.status)
	}
	code, body := getPage(t, app.url+"/", token)
	if code != 200 || !strings.Contains(body, "OFF-0001") || !strings.Contains(body, "<html") {
		t.Fatalf("dashboard / = %d\n%.400s", code, body)
	}
	if code, body = getPage(t, app.url+"/cases/OFF-0001", token); code != 200 || !strings.Contains(body, "case.opened") {
		t.Fatalf("case page = %d\n%.400s", code, body)
	}
	if code, body = getPage(t, app.url+"/audit.csv", token); code != 200 || !strings.HasPrefix(body, "seq,time,case_id") {
		t.Fatalf("audit.csv = %d\n%.200s", code, body)
	}
	if r := call(t, "GET", app.url+"/healthz", "", ""); r.status != 200 {
		t.Fatal("healthz broken by the dashboard")
	}
	if r := call(t, "GET", app.url+"/api/v1/nope", hrToken, ""); r.status != 404 || !strings.Contains(string(r.body), `"error"`) {
		t.Fatalf("unknown API path = %d %s", r.status, r.body)
	}
}

func TestServe_DashboardToken(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \"dashboard-token-0123456789\"\n"), wireOptions{})
	if code, _ := getPage(t, app.url+"/", ""); code != 401 {
		t.Fatalf("without the token: %d", code)
	}
	if code, _ := getPage(t, app.url+"/", "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _ := getPage(t, app.url+"/", "dashboard-token-0123456789"); code != 200 {
		t.Fatalf("with the token: %d", code)
	}
}

func TestServe_DashboardOff(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, ""), wireOptions{})
	if code, _ := getPage(t, app.url+"/", ""); code != 404 {
		t.Fatalf("dashboard without console.enabled: %d", code)
	}
}
