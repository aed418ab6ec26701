package microsoft

import "testing"

func TestClient_Relative(t *testing.T) {
	c := &Client{graphURL: "https://graph.microsoft.com"}
	if p, err := c.relative("https://graph.microsoft.com/v1.0/users?$skiptoken=X%2712"); err != nil || p != "/users?$skiptoken=X%2712" {
		t.Fatalf("%q, %v", p, err)
	}
	for _, link := range []string{"https://evil.example/v1.0/users", "https://graph.microsoft.com.evil.example/v1.0/users", "https://graph.microsoft.com/beta/users"} {
		if _, err := c.relative(link); err == nil {
			t.Errorf("followed %s", link)
		}
	}
}

func TestIanaZone(t *testing.T) {
	for in, want := range map[string]string{"Pacific Standard Time": "America/Los_Angeles", "Europe/Paris": "Europe/Paris",
		"Mars Standard Time": "", "": "", "Nowhere/Land": "", "UTC": "Etc/UTC"} {
		if got := ianaZone(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestIsGUID(t *testing.T) {
	for s, want := range map[string]bool{"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d": true, "jane@example.com": false,
		"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g": false, "0a1b2c3d4e5f-4a6b-8c7d-9e0f1a2b3c4d0": false, "": false} {
		if isGUID(s) != want {
			t.Errorf("isGUID(%q) = %t", s, !want)
		}
	}
}
