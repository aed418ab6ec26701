package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
)

// FormAskAgain asks for a denied approval again: the task's parameters
// (a transfer's target) and, optionally, another approver.
const FormAskAgain = "ask_again"

// paramInput is the form input of task parameter key.
func paramInput(key string) string { return "param_" + key }

// askAgainButton is offered on a task whose approval was denied: the task
// waits for an approval and none is pending. Without it the only way on
// would be to skip the task. A handover (a task with a "to") is offered
// it too while its question is pending with no receiver (no manager was
// known, as with Google Workspace alone: no yes can make it work), and
// once it failed (no, or an unusable receiver: a Retry would ask about
// the same person again).
func askAgainButton(c *offboard.Case, t *offboard.Task, approvals []*offboard.Approval) (offboard.Button, bool) {
	if c.Status != offboard.CaseOpen {
		return offboard.Button{}, false
	}
	to, handover := t.Params["to"]
	handover = handover && t.Approval != ""
	noReceiver := handover && strings.TrimSpace(to) == ""
	switch {
	case t.Status == offboard.TaskFailed && handover:
	case t.Status != offboard.TaskWaitingApproval:
		return offboard.Button{}, false
	case noReceiver:
	case slices.ContainsFunc(approvals, func(a *offboard.Approval) bool {
		return a.TaskKey == t.Key && a.Status == offboard.ApprovalPending
	}):
		return offboard.Button{}, false
	}
	ref := offboard.ActionRef{Verb: offboard.VerbAskAgain, CaseID: c.ID, TaskKey: t.Key}
	return offboard.Button{Label: "Ask again…", Action: ref, Style: "primary"}, true
}

// AskAgainForm asks for t's approval again. It shows each of the task's
// parameters to change (a transfer's "to") and an optional approver; its
// state is the button's ActionRef (ids only).
func AskAgainForm(c offboard.CaseID, t *offboard.Task) *offboard.Form {
	f := &offboard.Form{
		ID:     FormAskAgain,
		Title:  "Ask again",
		Submit: "Ask",
		State:  offboard.ActionRef{Verb: offboard.VerbAskAgain, CaseID: c, TaskKey: t.Key}.Encode(),
	}
	keys := make([]string, 0, len(t.Params))
	for k := range t.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		in := offboard.Input{ID: paramInput(k), Label: k, Kind: offboard.InputText, Initial: t.Params[k], Required: true}
		switch {
		case k == "to":
			in.Label, in.Kind = fmt.Sprintf("“%s” to", t.Title), offboard.InputEmail
		case strings.HasPrefix(k, "keep_"):
			// A wipe's switches: the engine takes only true or false.
			in.Kind = offboard.InputSelect
			in.Options = []offboard.Option{{Value: "false", Label: "No"}, {Value: "true", Label: "Yes"}}
			if in.Initial != "true" {
				in.Initial = "false"
			}
		}
		f.Inputs = append(f.Inputs, in)
	}
	if t.Approval == offboard.ApproverManagerFinance {
		// The manager is named (or someone instead); Finance decides too.
		f.Inputs = append(f.Inputs, offboard.Input{ID: "approver", Label: "Who approves for the manager", Kind: offboard.InputEmail,
			Hint: "Optional: the manager unless you name someone else; one person of Finance approves too"})
		return f
	}
	if role, needed := offboard.ApprovalRule(t.Approval); role != "" {
		// Nobody is named: any people of the role decide.
		f.Inputs[0].Hint = fmt.Sprintf("%d different people with the %s role approve exactly these values; changing one later asks them again", needed, role)
		return f
	}
	f.Inputs = append(f.Inputs, offboard.Input{ID: "approver", Label: "Who approves", Kind: offboard.InputEmail,
		Hint: "Optional: their manager unless you name someone else"})
	return f
}

func (r *Router) clickAskAgain(ctx context.Context, who offboard.Actor, ref offboard.ActionRef) offboard.Reply {
	return r.taskForm(ctx, who, ref, func(t *offboard.Task) *offboard.Form { return AskAgainForm(ref.CaseID, t) })
}

// taskForm answers a click that opens a form about one task of the
// case, privately; form returns nil for a task the button cannot be
// about (an out-of-date card).
func (r *Router) taskForm(ctx context.Context, who offboard.Actor, ref offboard.ActionRef, form func(*offboard.Task) *offboard.Form) offboard.Reply {
	v, err := r.engine.GetCase(ctx, who, ref.CaseID)
	if err != nil {
		return r.failure(err)
	}
	t := findTask(v, ref.TaskKey)
	if t == nil {
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
	}
	f := form(t)
	if f == nil {
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
	}
	return offboard.Reply{Ephemeral: true, Form: f}
}

// submitAskAgain sends RequestApproval with the form's parameters. The
// engine decides who may ask and checks every value; what it refuses
// about a value is shown beside that field.
func (r *Router) submitAskAgain(ctx context.Context, who offboard.Actor, state string, val func(string) string) (offboard.Reply, error) {
	ref, err := offboard.ParseActionRef(state)
	if err != nil || ref.Verb != offboard.VerbAskAgain || ref.CaseID == "" || ref.TaskKey == "" {
		return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
	}
	v, err := r.engine.GetCase(ctx, who, ref.CaseID)
	if err != nil {
		return r.failure(err), nil
	}
	t := findTask(v, ref.TaskKey)
	if t == nil {
		return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
	}
	params := map[string]string{}
	missing := offboard.FieldErrors{}
	for k := range t.Params {
		switch params[k] = val(paramInput(k)); {
		case params[k] == "":
			missing[paramInput(k)] = "Say what it should be."
		case k == "to" && !validAddress(strings.ToLower(params[k])):
			missing[paramInput(k)] = "Give an email address, like jane@example.com."
		}
	}
	approver := val("approver")
	if approver != "" && !validAddress(approver) {
		missing["approver"] = "Give an email address, like jane@example.com."
	}
	if len(missing) > 0 {
		return offboard.Reply{}, missing
	}
	res, err := r.apply(ctx, offboard.RequestApproval{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey,
		Params: params, Approver: strings.ToLower(approver)})
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EINVALID {
			msg := offboard.ErrorMessage(err)
			for k := range t.Params {
				// "device_id must be set …": beside the parameter it names.
				if strings.HasPrefix(msg, k+" ") {
					return offboard.Reply{}, offboard.FieldErrors{paramInput(k): msg}
				}
			}
			switch {
			case strings.Contains(msg, "approve"):
				return offboard.Reply{}, offboard.FieldErrors{"approver": msg}
			case t.Params["to"] != "" || params["to"] != "":
				return offboard.Reply{}, offboard.FieldErrors{paramInput("to"): msg}
			}
		}
		return r.failure(err), nil
	}
	name := personName(who)
	return r.taskReply(res, ref.TaskKey, func(title string) string {
		return fmt.Sprintf("%s asked again for “%s”", name, title)
	}), nil
}
