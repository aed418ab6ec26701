package bot

import (
	"context"
	"fmt"

	"github.com/offboard-dev/offboard"
)

const brokenButton = "That button is broken; refresh the card."

// Click answers a button click. On success the reply's one card replaces
// the clicked message.
func (r *Router) Click(ctx context.Context, who offboard.Actor, value string) offboard.Reply {
	ref, err := offboard.ParseActionRef(value)
	if err != nil {
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
	}
	if ref.Verb == offboard.VerbOpen {
		return r.clickOpen(ctx, who, ref.Open)
	}
	switch ref.Verb {
	case offboard.VerbApprove, offboard.VerbDeny:
		if ref.ApprovalID == "" {
			return offboard.Reply{Ephemeral: true, Text: brokenButton}
		}
	case offboard.VerbRevokeNow:
		if ref.CaseID == "" {
			return offboard.Reply{Ephemeral: true, Text: brokenButton}
		}
	default:
		if ref.CaseID == "" || ref.TaskKey == "" {
			return offboard.Reply{Ephemeral: true, Text: brokenButton}
		}
	}
	name := personName(who)
	switch ref.Verb {
	case offboard.VerbRevokeNow:
		res, err := r.apply(ctx, offboard.RevokeNow{By: who, CaseID: ref.CaseID, Reason: "Revoke now, clicked in chat"})
		if err != nil {
			return r.failure(err)
		}
		card, _ := DepartmentCard(viewOf(res), offboard.DeptIT, r.clock.Now(), r.loc)
		return offboard.Reply{Text: sentence(fmt.Sprintf("%s: %s", name, res.Message)), Cards: []offboard.Card{card}}
	case offboard.VerbSkip:
		return r.taskForm(ctx, who, ref, func(t *offboard.Task) *offboard.Form { return SkipForm(ref.CaseID, t.Key, t.Title) })
	case offboard.VerbDeny:
		question := ""
		if ref.CaseID != "" {
			if v, err := r.engine.GetCase(ctx, who, ref.CaseID); err == nil {
				if a := findApproval(v, ref.ApprovalID); a != nil {
					question = a.Question
				}
			}
		}
		return offboard.Reply{Ephemeral: true, Form: DenyForm(ref.ApprovalID, question)}
	case offboard.VerbAskAgain:
		return r.clickAskAgain(ctx, who, ref)
	case offboard.VerbRecordReturn:
		return r.clickRecordReturn(ctx, who, ref)
	case offboard.VerbRevealSecret:
		return r.clickRevealSecret(ctx, who, ref)
	case offboard.VerbApprove:
		res, err := r.apply(ctx, offboard.DecideApproval{By: who, ApprovalID: ref.ApprovalID, Approve: true})
		if err != nil {
			return r.failure(err)
		}
		return r.approvalReply(res, ref.ApprovalID, name+" approved")
	}
	if ref.Verb == offboard.VerbAssign {
		// Taking a task only makes sense for one a person does; StartTask
		// would run an automated one.
		v, err := r.engine.GetCase(ctx, who, ref.CaseID)
		if err != nil {
			return r.failure(err)
		}
		t := findTask(v, ref.TaskKey)
		if t == nil {
			return offboard.Reply{Ephemeral: true, Text: brokenButton}
		}
		if !t.Manual() {
			return offboard.Reply{Ephemeral: true, Text: fmt.Sprintf("“%s” runs by itself; nobody needs to take it.", t.Title)}
		}
	}
	var cmd offboard.Command
	var did string
	switch ref.Verb {
	case offboard.VerbStart:
		cmd, did = offboard.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "started"
	case offboard.VerbRetry:
		cmd, did = offboard.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "retried"
	case offboard.VerbAssign:
		cmd, did = offboard.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "took"
	case offboard.VerbComplete:
		cmd, did = offboard.CompleteTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "marked"
	default:
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
	}
	res, err := r.apply(ctx, cmd)
	if err != nil {
		if form := r.overrideForm(ctx, who, ref, err); form != nil {
			return offboard.Reply{Ephemeral: true, Form: form}
		}
		return r.failure(err)
	}
	return r.taskReply(res, ref.TaskKey, func(title string) string {
		if did == "marked" {
			return fmt.Sprintf("%s marked “%s” done", name, title)
		}
		return fmt.Sprintf("%s %s “%s”", name, did, title)
	})
}

// overrideForm turns the engine's refusal to run a task before the tasks
// it waits for into the confirmation form; nil for any other refusal. The
// engine is asked first so that who may run the task, and whether the
// playbook's max_wait already allows it, are decided in one place.
func (r *Router) overrideForm(ctx context.Context, who offboard.Actor, ref offboard.ActionRef, err error) *offboard.Form {
	if offboard.ErrorCode(err) != offboard.ECONFLICT || (ref.Verb != offboard.VerbStart && ref.Verb != offboard.VerbRetry) {
		return nil
	}
	v, gerr := r.engine.GetCase(ctx, who, ref.CaseID)
	if gerr != nil {
		return nil
	}
	t := findTask(v, ref.TaskKey)
	if t == nil || t.Manual() {
		return nil
	}
	unsettled := t.Unsettled(v.Tasks)
	if len(unsettled) == 0 {
		return nil
	}
	return RunOverrideForm(ref, t, unsettled)
}

func findTask(v *offboard.CaseView, key string) *offboard.Task {
	for _, t := range v.Tasks {
		if t.Key == key {
			return t
		}
	}
	return nil
}

func findApproval(v *offboard.CaseView, id string) *offboard.Approval {
	for _, a := range v.Approvals {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// taskReply answers a task change with the task's department card.
func (r *Router) taskReply(res *offboard.Result, key string, text func(title string) string) offboard.Reply {
	v := viewOf(res)
	t := findTask(v, key)
	if t == nil {
		return offboard.Reply{Text: sentence(res.Message)}
	}
	reply := offboard.Reply{Text: text(t.Title)}
	if card, ok := DepartmentCard(v, t.Department, r.clock.Now(), r.loc); ok {
		reply.Cards = []offboard.Card{card}
	}
	return reply
}

// approvalReply answers a decision with the approval's card.
func (r *Router) approvalReply(res *offboard.Result, id, who string) offboard.Reply {
	v := viewOf(res)
	a := findApproval(v, id)
	if a == nil {
		return offboard.Reply{Text: sentence(res.Message)}
	}
	title := a.TaskKey
	if t := findTask(v, a.TaskKey); t != nil {
		title = t.Title
	}
	return offboard.Reply{Text: fmt.Sprintf("%s “%s”", who, title), Cards: []offboard.Card{ApprovalCard(v, a)}}
}
