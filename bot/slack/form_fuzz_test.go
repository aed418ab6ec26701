package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// A view submission comes from Slack, but its values are whatever the
// person typed: any payload that decodes yields only values that are in
// it, each under its input's id, none empty; the channel and state the
// modal carried come back apart as they were packed.
func FuzzFormValues(f *testing.F) {
	for _, s := range []string{
		`{"type":"view_submission","view":{"callback_id":"open_case","private_metadata":"C1\nstate","state":{"values":{"employee":{"employee":{"type":"plain_text_input","value":"jane@example.com"}},"last_day":{"last_day":{"type":"datepicker","selected_date":"2026-12-31"}}}}}}`,
		`{"type":"view_submission","view":{"state":{"values":{"kind":{"kind":{"type":"static_select","selected_option":{"value":"involuntary"}}},"manager":{"manager":{"type":"users_select","selected_user":"U42"}}}}}}`,
		`{"type":"view_submission","view":{"state":{"values":{"":{"at":{"type":"timepicker","selected_time":"17:30"}},"x":{"y":{"value":""}}}}}}`,
		`{"type":"view_submission","view":{"private_metadata":"no channel","state":{"values":{"b":{"a":{"type":"mystery","selected_date":"2026-01-02"}}}}}}`,
		`{"view":{"state":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var cb slack.InteractionCallback
		if json.Unmarshal(raw, &cb) != nil {
			return
		}
		values := FormValues(cb.View.State)
		for k, v := range values {
			if v == "" {
				t.Fatalf("%q: empty value under %q", raw, k)
			}
			if !inState(cb.View.State, k, v) {
				t.Fatalf("%q: %q = %q is not in the submission", raw, k, v)
			}
		}
		channel, state := unpackState(cb.View.PrivateMetadata)
		if strings.Contains(channel, "\n") {
			t.Fatalf("%q: channel %q", raw, channel)
		}
		if c, s := unpackState(packState(channel, state)); c != channel || s != state {
			t.Fatalf("%q: (%q, %q) packed and unpacked is (%q, %q)", raw, channel, state, c, s)
		}
	})
}

// inState reports whether some action of the submission gives value v
// for input id k (its block id, or its action id in a block without one).
func inState(st *slack.ViewState, k, v string) bool {
	if st == nil {
		return false
	}
	for blockID, actions := range st.Values {
		for actionID, a := range actions {
			if (blockID == k || (blockID == "" && actionID == k)) && actionValue(a) == v {
				return true
			}
		}
	}
	return false
}

// Any input of any kind that RenderForm draws reads back through
// FormValues as the value the person gave it, after the trip through
// Slack's JSON.
func FuzzFormValues_roundTrip(f *testing.F) {
	kinds := []string{offboard.InputText, offboard.InputTextarea, offboard.InputEmail, offboard.InputDate,
		offboard.InputTime, offboard.InputSelect, offboard.InputUser, "unknown"}
	f.Add("employee", "jane@example.com", uint8(0))
	f.Add("reason", "moving on\nthanks “really”", uint8(1))
	f.Add("last_day", "2026-12-31", uint8(3))
	f.Add("at", "17:30", uint8(4))
	f.Add("kind", "involuntary", uint8(5))
	f.Add("manager", "U42", uint8(6))
	f.Add("x", "", uint8(2))
	f.Fuzz(func(t *testing.T, id, value string, k uint8) {
		if id == "" || !utf8.ValidString(id) || !utf8.ValidString(value) {
			return // an input always has an id; Slack's JSON is UTF-8
		}
		in := offboard.Input{ID: id, Kind: kinds[int(k)%len(kinds)], Label: "L", Required: true}
		if in.Kind == offboard.InputSelect {
			in.Options = []offboard.Option{{Value: value, Label: "the one"}}
		}
		modal := RenderForm(&offboard.Form{ID: "f", Inputs: []offboard.Input{in}})
		block, ok := modal.Blocks.BlockSet[0].(*slack.InputBlock)
		if !ok {
			t.Fatalf("input %+v rendered as %T", in, modal.Blocks.BlockSet[0])
		}
		a := slack.BlockAction{ActionID: id, BlockID: block.BlockID, Type: slack.ActionType(block.Element.ElementType())}
		switch block.Element.ElementType() {
		case slack.METDatepicker:
			a.SelectedDate = value
		case slack.METTimepicker:
			a.SelectedTime = value
		case slack.MessageElementType(slack.OptTypeUser):
			a.SelectedUser = value
		case slack.MessageElementType(slack.OptTypeStatic), slack.MessageElementType(slack.OptTypeExternal):
			a.SelectedOption.Value = value
		default:
			a.Value = value
		}
		raw, err := json.Marshal(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission,
			View: slack.View{CallbackID: modal.CallbackID, State: &slack.ViewState{
				Values: map[string]map[string]slack.BlockAction{block.BlockID: {id: a}}}}})
		if err != nil {
			t.Fatal(err)
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal(raw, &cb); err != nil {
			t.Fatalf("Slack's own encoding does not decode: %v", err)
		}
		got := FormValues(cb.View.State)
		switch {
		case value == "" && len(got) != 0:
			t.Fatalf("%s input %q left empty reads as %v", in.Kind, id, got)
		case value != "" && (len(got) != 1 || got[id] != value):
			t.Fatalf("%s input %q = %q reads as %v", in.Kind, id, value, got)
		}
	})
}
