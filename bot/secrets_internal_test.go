package bot

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestPinWord: a wipe's PIN is the one that unlocks the erased device,
// and the card and the button say so; a lock's is the lock PIN.
func TestPinWord(t *testing.T) {
	c := &offboard.Case{ID: "OFF-0001", Status: offboard.CaseOpen}
	secrets := offboard.Secrets{offboard.SecretDevicePIN + "d1": "123456"}
	for action, want := range map[string]string{"jamf.wipe": "erase PIN", "jamf.lock": "lock PIN"} {
		task := &offboard.Task{Key: "x", Action: action, Department: offboard.DeptIT, Secrets: secrets}
		b, ok := revealButton(c, task, offboard.StandardDepartments())
		f := secretField(task, offboard.StandardDepartments())
		if !ok || b.Label != "Show "+want || f.Label != map[string]string{"erase PIN": "Erase PIN", "lock PIN": "Lock PIN"}[want] {
			t.Errorf("%s: button %q, field %q", action, b.Label, f.Label)
		}
	}
}
