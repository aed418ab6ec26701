package teams

import (
	"encoding/json"
	"strings"
)

// Teams refuses a bot message over its size limit with 413
// MessageSizeTooBig, counting the whole activity encoded as UTF-16.
// Microsoft has published 28 KB (Teams' limit for a post), then 40 KB
// and 100 KB for bot messages; offboard keeps to the strictest, less
// room for the envelope the adapter adds (conversation, ids, names).
const (
	teamsMessageLimit = 28 << 10
	maxMessage        = teamsMessageLimit - 2<<10
)

// cutNote ends a card that was shortened, so nobody takes it for all of
// it.
const cutNote = "Part of this card is cut: it is too long for one Teams message. " +
	"Ask the bot for `status` with the case id, or open the console, for all of it."

// textCaps are the lengths long texts are cut to, in turn, until the
// card fits: a long note or reason is cut before any task disappears.
var textCaps = []int{2000, 1000, 500, 250, 120}

// utf16Size is the size of v's JSON encoded as UTF-16, as Teams counts.
func utf16Size(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range string(b) {
		if r >= 0x10000 {
			n += 4
		} else {
			n += 2
		}
	}
	return n
}

// fit shortens a message over maxMessage: its cards first (long texts
// cut, then trailing elements dropped, with a note saying so), then its
// text. Buttons stay as long as anything does.
func (m *message) fit() {
	if utf16Size(m) <= maxMessage {
		return
	}
	for i := range m.Attachments {
		room := maxMessage - (utf16Size(m) - utf16Size(m.Attachments[i].Content))
		m.Attachments[i].Content = shrinkCard(m.Attachments[i].Content, room)
	}
	text := m.Text
	for n := len([]rune(text)) / 2; utf16Size(m) > maxMessage && n > 0; n /= 2 {
		m.Text = cutText(text, n) + textCutMark
	}
}

const textCutMark = " … (cut: too long for one Teams message)"

// shrinkCard returns card, or a copy cut to fit room (UTF-16 bytes).
func shrinkCard(card map[string]any, room int) map[string]any {
	if card == nil || utf16Size(card) <= room {
		return card
	}
	var c map[string]any // a deep copy: the caller's card is left alone
	b, _ := json.Marshal(card)
	if json.Unmarshal(b, &c) != nil {
		return card
	}
	body, _ := c["body"].([]any)
	body = append(body, textBlock(cutNote, element{"size": "Small", "color": "Warning"}))
	c["body"] = body
	for _, n := range textCaps {
		capTexts(c, n)
		if utf16Size(c) <= room {
			return c
		}
	}
	// Still too big: drop the last elements before the note, keeping the
	// title.
	for len(body) > 2 && utf16Size(c) > room {
		body = append(body[:len(body)-2], body[len(body)-1])
		c["body"] = body
	}
	return c
}

// capTexts cuts every TextBlock text and fact value in v longer than n
// runes, except the note.
func capTexts(v any, n int) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok && x["type"] == "TextBlock" && t != cutNote {
			x["text"] = cutText(t, n)
		}
		if val, ok := x["value"].(string); ok && x["title"] != nil && x["type"] == nil {
			x["value"] = cutText(val, n) // a fact
		}
		for _, e := range x {
			capTexts(e, n)
		}
	case []any:
		for _, e := range x {
			capTexts(e, n)
		}
	}
}

// cutText cuts s to n runes, marking the cut.
func cutText(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for at := range s {
		if i == n {
			return strings.TrimSpace(s[:at]) + "…"
		}
		i++
	}
	return s
}
