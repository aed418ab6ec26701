package offboard_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// An open request survives a button value, however odd the email
// (RFC 5322 allows "|" and "&" before the @), and a value that was
// tampered with into another shape is refused, not half-read.
func TestActionRef_EncodeOpen(t *testing.T) {
	for _, in := range []offboard.OpenRequest{
		{Email: "jane.doe@exmaple.com", Kind: "involuntary", ConfirmUnknown: true},
		{Email: "o|dd&x=1@example.com", Kind: "voluntary", LastDay: "2026-12-31"},
	} {
		v := offboard.ActionRef{Verb: offboard.VerbOpen, Open: &in}.Encode()
		got, err := offboard.ParseActionRef(v)
		if err != nil {
			t.Fatalf("ParseActionRef(%q): %v", v, err)
		}
		if got.Verb != offboard.VerbOpen || got.Open == nil || *got.Open != in {
			t.Errorf("round trip of %+v gave %+v", in, got.Open)
		}
	}
	for _, bad := range []string{
		"open||||",                       // no email
		"open|OFF-0001|||email=a%40b.co", // ids do not belong on an open
		"start|OFF-0001|t||email=a%40b.co",
		"open|||",
		"open||||email=" + strings.Repeat("a", 700) + "%40b.co",
	} {
		if _, err := offboard.ParseActionRef(bad); err == nil {
			t.Errorf("ParseActionRef(%q) accepted", bad)
		}
	}
	// Other buttons keep their four-part shape.
	v := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_suspend"}.Encode()
	if v != "start|OFF-0001|okta_suspend|" {
		t.Errorf("start button = %q", v)
	}
}
