package teams

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	goldenfile "github.com/offboard-dev/offboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares v's indented JSON with testdata/<name>.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v, *update)
}

func sampleCard() offboard.Card {
	return offboard.Card{
		Title: "IT tasks · Jane <Doe>", Subtitle: "OFF-0042 · last day Thu 31 Dec", Tone: offboard.ToneWarning,
		Fields: []offboard.Field{{Label: "Progress", Value: "1 of 3 done"}},
		Sections: []offboard.Section{
			{Heading: "Suspend Okta account", Text: "Scheduled for Thu 31 Dec 18:00", Tone: offboard.ToneInfo,
				Actions: []offboard.Button{
					{Label: "Run now", Style: "primary", Confirm: "Run “Suspend Okta account” for Jane now, ahead of schedule?",
						Action: offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0042", TaskKey: "okta_suspend"}},
					{Label: "Skip", Action: offboard.ActionRef{Verb: offboard.VerbSkip, CaseID: "OFF-0042", TaskKey: "okta_suspend"}},
				}},
			{Heading: "Collect the laptop", Text: "Failed: nobody home", Tone: offboard.ToneDanger,
				Fields: []offboard.Field{{Label: "Assignee", Value: "ivan.it@example.com"}},
				Actions: []offboard.Button{
					{Label: "Assign to me", Action: offboard.ActionRef{Verb: offboard.VerbAssign, CaseID: "OFF-0042", TaskKey: "collect_laptop"}},
					{Label: "Mark done", Action: offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: "OFF-0042", TaskKey: "collect_laptop"}},
					{Label: "Retry", Style: "danger", Action: offboard.ActionRef{Verb: offboard.VerbRetry, CaseID: "OFF-0042", TaskKey: "collect_laptop"}},
				}},
		},
		Actions: []offboard.Button{{Label: "Revoke now", Style: "danger", Confirm: "Revoke all of Jane's access now?",
			Action: offboard.ActionRef{Verb: offboard.VerbRevokeNow, CaseID: "OFF-0042"}}},
		Footer: "Updated by Ivan IT",
	}
}

func TestRenderCard(t *testing.T) {
	card := RenderCard(sampleCard())
	golden(t, "TestRenderCard", card)
	// Every button carries exactly the value the router's Click takes.
	raw, _ := json.Marshal(card)
	for _, verb := range []string{"start|OFF-0042|okta_suspend|", "skip|OFF-0042|okta_suspend|", "assign|OFF-0042|collect_laptop|",
		"complete|OFF-0042|collect_laptop|", "retry|OFF-0042|collect_laptop|", "revoke_now|OFF-0042||"} {
		if !strings.Contains(string(raw), `"ofb_click":"`+verb+`"`) {
			t.Errorf("no button with value %q", verb)
		}
	}
	// A confirmation is a ShowCard holding the real submit.
	if !strings.Contains(string(raw), `"Action.ShowCard"`) || !strings.Contains(string(raw), "Yes, run now") {
		t.Error("the confirming button is not a ShowCard with a Yes button")
	}
}

func TestRenderForm(t *testing.T) {
	golden(t, "TestRenderForm", RenderForm(bot.OpenCaseFormFor("", bot.Directories{Identity: []string{"Okta"}, HR: []string{"BambooHR"}}), nil, nil))
	withErrors := RenderForm(bot.OpenCaseFormFor("", bot.Directories{Identity: []string{"Okta"}, HR: []string{"BambooHR"}}), map[string]string{"employee_email": "jane@example.com", "last_day": "2020-01-01"},
		offboard.FieldErrors{"last_day": "The last day is in the past (today is 2026-11-26)."})
	golden(t, "TestRenderForm_Errors", withErrors)
	raw, _ := json.Marshal(withErrors)
	for _, want := range []string{`"type":"Input.Date"`, `"type":"Input.ChoiceSet"`, `"type":"Input.Text"`,
		`"errorMessage":"The last day is in the past`, `"value":"jane@example.com"`, `"ofb_form":"open_case"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("form lacks %s", want)
		}
	}
	skip := RenderForm(bot.SkipForm("OFF-0042", "okta_suspend", "Suspend"), nil, nil)
	raw, _ = json.Marshal(skip)
	if !strings.Contains(string(raw), `"ofb_state":"skip|OFF-0042|okta_suspend|"`) || !strings.Contains(string(raw), `"isMultiline":true`) {
		t.Errorf("skip form = %s", raw)
	}
}

// TestRenderCard_Details: a section's details (the vendor's request id)
// are a small, subtle line under its facts, not a fact.
func TestRenderCard_Details(t *testing.T) {
	card := RenderCard(offboard.Card{Title: "IT tasks", Sections: []offboard.Section{{Heading: "Suspend", Fields: []offboard.Field{
		{Label: "Status", Value: "Done"},
		{Label: offboard.FieldEvidence, Value: "Status afterwards: SUSPENDED"},
		{Label: offboard.FieldDetails, Value: "Okta request id: req-1"},
	}}}})
	raw, _ := json.Marshal(card)
	var doc struct {
		Body []struct {
			Items []map[string]any `json:"items"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var facts, small []string
	for _, b := range doc.Body {
		for _, it := range b.Items {
			switch it["type"] {
			case "FactSet":
				for _, f := range it["facts"].([]any) {
					facts = append(facts, f.(map[string]any)["title"].(string))
				}
			case "TextBlock":
				if it["size"] == "Small" && it["isSubtle"] == true {
					small = append(small, it["text"].(string))
				}
			}
		}
	}
	if strings.Join(facts, ",") != "Status,Evidence" {
		t.Errorf("facts %q, want the details left out", facts)
	}
	if len(small) != 1 || small[0] != "Okta request id: req-1" {
		t.Errorf("small print %q, want the request id", small)
	}
}
