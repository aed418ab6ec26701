package bot

import "github.com/offboard-dev/offboard"

// ForViewer is card as the person v was read for should see it: only the
// buttons they may click (v.Viewer), everything else as it is, so someone
// who may not decide an approval sees whom it waits for and no Approve,
// and another department sees a task's status without its buttons. It is
// for a page drawn for one person (the console); a card everyone in a
// channel sees keeps its buttons, and a click by the wrong person is
// refused saying who can act. Without a Viewer the card is unchanged.
func ForViewer(card offboard.Card, v *offboard.CaseView) offboard.Card {
	if v == nil || v.Viewer == nil {
		return card
	}
	card.Actions = allowed(card.Actions, v.Viewer)
	if len(card.Sections) > 0 {
		sections := make([]offboard.Section, len(card.Sections))
		for i, s := range card.Sections {
			s.Actions = allowed(s.Actions, v.Viewer)
			sections[i] = s
		}
		card.Sections = sections
	}
	return card
}

func allowed(bs []offboard.Button, w *offboard.Viewer) []offboard.Button {
	var out []offboard.Button
	for _, b := range bs {
		if w.Allows(b.Action) {
			out = append(out, b)
		}
	}
	return out
}
