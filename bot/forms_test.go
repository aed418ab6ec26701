package bot_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func inputOf(t *testing.T, f *offboard.Form, id string) offboard.Input {
	t.Helper()
	for _, in := range f.Inputs {
		if in.ID == id {
			return in
		}
	}
	t.Fatalf("form %s has no input %s", f.ID, id)
	return offboard.Input{}
}

// The form names the directories the wiring declares, not a vendor of
// its own; with none it speaks of the systems in general.
func TestOpenCaseFormFor(t *testing.T) {
	tests := []struct {
		dirs          bot.Directories
		hint, confirm string
	}{
		{bot.Directories{Identity: []string{"Okta"}, HR: []string{"BambooHR"}},
			"Approves data transfers; optional when Okta or BambooHR knows it", "If Okta or the HR system does not know them"},
		{bot.Directories{Identity: []string{"Okta", "Entra ID"}},
			"Approves data transfers; optional when Okta or Entra ID knows it", "If Okta, Entra ID or the HR system does not know them"},
		{bot.Directories{},
			"Approves data transfers; optional when the identity or the HR system knows it", "If the identity system or the HR system does not know them"},
	}
	for _, tt := range tests {
		f := bot.OpenCaseFormFor("", tt.dirs)
		if got := inputOf(t, f, "manager").Hint; got != tt.hint {
			t.Errorf("%+v: manager hint %q, want %q", tt.dirs, got, tt.hint)
		}
		if got := inputOf(t, f, "confirm_unknown").Label; got != tt.confirm {
			t.Errorf("%+v: confirm label %q, want %q", tt.dirs, got, tt.confirm)
		}
	}
}
