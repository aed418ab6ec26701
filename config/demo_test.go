package config_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/config"
)

func TestValidate_DemoFlavour(t *testing.T) {
	cfg, err := config.Parse([]byte("demo: true\n"), "c.yaml", nil)
	if err != nil || !cfg.Demo || cfg.MicrosoftDemo() {
		t.Fatalf("demo: true is not the Okta demo (err %v)", err)
	}
	cfg, err = config.Parse([]byte("demo: true\ndemo_flavour: microsoft\n"), "c.yaml", nil)
	if err != nil || !cfg.MicrosoftDemo() {
		t.Fatalf("demo_flavour: microsoft is not the Microsoft demo (err %v)", err)
	}
	cfg, err = config.Parse([]byte("demo: true\ndemo_flavour: google\n"), "c.yaml", nil)
	if err != nil || !cfg.GoogleDemo() || cfg.MicrosoftDemo() {
		t.Fatalf("demo_flavour: google is not the Google demo (err %v)", err)
	}
	if cfg, err = config.Parse([]byte("demo: true\ndemo_flavour: okta\n"), "c.yaml", nil); err != nil || cfg.MicrosoftDemo() || cfg.GoogleDemo() {
		t.Fatalf("demo_flavour: okta (err %v)", err)
	}
	for doc, want := range map[string]string{
		"demo: true\ndemo_flavour: entra\n":      `demo_flavour: want "okta", "microsoft" or "google", got "entra"`,
		"demo: true\ndemo_flavour: Microsoft\n":  `got "Microsoft"`,
		"demo_flavour: microsoft\n":              "demo_flavour: only means something with demo: true",
		"demo: false\ndemo_flavour: microsoft\n": "demo_flavour: only means something with demo: true",
		"demo_flavour: google\n":                 "demo_flavour: only means something with demo: true",
	} {
		if _, err := config.Parse([]byte(doc), "c.yaml", nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", doc, err, want)
		}
	}
}
