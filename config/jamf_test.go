package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/config"
)

func TestValidate_Jamf(t *testing.T) {
	const base = "jamf:\n  url: https://example.jamfcloud.com\n"
	cases := []struct{ src, want string }{
		{"jamf:\n  client_id: c\n", "jamf.url: required when other jamf keys are set"},
		{base + "  client_secret: s\n", "jamf.client_id: required"},
		{base + "  client_id: c\n", "jamf.client_secret: required when jamf.url is set"},
		{"jamf:\n  url: http://jamf.example.com\n  client_id: c\n  client_secret: s\n", "jamf.url: must use https"},
		{"jamf:\n  url: https://example.jamfcloud.com/api\n  client_id: c\n  client_secret: s\n", "jamf.url: want the Jamf Pro server's address only"},
		{"jamf:\n  url: example.jamfcloud.com\n  client_id: c\n  client_secret: s\n", "jamf.url: want an absolute URL"},
		{base + "  client_id: c\n  client_secret: s\n  request_timeout: 0s\n", "jamf.request_timeout"},
		{base + "  client_id: c\n  clientsecret: s\n", "clientsecret"},
	}
	for _, tc := range cases {
		_, err := config.Parse([]byte(tc.src), "c.yaml", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.src, err, tc.want)
		}
	}
	cfg, err := config.Parse([]byte(base+"  client_id: c\n  client_secret: the-jamf-secret\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.JamfEnabled() || cfg.Jamf.RequestTimeout.D() <= 0 {
		t.Fatalf("jamf = %+v", cfg.Jamf)
	}
	if got := cfg.Secrets(); !strings.Contains(strings.Join(got, " "), "the-jamf-secret") {
		t.Fatal("the client secret is not among the secrets the redactor gets")
	}
	if cfg, err := config.Parse([]byte("company:\n  name: X\n"), "c.yaml", nil); err != nil || cfg.JamfEnabled() {
		t.Fatalf("jamf on without a url: %v", err)
	}
}

func TestParse_JamfSecretFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jamf_secret"), []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "offboard.yaml")
	src := "jamf:\n  url: https://example.jamfcloud.com\n  client_id: c\n  client_secret_file: jamf_secret\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Jamf.ClientSecret.Reveal() != "from-the-file" {
		t.Fatalf("client secret %q", cfg.Jamf.ClientSecret.Reveal())
	}
}
