package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphfake"
)

// The Microsoft demo points entra and intune at a live fake on loopback,
// leaves Okta off, prices the demo SKUs, gives IT two approvers for the
// wipe besides whoever asks for it, and logs what runs without the client
// secret.
func TestStartDemo_Microsoft(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: microsoft\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	stop, err := startDemo(cfg, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.EntraEnabled() || !cfg.IntuneEnabled() || cfg.OktaEnabled() {
		t.Fatalf("entra %v intune %v okta %v", cfg.EntraEnabled(), cfg.IntuneEnabled(), cfg.OktaEnabled())
	}
	if !strings.HasPrefix(cfg.Entra.GraphURL, "http://127.0.0.1:") || cfg.Entra.LoginURL != cfg.Entra.GraphURL ||
		cfg.Entra.ClientSecret.Reveal() != graphfake.ClientSecret {
		t.Fatalf("entra section %+v", cfg.Entra)
	}
	resp, err := http.Get(cfg.Entra.GraphURL + "/v1.0/users")
	if err != nil {
		t.Fatalf("the fake does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Graph without a token = %d, want 401", resp.StatusCode)
	}
	if cfg.Licenses["spe_e3"] == 0 {
		t.Errorf("licenses %v", cfg.Licenses)
	}
	if it := cfg.Roles[offboard.RoleIT]; len(it) != 3 || !slices.Contains(it, "ivan.it@example.com") {
		t.Errorf("IT %v, want Ivan and two approvers", it)
	}
	out := logged.String()
	if !strings.Contains(out, "DEMO mode: a fake Microsoft Graph") || !strings.Contains(out, "try=jane.doe@example.com") ||
		strings.Contains(out, graphfake.ClientSecret) {
		t.Errorf("log:\n%s", out)
	}
	stop()
	if _, err := http.Get(cfg.Entra.GraphURL + "/v1.0/users"); err == nil {
		t.Error("the fake still answers after stop")
	}
}

// A real Entra ID configured wins: no fake starts and the config stays.
func TestStartDemo_MicrosoftWithRealEntra(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, t.TempDir(), "demo: true\ndemo_flavour: microsoft\n"+
		"entra:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: c\n  client_secret: real-secret-value\n"))
	if err != nil {
		t.Fatal(err)
	}
	stop, err := startDemo(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if cfg.Entra.TenantID != "contoso.onmicrosoft.com" || cfg.Entra.GraphURL != "" || cfg.Intune.Enabled {
		t.Fatalf("the demo replaced a real entra section: %+v intune %v", cfg.Entra, cfg.Intune.Enabled)
	}
}

// config check says which demo runs, and names a misspelt flavour.
func TestConfigCheck_MicrosoftDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI("config", "check", "--config", writeConfig(t, dir, "demo: true\ndemo_flavour: microsoft\n"))
	if code != 0 || !strings.Contains(out, "demo on (microsoft") {
		t.Fatalf("config check = %d %s %s", code, out, errOut)
	}
	code, _, errOut = runCLI("config", "check", "--config", writeConfig(t, dir, "demo: true\ndemo_flavour: azure\n"))
	if code == 0 || !strings.Contains(errOut, "demo_flavour") {
		t.Fatalf("a misspelt flavour: code %d %s", code, errOut)
	}
}
