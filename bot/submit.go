package bot

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

var timeRE = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

// Submit handles a form. A half-filled or impossible form returns
// offboard.FieldErrors (keyed by input id) as the error; other refusals
// come back as an ephemeral reply with a nil error.
func (r *Router) Submit(ctx context.Context, who offboard.Actor, formID, state string, values map[string]string) (offboard.Reply, error) {
	val := func(k string) string { return strings.TrimSpace(values[k]) }
	switch formID {
	case FormOpenCase:
		return r.submitOpen(ctx, who, val)
	case FormSkipTask:
		return r.submitWithReason(ctx, who, state, val("reason"), "Say why the task is skipped.",
			func(ref offboard.ActionRef) bool { return ref.Verb == offboard.VerbSkip },
			func(ref offboard.ActionRef, reason string) offboard.Command {
				return offboard.SkipTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey, Reason: reason}
			}, "%s skipped “%s”: %s")
	case FormRunOverride:
		return r.submitWithReason(ctx, who, state, val("reason"), "Say why it cannot wait.",
			func(ref offboard.ActionRef) bool {
				return ref.Verb == offboard.VerbStart || ref.Verb == offboard.VerbRetry
			},
			func(ref offboard.ActionRef, reason string) offboard.Command {
				return offboard.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey, Override: true, Reason: reason}
			}, "%s ran “%s” before the tasks it waits for: %s")
	case FormAskAgain:
		return r.submitAskAgain(ctx, who, state, val)
	case FormDeviceReturn:
		return r.submitDeviceReturn(ctx, who, state, val)
	case FormDeny:
		if state == "" || len(state) > 200 {
			return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
		}
		reason := val("reason")
		if reason == "" {
			return offboard.Reply{}, offboard.FieldErrors{"reason": "Say why you deny this."}
		}
		res, err := r.apply(ctx, offboard.DecideApproval{By: who, ApprovalID: state, Approve: false, Comment: reason})
		if err != nil {
			return r.failure(err), nil
		}
		return r.approvalReply(res, state, personName(who)+" denied"), nil
	}
	return offboard.Reply{Ephemeral: true, Text: "That form is out of date; start again."}, nil
}

func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

func (r *Router) submitOpen(ctx context.Context, who offboard.Actor, val func(string) string) (offboard.Reply, error) {
	fe := offboard.FieldErrors{}
	// A person picker (employee) or, for people not in chat, an email
	// (employee_email); the platform turns a picked person into an email.
	empField := "employee"
	emp := strings.ToLower(cleanText(val("employee")))
	if typed := strings.ToLower(cleanText(val("employee_email"))); typed != "" {
		empField, emp = "employee_email", typed
	}
	mgr := strings.ToLower(cleanText(val("manager")))
	mgrField := "manager"
	// A platform whose picker lists only the directory adds a typed
	// manager_email beside it (Teams); typed wins, as for the leaver.
	if typed := strings.ToLower(cleanText(val("manager_email"))); typed != "" {
		mgr, mgrField = typed, "manager_email"
	}
	switch {
	case emp == "":
		fe["employee"] = "Say who is leaving: pick them, or type their email below."
	case !validAddress(emp):
		fe[empField] = "That is not an email address."
	case who.SamePerson(emp):
		fe[empField] = "You cannot open a case for yourself."
	}
	if mgr != "" {
		switch {
		case !validAddress(mgr):
			fe[mgrField] = "That is not an email address."
		case mgr == emp:
			fe[mgrField] = "The manager cannot be the person leaving."
		}
	}
	var kind offboard.DepartureKind
	if k := val("kind"); k == "" {
		fe["kind"] = "Choose how they leave."
	} else if pk, err := offboard.ParseDepartureKind(k); err != nil {
		fe["kind"] = "Choose voluntary, involuntary, retirement or contract end."
	} else {
		kind = pk
	}
	lastDay := val("last_day")
	today := r.clock.Now().In(r.loc).Format(time.DateOnly)
	switch {
	case lastDay == "":
		if kind != "" && !kind.Immediate() {
			fe["last_day"] = fmt.Sprintf("A %s departure needs a last day.", strings.ToLower(kind.Label()))
		}
	default:
		if _, err := time.Parse(time.DateOnly, lastDay); err != nil {
			fe["last_day"] = "Use a date like 2026-12-31."
		} else if lastDay < today && !kind.Immediate() {
			fe["last_day"] = fmt.Sprintf("The last day is in the past (today is %s).", today)
		}
	}
	if t := val("last_time"); t != "" && !timeRE.MatchString(t) {
		fe["last_time"] = "Use a time like 17:30."
	}
	if len(fe) > 0 {
		return offboard.Reply{}, fe
	}
	// employee_name is filled by platforms that know the picked person.
	cmd := offboard.OpenCase{By: who, Employee: offboard.Employee{Email: emp, Name: cleanText(val("employee_name")), ManagerEmail: mgr},
		Kind: kind, LastDay: lastDay, LastTime: val("last_time"), Source: source(who), Notes: val("notes"),
		ConfirmUnknown: val(inputConfirmUnknown) == confirmUnknownYes}
	res, err := r.apply(ctx, cmd)
	if err != nil {
		if fe := unknownFieldErrors(err, empField); fe != nil {
			return offboard.Reply{}, fe
		}
		if field := fieldOf(err); field != "" {
			return offboard.Reply{}, offboard.FieldErrors{field: sentence(offboard.ErrorMessage(err))}
		}
		return r.openFailure(who, emp, err), nil
	}
	return offboard.Reply{Text: sentence(res.Message),
		Cards: []offboard.Card{CaseHeader(viewOf(res), r.clock.Now(), r.loc)}}, nil
}

// fieldOf maps an engine refusal of OpenCase to the form input it is
// about, where that is obvious.
func fieldOf(err error) string {
	msg := strings.ToLower(offboard.ErrorMessage(err))
	switch offboard.ErrorCode(err) {
	case offboard.EINVALID:
		switch {
		case strings.Contains(msg, "manager"):
			return "manager"
		case strings.Contains(msg, "employee email"), strings.Contains(msg, "time zone"):
			return "employee"
		case strings.Contains(msg, "last day"):
			return "last_day"
		case strings.Contains(msg, "departure kind"):
			return "kind"
		}
	case offboard.ECONFLICT:
		if strings.Contains(msg, "already has an open") {
			return "employee"
		}
	}
	return ""
}

var mentionRE = regexp.MustCompile(`<@[^>]+>`)

// submitWithReason applies the command of a task form that asks why (a
// skip, a run out of order): the form's state is the button's action
// ref; an empty reason, or one the engine finds invalid, is a field
// error; said words the announcement from the person's name, the task's
// title and the reason.
func (r *Router) submitWithReason(ctx context.Context, who offboard.Actor, state, reason, missing string,
	verbOK func(offboard.ActionRef) bool, command func(offboard.ActionRef, string) offboard.Command, said string) (offboard.Reply, error) {
	ref, err := offboard.ParseActionRef(state)
	if err != nil || !verbOK(ref) || ref.CaseID == "" || ref.TaskKey == "" {
		return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
	}
	if reason == "" {
		return offboard.Reply{}, offboard.FieldErrors{"reason": missing}
	}
	res, err := r.apply(ctx, command(ref, reason))
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EINVALID {
			return offboard.Reply{}, offboard.FieldErrors{"reason": offboard.ErrorMessage(err)}
		}
		return r.failure(err), nil
	}
	name := personName(who)
	return r.taskReply(res, ref.TaskKey, func(title string) string { return fmt.Sprintf(said, name, title, reason) }), nil
}
