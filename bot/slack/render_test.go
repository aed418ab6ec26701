package slack

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	goldenfile "github.com/offboard-dev/offboard/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares v's indented JSON with testdata/<name>.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, name, v, *update)
}

// roundTrip checks that slack-go itself can read the blocks back, so no
// block is malformed.
func roundTrip(t *testing.T, blocks []slack.Block) slack.Blocks {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var back slack.Blocks
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("slack-go cannot read the blocks back: %v\n%s", err, raw)
	}
	if len(back.BlockSet) != len(blocks) {
		t.Fatalf("round trip: %d blocks, want %d", len(back.BlockSet), len(blocks))
	}
	return back
}

func fullCard() offboard.Card {
	ref := func(verb, task string) offboard.ActionRef {
		return offboard.ActionRef{Verb: verb, CaseID: "OFF-0042", TaskKey: task}
	}
	var fields []offboard.Field
	for i := 1; i <= 12; i++ {
		fields = append(fields, offboard.Field{Label: fmt.Sprintf("Field %d", i), Value: fmt.Sprintf("value %d", i)})
	}
	fields[0] = offboard.Field{Label: "Employee", Value: "Jane Doe <jane@example.com>"}
	fields[1] = offboard.Field{Label: "Manager", Value: ""}
	return offboard.Card{
		Title:    "OFF-0042 · Jane Doe",
		Subtitle: "Involuntary departure · Confidential",
		Tone:     offboard.ToneDanger,
		Fields:   fields,
		Sections: []offboard.Section{
			{
				Heading: "IT: Suspend Okta account",
				Text:    "Failed: Okta said 429 & gave up",
				Tone:    offboard.ToneWarning,
				Fields:  []offboard.Field{{Label: "Owner", Value: "it-team"}, {Label: "Due", Value: "today 17:00"}},
				Actions: []offboard.Button{
					{Label: "Retry", Action: ref(offboard.VerbRetry, "okta.suspend"), Style: "primary"},
					{Label: "Skip", Action: ref(offboard.VerbSkip, "okta.suspend")},
					{Label: "Retry without MFA reset", Action: ref(offboard.VerbRetry, "okta.suspend")},
				},
			},
			{
				Heading: "Finance: Cancel corporate card",
				Tone:    offboard.ToneGood,
				Text:    "Done and verified",
			},
			{
				Text: "A section with text only",
			},
		},
		Actions: []offboard.Button{
			{Label: "Approve", Action: offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0042", ApprovalID: "ap1"}, Style: "primary"},
			{Label: "Deny", Action: offboard.ActionRef{Verb: offboard.VerbDeny, CaseID: "OFF-0042", ApprovalID: "ap1"}, Style: "danger",
				Confirm: "Deny the approval? The requester is told."},
		},
		Footer: "Opened by hr@example.com via bamboohr, 09:14",
	}
}

func TestRenderCard(t *testing.T) {
	blocks := RenderCard(fullCard())
	roundTrip(t, blocks)
	golden(t, "TestRenderCard", blocks)

	// Spot checks that hold whatever the golden file says.
	h, ok := blocks[0].(*slack.HeaderBlock)
	if !ok || h.Text.Text != "🔴 OFF-0042 · Jane Doe" || h.Text.Type != slack.PlainTextType {
		t.Errorf("header = %#v", blocks[0])
	}
	var sections, actions int
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			sections++
			if len(b.Fields) > maxSectionFields {
				t.Errorf("section with %d fields", len(b.Fields))
			}
		case *slack.ActionBlock:
			actions++
			ids := map[string]bool{}
			for _, e := range b.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if ids[btn.ActionID] {
					t.Errorf("duplicate action_id %s", btn.ActionID)
				}
				ids[btn.ActionID] = true
				if !strings.HasPrefix(btn.ActionID, "ofb:") {
					t.Errorf("action_id %s", btn.ActionID)
				}
				if _, err := offboard.ParseActionRef(btn.Value); err != nil {
					t.Errorf("button value %q: %v", btn.Value, err)
				}
			}
		}
	}
	if actions != 2 {
		t.Errorf("%d actions blocks, want 2", actions)
	}
	if sections != 2+3 {
		t.Errorf("%d section blocks, want 5 (12 fields → 2, one per card section)", sections)
	}
	last, ok := blocks[len(blocks)-1].(*slack.ContextBlock)
	if !ok || last.ContextElements.Elements[0].(*slack.TextBlockObject).Text != "Opened by hr@example.com via bamboohr, 09:14" {
		t.Errorf("footer = %#v", blocks[len(blocks)-1])
	}
}

func TestRenderCard_ButtonIDs(t *testing.T) {
	blocks := RenderCard(offboard.Card{Actions: []offboard.Button{
		{Label: "A", Action: offboard.ActionRef{Verb: offboard.VerbComplete}},
		{Label: "B", Action: offboard.ActionRef{Verb: offboard.VerbComplete}},
		{Label: "C", Action: offboard.ActionRef{Verb: offboard.VerbStart}},
		{Label: "D", Action: offboard.ActionRef{Verb: offboard.VerbComplete}, Style: "danger", Confirm: "Sure?"},
	}})
	if len(blocks) != 1 {
		t.Fatalf("blocks = %d", len(blocks))
	}
	var got []string
	for _, e := range blocks[0].(*slack.ActionBlock).Elements.ElementSet {
		got = append(got, e.(*slack.ButtonBlockElement).ActionID)
	}
	if want := "ofb:complete ofb:complete:2 ofb:start ofb:complete:3"; strings.Join(got, " ") != want {
		t.Errorf("action ids = %v, want %s", got, want)
	}
	d := blocks[0].(*slack.ActionBlock).Elements.ElementSet[3].(*slack.ButtonBlockElement)
	if d.Style != slack.StyleDanger || d.Confirm == nil || d.Confirm.Text.Text != "Sure?" || d.Confirm.Style != slack.StyleDanger {
		t.Errorf("danger button = %#v", d)
	}
	if d.Value != "complete|||" {
		t.Errorf("value = %q", d.Value)
	}
}

func TestRenderCard_Escaping(t *testing.T) {
	c := offboard.Card{
		Title:    "<!channel> Jane",
		Subtitle: "<@U123> & co",
		Fields:   []offboard.Field{{Label: "<!here>", Value: "<!channel> <https://evil.example|click>"}},
		Sections: []offboard.Section{{Heading: "<!everyone>", Text: "a < b > c & d"}},
		Footer:   "by <!channel>",
	}
	blocks := RenderCard(c)
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	// Only plain_text (the header) may carry the raw text: Slack never
	// parses mentions there.
	var mrk []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				mrk = append(mrk, b.Text.Text)
			}
			for _, f := range b.Fields {
				mrk = append(mrk, f.Text)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				mrk = append(mrk, e.(*slack.TextBlockObject).Text)
			}
		}
	}
	joined := strings.Join(mrk, "\n")
	for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U123>", "<https://"} {
		if strings.Contains(joined, bad) {
			t.Errorf("mrkdwn contains %q:\n%s", bad, joined)
		}
	}
	for _, want := range []string{"&lt;!channel&gt;", "&lt;@U123&gt; &amp; co", "a &lt; b &gt; c &amp; d", "*&lt;!here&gt;*"} {
		if !strings.Contains(joined, want) {
			t.Errorf("mrkdwn lacks %q:\n%s", want, joined)
		}
	}
	if h := blocks[0].(*slack.HeaderBlock); h.Text.Type != slack.PlainTextType {
		t.Errorf("header type %s", h.Text.Type)
	}
	_ = raw

	text, _ := RenderReply(offboard.Reply{Text: "Case for <!channel> opened"})
	if text != "Case for &lt;!channel&gt; opened" {
		t.Errorf("reply text = %q", text)
	}
}

func TestRenderCard_Limits(t *testing.T) {
	long := strings.Repeat("x", 5000)
	c := offboard.Card{Title: strings.Repeat("T", 300), Footer: strings.Repeat("&", 4000)}
	for i := range 60 {
		c.Sections = append(c.Sections, offboard.Section{
			Heading: fmt.Sprintf("Task %d", i),
			Text:    long,
			Actions: []offboard.Button{{Label: strings.Repeat("L", 100), Action: offboard.ActionRef{Verb: offboard.VerbStart}, Confirm: long}},
		})
	}
	blocks := RenderCard(c)
	if len(blocks) != MaxBlocks {
		t.Fatalf("%d blocks, want %d", len(blocks), MaxBlocks)
	}
	last, ok := blocks[MaxBlocks-1].(*slack.ContextBlock)
	if !ok || last.ContextElements.Elements[0].(*slack.TextBlockObject).Text != MoreText {
		t.Errorf("last block = %#v", blocks[MaxBlocks-1])
	}
	if n := utf8.RuneCountInString(blocks[0].(*slack.HeaderBlock).Text.Text); n > maxHeaderText {
		t.Errorf("header %d chars", n)
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxSectionText {
				t.Errorf("section text %d chars", n)
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if n := utf8.RuneCountInString(btn.Text.Text); n > maxButtonText {
					t.Errorf("button text %d chars", n)
				}
				if n := utf8.RuneCountInString(btn.Confirm.Text.Text); n > maxConfirmText {
					t.Errorf("confirm text %d chars", n)
				}
				if n := utf8.RuneCountInString(btn.Confirm.Confirm.Text); n > maxConfirmButton {
					t.Errorf("confirm button %d chars", n)
				}
			}
		}
	}
	roundTrip(t, blocks)

	// Escaping never pushes text over a limit nor cuts an entity.
	foot := RenderCard(offboard.Card{Footer: strings.Repeat("&", 4000)})[0].(*slack.ContextBlock)
	ft := foot.ContextElements.Elements[0].(*slack.TextBlockObject).Text
	if n := utf8.RuneCountInString(ft); n > maxSectionText {
		t.Errorf("footer %d chars", n)
	}
	if !strings.HasSuffix(ft, "&amp;…") {
		t.Errorf("footer ends %q", ft[len(ft)-12:])
	}

	// 25 buttons per actions block.
	var many []offboard.Button
	for range 30 {
		many = append(many, offboard.Button{Label: "x", Action: offboard.ActionRef{Verb: offboard.VerbSkip}})
	}
	ab := RenderCard(offboard.Card{Actions: many})
	if len(ab) != 2 || len(ab[0].(*slack.ActionBlock).Elements.ElementSet) != 25 {
		t.Errorf("30 buttons → %d blocks", len(ab))
	}
}

func TestRenderReply(t *testing.T) {
	text, blocks := RenderReply(offboard.Reply{Text: "Jane's case is open."})
	if text != "Jane's case is open." || blocks != nil {
		t.Errorf("text-only reply = %q, %v", text, blocks)
	}

	text, blocks = RenderReply(offboard.Reply{Text: "Two cases:", Cards: []offboard.Card{{Title: "A"}, {Title: "B", Tone: offboard.ToneGood}}})
	if text != "Two cases:" {
		t.Errorf("text = %q", text)
	}
	roundTrip(t, blocks)
	var types []string
	for _, b := range blocks {
		types = append(types, string(b.BlockType()))
	}
	if got := strings.Join(types, " "); got != "section divider header divider header" {
		t.Errorf("block types = %s", got)
	}

	text, _ = RenderReply(offboard.Reply{Cards: []offboard.Card{{Title: "Only a card"}}})
	if text != "Only a card" {
		t.Errorf("fallback text = %q", text)
	}

	var cards []offboard.Card
	for range 30 {
		cards = append(cards, offboard.Card{Title: "c", Subtitle: "s"})
	}
	_, blocks = RenderReply(offboard.Reply{Cards: cards})
	if len(blocks) != MaxBlocks {
		t.Errorf("%d blocks, want %d", len(blocks), MaxBlocks)
	}
}

func testForm() *offboard.Form {
	return &offboard.Form{
		ID:     "open_case",
		Title:  "Offboard someone",
		Submit: "Open case",
		State:  "case=OFF-0042",
		Inputs: []offboard.Input{
			{ID: "employee", Label: "Who is leaving", Kind: offboard.InputEmail, Required: true, Placeholder: "jane@example.com", Hint: "Their work email"},
			{ID: "name", Label: "Name", Kind: offboard.InputText, Initial: "Jane"},
			{ID: "reason", Label: "Why", Kind: offboard.InputTextarea, Required: true},
			{ID: "last_day", Label: "Last day", Kind: offboard.InputDate, Required: true, Initial: "2026-12-01"},
			{ID: "at", Label: "At", Kind: offboard.InputTime, Initial: "17:00"},
			{ID: "kind", Label: "Kind", Kind: offboard.InputSelect, Required: true, Initial: "involuntary", Options: []offboard.Option{
				{Value: "voluntary", Label: "Voluntary"}, {Value: "involuntary", Label: "Involuntary"},
			}},
			{ID: "manager", Label: "Manager", Kind: offboard.InputUser, Initial: "mona@example.com"},
		},
	}
}

func TestRenderForm(t *testing.T) {
	v := RenderForm(testForm())
	golden(t, "TestRenderForm", v)

	if v.CallbackID != "open_case" || v.PrivateMetadata != "case=OFF-0042" || v.Type != slack.VTModal {
		t.Errorf("view = %+v", v)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back slack.ModalViewRequest
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("slack-go cannot read the view back: %v", err)
	}
	wantTypes := map[string]string{
		"employee": "plain_text_input", "name": "plain_text_input", "reason": "plain_text_input",
		"last_day": "datepicker", "at": "timepicker", "kind": "static_select", "manager": "external_select",
	}
	for _, b := range v.Blocks.BlockSet {
		in := b.(*slack.InputBlock)
		el := in.Element
		var typ, actionID string
		switch e := el.(type) {
		case *slack.PlainTextInputBlockElement:
			typ, actionID = string(e.Type), e.ActionID
			if in.BlockID == "reason" && !e.Multiline {
				t.Error("textarea not multiline")
			}
		case *slack.DatePickerBlockElement:
			typ, actionID = string(e.Type), e.ActionID
		case *slack.TimePickerBlockElement:
			typ, actionID = string(e.Type), e.ActionID
		case *slack.SelectBlockElement:
			typ, actionID = e.Type, e.ActionID
		}
		if typ != wantTypes[in.BlockID] || actionID != in.BlockID {
			t.Errorf("input %s: %s/%s", in.BlockID, typ, actionID)
		}
		if req := in.BlockID == "employee" || in.BlockID == "reason" || in.BlockID == "last_day" || in.BlockID == "kind"; in.Optional == req {
			t.Errorf("input %s optional=%v", in.BlockID, in.Optional)
		}
	}

	long := RenderForm(&offboard.Form{ID: "x", Title: "A title far longer than twenty-four characters"})
	if n := utf8.RuneCountInString(long.Title.Text); n > maxModalTitle || long.Submit != nil {
		t.Errorf("title %d chars, submit %v", n, long.Submit)
	}
}

func TestFormValues(t *testing.T) {
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"employee": {"employee": {Type: "plain_text_input", Value: "jane@example.com"}},
		"name":     {"name": {Type: "plain_text_input", Value: ""}},
		"reason":   {"reason": {Type: "plain_text_input", Value: "moving on\nthanks"}},
		"last_day": {"last_day": {Type: "datepicker", SelectedDate: "2026-12-01"}},
		"at":       {"at": {Type: "timepicker", SelectedTime: "17:30"}},
		"kind":     {"kind": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "involuntary"}}},
		"manager":  {"manager": {Type: "users_select", SelectedUser: "U42"}},
		"untyped":  {"untyped": {SelectedDate: "2026-01-02"}},
	}}
	// Through JSON, as a submission arrives.
	raw, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	var got slack.ViewState
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	values := FormValues(&got)
	want := map[string]string{
		"employee": "jane@example.com", "reason": "moving on\nthanks", "last_day": "2026-12-01",
		"at": "17:30", "kind": "involuntary", "manager": "U42", "untyped": "2026-01-02",
	}
	if len(values) != len(want) {
		t.Errorf("values = %v, want %v", values, want)
	}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("values[%s] = %q, want %q", k, values[k], v)
		}
	}
	if len(FormValues(nil)) != 0 {
		t.Error("nil state")
	}

	// Every input of a rendered form maps back by its id.
	for _, b := range RenderForm(testForm()).Blocks.BlockSet {
		in := b.(*slack.InputBlock)
		if _, ok := want[in.BlockID]; !ok && in.BlockID != "name" {
			t.Errorf("input %s not covered", in.BlockID)
		}
	}
}

func TestFieldErrorsResponse(t *testing.T) {
	fe := offboard.FieldErrors{"employee": "No such person in Okta"}
	r := FieldErrorsResponse(fe)
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"response_action":"errors","errors":{"employee":"No such person in Okta"}}` {
		t.Errorf("json = %s", raw)
	}
	r.Errors["x"] = "y"
	if _, ok := fe["x"]; ok {
		t.Error("response shares the caller's map")
	}
}

// TestRenderCard_Details: a section's details (the vendor's request id)
// are small print in a context block after its fields, not a field.
func TestRenderCard_Details(t *testing.T) {
	c := offboard.Card{Title: "IT tasks", Sections: []offboard.Section{{Heading: "Suspend", Fields: []offboard.Field{
		{Label: "Status", Value: "Done"},
		{Label: offboard.FieldEvidence, Value: "Status afterwards: SUSPENDED"},
		{Label: offboard.FieldDetails, Value: "Okta request id: req<1>"},
	}}}}
	blocks := RenderCard(c)
	var fields, context []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			for _, f := range b.Fields {
				fields = append(fields, f.Text)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				context = append(context, e.(*slack.TextBlockObject).Text)
			}
		}
	}
	if strings.Contains(strings.Join(fields, "\n"), "req") {
		t.Errorf("the request id is a field: %q", fields)
	}
	if len(context) != 1 || context[0] != "Okta request id: req&lt;1&gt;" {
		t.Errorf("context blocks %q, want the request id as small print", context)
	}
}
