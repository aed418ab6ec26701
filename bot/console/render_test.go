package console

import (
	"bytes"
	"flag"
	"testing"

	"github.com/offboard-dev/offboard"
	goldenfile "github.com/offboard-dev/offboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden renders a template and compares it with testdata/<name>.golden.html.
func golden(t *testing.T, name, tmpl string, data any) {
	t.Helper()
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, tmpl, data); err != nil {
		t.Fatal(err)
	}
	goldenfile.Compare(t, name+".golden.html", buf.Bytes(), *update)
}

// A card with every part, and text that must be escaped.
func TestRenderCard(t *testing.T) {
	card := offboard.Card{
		Title: "IT tasks · Jane <Doe>", Subtitle: "OFF-0007 · 1 of 2 done or skipped", Tone: offboard.ToneWarning,
		Fields: []offboard.Field{{Label: "Manager", Value: "mona@example.com"}},
		Sections: []offboard.Section{
			{Heading: "Suspend the Okta account", Tone: offboard.ToneGood, Fields: []offboard.Field{
				{Label: "Status", Value: "Done, Thu 26 Nov 09:00 UTC"}, {Label: "Assignee", Value: "offboard (automatic)"},
				{Label: offboard.FieldEvidence, Value: "Status afterwards: SUSPENDED\nSummary: suspended <jane>"},
				{Label: offboard.FieldDetails, Value: "Okta request id: req<1>"}}},
			{Heading: "Lock the laptop", Text: "Jamf said \"no\"", Tone: offboard.ToneDanger,
				Fields: []offboard.Field{{Label: "Status", Value: "Failed"}},
				Actions: []offboard.Button{{Label: "Retry", Style: "primary", Action: offboard.ActionRef{Verb: offboard.VerbRetry, CaseID: "OFF-0007", TaskKey: "lock_laptop"}},
					{Label: "Skip…", Action: offboard.ActionRef{Verb: offboard.VerbSkip, CaseID: "OFF-0007", TaskKey: "lock_laptop"}}}},
		},
		Actions: []offboard.Button{{Label: "Revoke now", Style: "danger", Confirm: "Revoke all of Jane's access now?",
			Action: offboard.ActionRef{Verb: offboard.VerbRevokeNow, CaseID: "OFF-0007"}}},
		Footer: "Opened by hana@example.com via console",
	}
	golden(t, "TestRenderCard", "card", toCardView(card, "token", "OFF-0007"))
}

// A form shown again with an error, keeping what was typed.
func TestRenderForm(t *testing.T) {
	f := &offboard.Form{ID: "open_case", Title: "Offboard someone", Submit: "Open case", State: "s",
		Inputs: []offboard.Input{
			{ID: "employee", Label: "Who is leaving", Kind: offboard.InputUser, Required: true, Hint: "Pick them"},
			{ID: "employee_email", Label: "…or their work email", Kind: offboard.InputEmail},
			{ID: "kind", Label: "Departure", Kind: offboard.InputSelect, Required: true, Initial: "voluntary",
				Options: []offboard.Option{{Value: "voluntary", Label: "Voluntary"}, {Value: "involuntary", Label: "Involuntary"}}},
			{ID: "notes", Label: "Notes", Kind: offboard.InputTextarea},
		}}
	p := &pendingForm{Room: "", Form: f, Errors: offboard.FieldErrors{"employee": "That is not an email address."},
		Values: map[string]string{"employee": "jane<", "kind": "involuntary", "notes": "</textarea><b>"}}
	golden(t, "TestRenderForm", "form", toFormView(p, "token"))
}
