package bot

import (
	"context"
	"fmt"

	"github.com/offboard-dev/offboard"
)

// inputConfirmUnknown is the open-case form's answer to "no directory
// knows this email": confirmUnknownYes opens the case anyway.
const (
	inputConfirmUnknown = "confirm_unknown"
	confirmUnknownYes   = "yes"
)

// unknownReply answers a /offboard the engine refused because no
// directory knows the email: the refusal, a button to use the nearest
// known email, and one to open the case anyway for someone outside the
// directory. ok is false for any other error.
//
// The buttons repeat what was typed. They grant nothing: a click is a
// new OpenCase from the clicker, authorized by the engine as if they had
// typed it, so a forged value opens only what its sender could open.
func unknownReply(cmd offboard.OpenCase, err error) (offboard.Reply, bool) {
	unknown := offboard.UnknownEmails(err)
	if len(unknown) == 0 {
		return offboard.Reply{}, false
	}
	msg := sentence(offboard.ErrorMessage(err))
	card := offboard.Card{Title: "Not in the directory", Tone: offboard.ToneWarning, Sections: []offboard.Section{{Text: msg}}}
	req := offboard.OpenRequest{Email: cmd.Employee.Email, Kind: string(cmd.Kind), LastDay: cmd.LastDay}
	for _, u := range unknown {
		// Only the employee can be swapped: a slash command names no
		// manager, so an unknown one came from elsewhere.
		if u.Field == "employee" && u.Suggestion != "" {
			use := req
			use.Email = u.Suggestion
			card.Actions = append(card.Actions, offboard.Button{Label: "Use " + u.Suggestion, Style: "primary",
				Action: offboard.ActionRef{Verb: offboard.VerbOpen, Open: &use}})
		}
	}
	anyway := req
	anyway.ConfirmUnknown = true
	card.Actions = append(card.Actions, offboard.Button{Label: "Open the case anyway",
		Action:  offboard.ActionRef{Verb: offboard.VerbOpen, Open: &anyway},
		Confirm: fmt.Sprintf("Open a case for %s although no directory knows them? Revocations will find no account if the email is wrong.", cmd.Employee.Email)})
	return offboard.Reply{Ephemeral: true, Text: msg, Cards: []offboard.Card{card}}, true
}

// clickOpen repeats a refused /offboard from its refusal's buttons. The
// answer goes to the clicker alone: the refusal may have been clicked in
// another case's room, and a new (perhaps confidential) case must not be
// announced there.
func (r *Router) clickOpen(ctx context.Context, who offboard.Actor, o *offboard.OpenRequest) offboard.Reply {
	reply := r.openCase(ctx, who, offboard.OpenCase{By: who, Employee: offboard.Employee{Email: o.Email},
		Kind: offboard.DepartureKind(o.Kind), LastDay: o.LastDay, Source: source(who), ConfirmUnknown: o.ConfirmUnknown})
	reply.Ephemeral = true
	return reply
}

// unknownFieldErrors puts an unknown-email refusal beside the form's
// email fields, with the suggestion, and points at the confirm choice.
func unknownFieldErrors(err error, empField string) offboard.FieldErrors {
	unknown := offboard.UnknownEmails(err)
	if len(unknown) == 0 {
		return nil
	}
	fe := offboard.FieldErrors{}
	for _, u := range unknown {
		field, who := empField, "No one"
		if u.Field == "manager" {
			field, who = "manager", "No manager"
		}
		text := fmt.Sprintf("%s with this email in %s.", who, offboard.JoinOr(u.Sources))
		if u.Suggestion != "" {
			text += fmt.Sprintf(" Did you mean %s?", u.Suggestion)
		}
		fe[field] = text
	}
	fe[inputConfirmUnknown] = "If the email is right, choose “Open anyway”."
	return fe
}
