package main

import (
	"strings"
	"testing"
)

// console.token guards the console as it does the dashboard, including
// its live-update stream and its static files.
func TestServe_ConsoleToken(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, "console:\n  enabled: true\n  token: \"console-token-0123456789\"\n"), wireOptions{})
	for _, path := range []string{"/console", "/console/rooms/OFF-0001", "/console/static/console.js"} {
		if code, _ := getPage(t, app.url+path, ""); code != 401 {
			t.Errorf("%s without the token: %d", path, code)
		}
		if code, _ := getPage(t, app.url+path, "wrong"); code != 401 {
			t.Errorf("%s with a wrong token: %d", path, code)
		}
	}
	if r := call(t, "POST", app.url+"/console/say", "", "text=hi"); r.status != 401 {
		t.Errorf("a post without the token: %d", r.status)
	}
	code, body := getPage(t, app.url+"/console", "console-token-0123456789")
	if code != 200 || !strings.Contains(body, `action="/console/say"`) {
		t.Fatalf("with the token: %d\n%.300s", code, body)
	}
}

// Without console.enabled there is no console.
func TestServe_ConsoleOff(t *testing.T) {
	dir := t.TempDir()
	app := startApp(t, writeConfig(t, dir, ""), wireOptions{})
	for _, path := range []string{"/console", "/console/events"} {
		if code, _ := getPage(t, app.url+path, ""); code != 404 {
			t.Errorf("%s without console.enabled: %d", path, code)
		}
	}
}
