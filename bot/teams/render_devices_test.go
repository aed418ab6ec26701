package teams

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// The device return form as an Adaptive Card, shown again with a field
// error beside the day it arrived.
func TestRenderForm_DeviceReturn(t *testing.T) {
	form := bot.DeviceReturnForm(offboard.ActionRef{CaseID: "OFF-0042", TaskKey: "device_recover"}, nil)
	card := RenderForm(form, map[string]string{"received_on": "2999-01-01", "wiped": "no"},
		offboard.FieldErrors{"received_on": "That day has not come yet."})
	golden(t, "TestRenderForm_DeviceReturn", card)
	raw, _ := json.Marshal(card)
	for _, want := range []string{`"ofb_form":"device_return"`, `"ofb_state":"record_return|OFF-0042|device_recover|"`,
		`"type":"Input.Date"`, `"type":"Input.ChoiceSet"`, `"errorMessage":"That day has not come yet."`, `"value":"2999-01-01"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("form lacks %s", want)
		}
	}
}
