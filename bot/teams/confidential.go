package teams

import (
	"strings"

	"github.com/offboard-dev/offboard"
)

// redact keeps a confidential case's person out of a card posted in the
// channel thread.
func redact(c *offboard.Case, card offboard.Card) offboard.Card {
	if !c.Confidential {
		return card
	}
	r := func(s string) string { return redactText(c, s) }
	out := card
	out.Title, out.Subtitle, out.Footer = r(card.Title), r(card.Subtitle), r(card.Footer)
	out.Fields = redactFields(c, card.Fields)
	out.Sections = make([]offboard.Section, len(card.Sections))
	for i, s := range card.Sections {
		s.Heading, s.Text, s.Fields = r(s.Heading), r(s.Text), redactFields(c, s.Fields)
		s.Actions = redactButtons(c, s.Actions)
		out.Sections[i] = s
	}
	out.Actions = redactButtons(c, card.Actions)
	return out
}

func redactFields(c *offboard.Case, fs []offboard.Field) []offboard.Field {
	out := make([]offboard.Field, len(fs))
	for i, f := range fs {
		out[i] = offboard.Field{Label: f.Label, Value: redactText(c, f.Value)}
	}
	return out
}

func redactButtons(c *offboard.Case, bs []offboard.Button) []offboard.Button {
	out := make([]offboard.Button, len(bs))
	for i, b := range bs {
		b.Confirm = redactText(c, b.Confirm)
		out[i] = b
	}
	return out
}

func redactText(c *offboard.Case, s string) string {
	if !c.Confidential || s == "" {
		return s
	}
	for _, who := range []string{c.Employee.Name, c.Employee.Email} {
		if strings.TrimSpace(who) != "" {
			s = strings.ReplaceAll(s, who, "the employee")
		}
	}
	return s
}
