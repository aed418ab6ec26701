package teams

import "strings"

// message is an outbound activity we send ourselves: msbotbuilder-go's
// schema.Entity has no room for a mention, and its client never returns
// the id of what it posted.
type message struct {
	Type        string       `json:"type"`
	ID          string       `json:"id,omitempty"`
	Text        string       `json:"text,omitempty"`
	TextFormat  string       `json:"textFormat,omitempty"`
	Attachments []attached   `json:"attachments,omitempty"`
	Entities    []mentionEnt `json:"entities,omitempty"`
}

type attached struct {
	ContentType string         `json:"contentType"`
	Content     map[string]any `json:"content"`
}

type mentionEnt struct {
	Type      string         `json:"type"`
	Text      string         `json:"text"`
	Mentioned mentionAccount `json:"mentioned"`
}

type mentionAccount struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func newMessage(text string, card map[string]any) *message {
	m := &message{Type: "message", Text: text, TextFormat: "markdown"}
	if card != nil {
		m.Attachments = []attached{{ContentType: AdaptiveCardType, Content: card}}
	}
	return m
}

// mention puts "<at>Name</at>" before the text with its entity, or the
// plain email when the person is not in Teams.
func (m *message) mention(who person) {
	if who.id == "" {
		if who.email != "" {
			m.Text = strings.TrimSpace(who.email + " " + m.Text)
		}
		return
	}
	name := who.name
	if name == "" {
		name = who.email
	}
	tag := "<at>" + name + "</at>"
	m.Text = strings.TrimSpace(tag + " " + m.Text)
	m.Entities = append(m.Entities, mentionEnt{Type: "mention", Text: tag, Mentioned: mentionAccount{ID: who.id, Name: name}})
}
