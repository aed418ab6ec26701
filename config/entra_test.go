package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/config"
)

func TestValidate_Entra(t *testing.T) {
	const base = "entra:\n  tenant_id: contoso.onmicrosoft.com\n"
	cases := []struct{ src, want string }{
		{"entra:\n  client_id: c\n", "entra.tenant_id: required when other entra keys are set"},
		{base + "  client_secret: s\n", "entra.client_id: required"},
		{base + "  client_id: c\n", "entra.client_secret: required when entra.tenant_id is set"},
		{base + "  client_id: c\n  client_secret: s\n  private_key: k\n", "not both"},
		{base + "  client_id: c\n  private_key: k\n", "entra.certificate: required with entra.private_key"},
		{base + "  client_id: c\n  certificate: \"-----BEGIN CERTIFICATE-----\"\n", "entra.private_key: required with entra.certificate"},
		{base + "  client_id: c\n  certificate: nope\n  private_key: k\n", "entra.certificate: want a PEM certificate"},
		{base + "  client_id: c\n  client_secret: s\n  graph_url: http://graph.example.com\n", "entra.graph_url: must use https"},
		{"entra:\n  tenant_id: a/b\n  client_id: c\n  client_secret: s\n", "entra.tenant_id: want the directory"},
		{base + "  client_id: c\n  client_secret: s\n  request_timeout: 0s\n", "entra.request_timeout"},
		{base + "  client_id: c\n  client_secrt: s\n", "client_secrt"},
		{base + "  client_id: c\n  client_secret: s\n  delete_after: -1d\n", "entra.delete_after"},
		{base + "  client_id: c\n  client_secret: s\n  delete_after: soon\n", "delete_after"},
	}
	for _, tc := range cases {
		_, err := config.Parse([]byte(tc.src), "c.yaml", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.src, err, tc.want)
		}
	}
	cfg, err := config.Parse([]byte(base+"  client_id: c\n  client_secret: the-secret\n  graph_url: http://127.0.0.1:9/\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.EntraEnabled() || cfg.Entra.RequestTimeout.D() <= 0 || cfg.Entra.DeleteAfter != 0 {
		t.Fatalf("entra = %+v", cfg.Entra)
	}
	if got := cfg.Secrets(); !strings.Contains(strings.Join(got, " "), "the-secret") {
		t.Fatalf("the client secret is not among the secrets the redactor gets")
	}
}

func TestParse_EntraFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0o644)
	write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", 0o600)
	src := "entra:\n  tenant_id: t\n  client_id: c\n  certificate_file: cert.pem\n  private_key_file: key.pem\n"
	cfg, err := config.Parse([]byte(src), filepath.Join(dir, "offboard.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.Entra.Certificate, "BEGIN CERTIFICATE") || !strings.Contains(string(cfg.Entra.PrivateKey), "BEGIN PRIVATE KEY") {
		t.Fatalf("files not read: %+v", cfg.Entra)
	}
	// The key is a secret: a file others may read is refused.
	if err := os.Chmod(filepath.Join(dir, "key.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Parse([]byte(src), filepath.Join(dir, "offboard.yaml"), nil); err == nil || !strings.Contains(err.Error(), "entra.private_key_file") {
		t.Fatalf("a world-readable key file: %v", err)
	}
	if _, err := config.Parse([]byte(src+"  certificate: x\n"), filepath.Join(dir, "offboard.yaml"), nil); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both certificate keys: %v", err)
	}
}

func TestParse_EntraDeleteAfter(t *testing.T) {
	cfg, err := config.Parse([]byte("entra:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: c\n  client_secret: s\n  delete_after: 30d\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Entra.DeleteAfter.D(); got != 30*24*time.Hour {
		t.Fatalf("delete_after = %s, want 30 days", got)
	}
}
