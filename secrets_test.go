package offboard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// TestSecrets_Printing: however a task holding a PIN is printed — JSON,
// any fmt verb, slog — only the secret's name shows.
func TestSecrets_Printing(t *testing.T) {
	task := &offboard.Task{Key: "jamf_lock", Secrets: offboard.Secrets{"device_pin:d1": "482913"}}
	raw, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("task", "secrets", task.Secrets, "task", task)
	outs := map[string]string{
		"json": string(raw), "%v": fmt.Sprintf("%v", task), "%+v": fmt.Sprintf("%+v", *task),
		"%#v": fmt.Sprintf("%#v", task.Secrets), "%s": fmt.Sprintf("%s", task.Secrets), "slog": buf.String(),
	}
	for how, out := range outs {
		if strings.Contains(out, "482913") || !strings.Contains(out, "device_pin:d1") {
			t.Errorf("%s: %s", how, out)
		}
	}
	if !strings.Contains(string(raw), `"secrets":{"device_pin:d1":"set"}`) {
		t.Errorf("JSON %s, want the name set", raw)
	}
}

// TestSecrets_Check: a result's secrets are bounded, and the error names
// a bad secret but never holds its value.
func TestSecrets_Check(t *testing.T) {
	long := strings.Repeat("7", offboard.MaxSecretValueBytes+1)
	for _, tc := range []struct {
		s    offboard.Secrets
		want string
	}{
		{offboard.Secrets{"device_pin:d1": "123456"}, ""},
		{offboard.Secrets{"device_pin:d1": ""}, "device_pin:d1"},
		{offboard.Secrets{"device_pin:d1": long}, "device_pin:d1"},
		{offboard.Secrets{" ": "1"}, "name"},
	} {
		err := tc.s.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.s, err)
		case tc.want != "" && (offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), long)):
			t.Errorf("%v: %v, want EINVALID naming %q", tc.s, err, tc.want)
		}
	}
	if got := offboard.SecretLabel("device_pin:C02XYZ"); got != "lock PIN of device C02XYZ" {
		t.Errorf("label %q", got)
	}
}
