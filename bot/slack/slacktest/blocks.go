package slacktest

import (
	"encoding/json"
	"unicode/utf8"
)

// Block Kit limits from Slack's reference (blocks, block elements,
// composition objects, view objects). Past any of them Slack answers
// invalid_blocks (views: invalid_arguments), so the fake does too.
const (
	maxMessageBlocks   = 50
	maxViewBlocks      = 100
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxActionsElements = 25
	maxContextElements = 10
	maxButtonText      = 75
	maxActionID        = 255
	maxBlockID         = 255
	maxButtonValue     = 2000
	maxURL             = 3000
	maxInputLabel      = 2000
	maxInputHint       = 2000
	maxPlaceholder     = 150
	maxOptions         = 100
	maxOptionText      = 75
	maxOptionValue     = 150
	maxViewTitle       = 24
	maxViewButton      = 24
	maxCallbackID      = 255
	maxPrivateMetadata = 3000
)

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type        string          `json:"type"`
	Text        json.RawMessage `json:"text"` // an object, or a string in context text elements
	ActionID    string          `json:"action_id"`
	Value       string          `json:"value"`
	URL         string          `json:"url"`
	Placeholder *textObject     `json:"placeholder"`
	Options     []option        `json:"options"`
	AltText     string          `json:"alt_text"`
	// InitialOption and MinQueryLength: a select's preselected option
	// and, for an external one, the letters typed before Slack asks.
	InitialOption  *option `json:"initial_option"`
	MinQueryLength *int    `json:"min_query_length"`
}

// textOf reads an element's text object (nil when it is a string or absent).
func (e element) textOf() *textObject {
	var t textObject
	if len(e.Text) == 0 || e.Text[0] != '{' || json.Unmarshal(e.Text, &t) != nil {
		return nil
	}
	return &t
}

type option struct {
	Text  *textObject `json:"text"`
	Value string      `json:"value"`
}

type block struct {
	Type      string       `json:"type"`
	BlockID   string       `json:"block_id"`
	Text      *textObject  `json:"text"`
	Fields    []textObject `json:"fields"`
	Elements  []element    `json:"elements"`
	Accessory *element     `json:"accessory"`
	Label     *textObject  `json:"label"`
	Hint      *textObject  `json:"hint"`
	Element   *element     `json:"element"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// tooLong reports whether a text object is missing its text or is past max.
func tooLong(t *textObject, max int) bool {
	return t != nil && (t.Text == "" || runes(t.Text) > max)
}

// validBlocks checks a blocks array against Slack's limits; "" means fine.
func validBlocks(raw json.RawMessage, maxBlocks int) apiError {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var blocks []block
	if json.Unmarshal(raw, &blocks) != nil {
		return "invalid_blocks_format"
	}
	if len(blocks) > maxBlocks {
		return "invalid_blocks"
	}
	for _, b := range blocks {
		if runes(b.BlockID) > maxBlockID || !validBlock(b) {
			return "invalid_blocks"
		}
	}
	return ""
}

func validBlock(b block) bool {
	switch b.Type {
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return false
		}
		if tooLong(b.Text, maxSectionText) || len(b.Fields) > maxSectionFields {
			return false
		}
		for _, f := range b.Fields {
			if f.Text == "" || runes(f.Text) > maxFieldText {
				return false
			}
		}
		return b.Accessory == nil || validElement(*b.Accessory)
	case "header":
		return b.Text != nil && b.Text.Type == "plain_text" && !tooLong(b.Text, maxHeaderText)
	case "actions":
		if len(b.Elements) == 0 || len(b.Elements) > maxActionsElements {
			return false
		}
		for _, e := range b.Elements {
			if !validElement(e) {
				return false
			}
		}
		return true
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > maxContextElements {
			return false
		}
		for _, e := range b.Elements {
			var text string
			if (e.Type == "mrkdwn" || e.Type == "plain_text") && (json.Unmarshal(e.Text, &text) != nil || text == "") {
				return false
			}
		}
		return true
	case "divider":
		return true
	case "input":
		if b.Label == nil || b.Label.Type != "plain_text" || tooLong(b.Label, maxInputLabel) || tooLong(b.Hint, maxInputHint) {
			return false
		}
		return b.Element != nil && validElement(*b.Element)
	case "image", "rich_text", "video", "file":
		return true
	}
	return false
}

func validElement(e element) bool {
	if runes(e.ActionID) > maxActionID || tooLong(e.Placeholder, maxPlaceholder) {
		return false
	}
	switch e.Type {
	case "button":
		t := e.textOf()
		return t != nil && t.Type == "plain_text" && !tooLong(t, maxButtonText) &&
			runes(e.Value) <= maxButtonValue && runes(e.URL) <= maxURL
	case "external_select", "multi_external_select":
		// The options come from the app as one types; an initial option
		// is one of them, with the same limits.
		if e.InitialOption != nil && (e.InitialOption.Text == nil || tooLong(e.InitialOption.Text, maxOptionText) || runes(e.InitialOption.Value) > maxOptionValue) {
			return false
		}
		return e.MinQueryLength == nil || *e.MinQueryLength >= 0
	case "static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow":
		if len(e.Options) > maxOptions {
			return false
		}
		for _, o := range e.Options {
			if o.Text == nil || tooLong(o.Text, maxOptionText) || runes(o.Value) > maxOptionValue {
				return false
			}
		}
	}
	return true
}

// validView checks a modal against Slack's limits; "" means fine.
func validView(raw json.RawMessage) apiError {
	var v struct {
		Type            string          `json:"type"`
		Title           *textObject     `json:"title"`
		Submit          *textObject     `json:"submit"`
		Close           *textObject     `json:"close"`
		CallbackID      string          `json:"callback_id"`
		PrivateMetadata string          `json:"private_metadata"`
		Blocks          json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return "invalid_arguments"
	}
	switch {
	case v.Type != "modal" && v.Type != "home":
		return "invalid_arguments"
	case v.Type == "modal" && (v.Title == nil || v.Title.Type != "plain_text" || tooLong(v.Title, maxViewTitle)):
		return "invalid_arguments"
	case tooLong(v.Submit, maxViewButton), tooLong(v.Close, maxViewButton):
		return "invalid_arguments"
	case runes(v.CallbackID) > maxCallbackID, runes(v.PrivateMetadata) > maxPrivateMetadata:
		return "invalid_arguments"
	}
	return validBlocks(v.Blocks, maxViewBlocks)
}
