package slack

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// The device return form as a modal: a date picker for the day it
// arrived, a select for the wipe, the button's ids as its state.
func TestRenderForm_DeviceReturn(t *testing.T) {
	task := &offboard.Task{Key: "device_recover", Title: "Lock and recover the laptop",
		Evidence: map[string]string{offboard.EvidenceShippingRef: "1Z999AA1"}}
	v := RenderForm(bot.DeviceReturnForm(offboard.ActionRef{CaseID: "OFF-0042", TaskKey: "device_recover"}, task))
	golden(t, "TestRenderForm_DeviceReturn", v)
	if v.CallbackID != bot.FormDeviceReturn || v.PrivateMetadata != "record_return|OFF-0042|device_recover|" {
		t.Errorf("view callback %q state %q", v.CallbackID, v.PrivateMetadata)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back slack.ModalViewRequest
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("slack-go cannot read the view back: %v", err)
	}
	types := map[string]string{}
	for _, b := range v.Blocks.BlockSet {
		in := b.(*slack.InputBlock)
		switch e := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			types[in.BlockID] = string(e.Type) + ":" + e.InitialValue
		case *slack.DatePickerBlockElement:
			types[in.BlockID] = string(e.Type)
		case *slack.SelectBlockElement:
			types[in.BlockID] = string(e.Type)
		default:
			types[in.BlockID] = "?"
		}
	}
	want := map[string]string{"shipping_ref": "plain_text_input:1Z999AA1", "received_on": "datepicker",
		"condition": "plain_text_input:", "wiped": "static_select", "wiped_by": "plain_text_input:"}
	for id, typ := range want {
		if types[id] != typ {
			t.Errorf("input %s is %q, want %q (all: %v)", id, types[id], typ, types)
		}
	}
}
