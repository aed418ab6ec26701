package teams

import (
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
)

// Adaptive Card shapes. Cards are plain maps: Adaptive Cards are JSON
// and encoding/json writes map keys sorted, so golden files are stable.

// Keys of Action.Submit data: a click carries the button's value, a form
// its id and state (ids only; the engine re-checks every right).
const (
	dataClick = "ofb_click"
	dataForm  = "ofb_form"
	dataState = "ofb_state"
)

// AdaptiveCardType is an Adaptive Card attachment's content type.
const AdaptiveCardType = "application/vnd.microsoft.card.adaptive"

const cardSchema = "http://adaptivecards.io/schemas/adaptive-card.json"

// Teams renders Adaptive Cards up to 1.5; 1.4 is enough and shows on
// mobile too.
const cardVersion = "1.4"

type element = map[string]any

// toneColor maps a tone to an Adaptive Card text colour.
func toneColor(t offboard.Tone) string {
	switch t {
	case offboard.ToneGood:
		return "Good"
	case offboard.ToneDanger:
		return "Attention"
	case offboard.ToneWarning:
		return "Warning"
	}
	return "Default"
}

func textBlock(text string, props element) element {
	e := element{"type": "TextBlock", "text": text, "wrap": true}
	for k, v := range props {
		e[k] = v
	}
	return e
}

func newCard(body, actions []element) element {
	c := element{"type": "AdaptiveCard", "$schema": cardSchema, "version": cardVersion,
		"body": body, "msteams": element{"width": "Full"}}
	if len(actions) > 0 {
		c["actions"] = actions
	}
	return c
}

// RenderCard renders a card: the title in the tone's colour, the
// subtitle, a fact set, each section in its own container (heading,
// text, facts, buttons), the card's buttons and a small footer.
func RenderCard(c offboard.Card) map[string]any {
	var body []element
	if c.Title != "" {
		body = append(body, textBlock(c.Title, element{"size": "Large", "weight": "Bolder", "color": toneColor(c.Tone)}))
	}
	if c.Subtitle != "" {
		body = append(body, textBlock(c.Subtitle, element{"isSubtle": true, "spacing": "None"}))
	}
	if fs := facts(c.Fields); fs != nil {
		body = append(body, fs)
	}
	for _, s := range c.Sections {
		var items []element
		if s.Heading != "" {
			items = append(items, textBlock(s.Heading, element{"weight": "Bolder", "color": toneColor(s.Tone)}))
		}
		if s.Text != "" {
			items = append(items, textBlock(s.Text, nil))
		}
		fields, details := splitDetails(s.Fields)
		if fs := facts(fields); fs != nil {
			items = append(items, fs)
		}
		if details != "" {
			items = append(items, textBlock(details, element{"size": "Small", "isSubtle": true, "spacing": "Small"}))
		}
		if len(s.Actions) > 0 {
			items = append(items, element{"type": "ActionSet", "actions": buttons(s.Actions)})
		}
		if len(items) > 0 {
			body = append(body, element{"type": "Container", "separator": true, "items": items})
		}
	}
	if c.Footer != "" {
		body = append(body, textBlock(c.Footer, element{"size": "Small", "isSubtle": true}))
	}
	return newCard(body, buttons(c.Actions))
}

// splitDetails takes a section's details field (the vendor's request
// ids) out of its facts: they are small print under them.
func splitDetails(fields []offboard.Field) ([]offboard.Field, string) {
	var out []offboard.Field
	var details string
	for _, f := range fields {
		if f.Label == offboard.FieldDetails {
			details = f.Value
			continue
		}
		out = append(out, f)
	}
	return out, details
}

func facts(fields []offboard.Field) element {
	if len(fields) == 0 {
		return nil
	}
	fs := make([]element, 0, len(fields))
	for _, f := range fields {
		fs = append(fs, element{"title": f.Label, "value": f.Value})
	}
	return element{"type": "FactSet", "facts": fs}
}

// buttons renders offboard buttons as Action.Submit; one that asks for
// confirmation first becomes an Action.ShowCard whose card holds the
// question and the real button (Adaptive Cards have no confirm dialog).
func buttons(bs []offboard.Button) []element {
	var out []element
	for _, b := range bs {
		submit := element{"type": "Action.Submit", "title": b.Label, "data": element{dataClick: b.Action.Encode()}}
		switch b.Style {
		case "primary":
			submit["style"] = "positive"
		case "danger":
			submit["style"] = "destructive"
		}
		if b.Confirm == "" {
			out = append(out, submit)
			continue
		}
		submit["title"] = "Yes, " + lowerFirst(b.Label)
		// A nested card carries neither schema nor Teams width: those
		// belong to the root card.
		out = append(out, element{"type": "Action.ShowCard", "title": b.Label,
			"card": element{"type": "AdaptiveCard", "body": []element{textBlock(b.Confirm, nil)}, "actions": []element{submit}}})
	}
	return out
}

// RenderForm renders a form as a card of inputs with one submit button.
// errs, when set, are shown under the inputs they are about (a form sent
// again after a bad submission).
func RenderForm(f *offboard.Form, values map[string]string, errs offboard.FieldErrors) map[string]any {
	body := []element{textBlock(f.Title, element{"size": "Large", "weight": "Bolder"})}
	if len(errs) > 0 {
		body = append(body, textBlock("Please fix the fields marked below.", element{"color": "Attention"}))
	}
	has := map[string]bool{}
	for _, in := range f.Inputs {
		has[in.ID] = true
	}
	for _, in := range f.Inputs {
		body = append(body, input(in, values[in.ID], errs[in.ID]))
		if in.Hint != "" {
			body = append(body, textBlock(in.Hint, element{"size": "Small", "isSubtle": true, "spacing": "None"}))
		}
		if msg := errs[in.ID]; msg != "" {
			body = append(body, textBlock(msg, element{"color": "Attention", "size": "Small", "spacing": "None"}))
		}
		if id := in.ID + "_email"; in.Kind == offboard.InputUser && !has[id] {
			// A picker offers only the directory's people; someone it
			// does not list is typed.
			body = append(body, input(offboard.Input{ID: id, Label: "…or their email", Kind: offboard.InputEmail,
				Placeholder: "name@example.com"}, values[id], errs[id]))
		}
	}
	submit := element{"type": "Action.Submit", "title": f.Submit, "style": "positive",
		"data": element{dataForm: f.ID, dataState: f.State}}
	return newCard(body, []element{submit})
}

func input(in offboard.Input, value, errMsg string) element {
	if value == "" {
		value = in.Initial
	}
	e := element{"id": in.ID, "label": in.Label, "isRequired": in.Required}
	if in.Placeholder != "" {
		e["placeholder"] = in.Placeholder
	}
	if value != "" {
		e["value"] = value
	}
	if errMsg != "" {
		e["errorMessage"] = errMsg
	}
	switch in.Kind {
	case offboard.InputDate:
		e["type"] = "Input.Date"
	case offboard.InputTime:
		e["type"] = "Input.Time"
	case offboard.InputSelect:
		e["type"] = "Input.ChoiceSet"
		e["style"] = "compact"
		choices := make([]element, 0, len(in.Options))
		for _, o := range in.Options {
			choices = append(choices, element{"title": o.Label, "value": o.Value})
		}
		e["choices"] = choices
	case offboard.InputTextarea:
		e["type"] = "Input.Text"
		e["isMultiline"] = true
	case offboard.InputUser:
		// Teams' dynamic typeahead: as one types, Teams asks the bot
		// (an application/search invoke for the dataset, answered from
		// the directory by searchInvoke) and lists what it answers.
		e["type"] = "Input.ChoiceSet"
		e["style"] = "filtered"
		choices := []element{}
		if value != "" {
			choices = append(choices, element{"title": value, "value": value})
		}
		e["choices"] = choices
		e["choices.data"] = element{"type": "Data.Query", "dataset": PeopleDataset}
		if in.Placeholder == "" {
			e["placeholder"] = "Type a name"
		}
	case offboard.InputEmail:
		e["type"] = "Input.Text"
		e["style"] = "Email"
	default:
		e["type"] = "Input.Text"
	}
	return e
}

// attachment wraps a card for an activity.
func attachment(card map[string]any) schema.Attachment {
	return schema.Attachment{ContentType: AdaptiveCardType, Content: card}
}

// replyText is a reply's text for Teams: markdown line breaks, and the
// router's "/offboard" spelled as Teams users type it (a bot command has
// no slash there).
func replyText(s string) string {
	s = strings.ReplaceAll(s, "/offboard", "offboard")
	return strings.ReplaceAll(s, "\n", "\n\n")
}

func lowerFirst(s string) string {
	for i, r := range s {
		return strings.ToLower(string(r)) + s[i+len(string(r)):]
	}
	return s
}
