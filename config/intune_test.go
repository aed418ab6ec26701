package config_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/config"
)

func TestValidate_Intune(t *testing.T) {
	_, err := config.Parse([]byte("intune:\n  enabled: true\n"), "c.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "intune.enabled: needs the entra section") {
		t.Fatalf("intune without entra: err %v", err)
	}
	if _, err := config.Parse([]byte("intune:\n  enabeld: true\n"), "c.yaml", nil); err == nil || !strings.Contains(err.Error(), "enabeld") {
		t.Fatalf("misspelt key: err %v", err)
	}
	cfg, err := config.Parse([]byte("entra:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: c\n  client_secret: s\nintune:\n  enabled: true\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.IntuneEnabled() {
		t.Fatal("intune with entra is not enabled")
	}
	cfg, err = config.Parse([]byte("entra:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: c\n  client_secret: s\n"), "c.yaml", nil)
	if err != nil || cfg.IntuneEnabled() {
		t.Fatalf("entra alone turned intune on (err %v)", err)
	}
}
