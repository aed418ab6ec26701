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
		"open||||email=" + strings.Repeat("a", 1500) + "%40b.co",
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

// A button value comes back from outside (Slack, Teams, a browser): any
// value either fails to parse or parses into a reference that encodes
// to a value parsing to the same reference.
func FuzzParseActionRef(f *testing.F) {
	f.Add("start|OFF-0001|okta_suspend|")
	f.Add("open||||email=jane.doe%40exmaple.com&kind=involuntary&confirm_unknown=1")
	f.Add("open||||email=a%7Cb%40x.co&kind=voluntary&last_day=2026-12-31")
	f.Add("bogus|OFF-0001|t|")
	f.Add(strings.Repeat("\x00", 290) + "|||")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := offboard.ParseActionRef(s)
		if err != nil {
			// The refusal is shown and logged: it never quotes a value
			// at length (a pasted token, a page).
			if offboard.ErrorCode(err) != offboard.EINVALID || len(err.Error()) > 200 {
				t.Fatalf("%.80q: refused with %.300q (%d bytes)", s, err, len(err.Error()))
			}
			return
		}
		if len(a.Encode()) > 1500 {
			t.Fatalf("%.80q parsed into a value of %d bytes", s, len(a.Encode()))
		}
		b, err := offboard.ParseActionRef(a.Encode())
		if err != nil {
			t.Fatalf("%q parsed, but its encoding %q does not: %v", s, a.Encode(), err)
		}
		if a.Verb != b.Verb || a.CaseID != b.CaseID || a.TaskKey != b.TaskKey || a.ApprovalID != b.ApprovalID ||
			(a.Open == nil) != (b.Open == nil) || (a.Open != nil && *a.Open != *b.Open) {
			t.Fatalf("%q: %+v became %+v", s, a, b)
		}
	})
}
