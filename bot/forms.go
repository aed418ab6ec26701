package bot

import (
	"fmt"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Form ids.
const (
	FormOpenCase = "open_case"
	FormSkipTask = "skip_task"
	FormDeny     = "deny_approval"
	// FormRunOverride confirms running a task before the tasks it waits
	// for are settled.
	FormRunOverride = "run_override"
)

// Directories names, for the open-case form, the systems that know who
// works here: the identity systems and the HR systems, by their labels
// (the wiring takes them from the connectors' declarations).
type Directories struct {
	Identity []string
	HR       []string
}

// OpenCaseForm is OpenCaseFormFor with no directories named: the form
// speaks of "the identity system" and "the HR system".
func OpenCaseForm(initialManager string) *offboard.Form {
	return OpenCaseFormFor(initialManager, Directories{})
}

// OpenCaseFormFor asks HR for a new case. Its inputs are employee (a person
// picker), employee_email (for people not in chat), manager (a person
// picker), kind, last_day, last_time, notes and confirm_unknown (open
// even when no directory knows the email). Platforms resolve picked
// people to emails before Submit; one without pickers shows them as
// email fields.
func OpenCaseFormFor(initialManager string, dirs Directories) *offboard.Form {
	identity := append([]string(nil), dirs.Identity...)
	if len(identity) == 0 {
		identity = []string{"the identity system"}
	}
	known := offboard.JoinOr(append(append([]string(nil), dirs.Identity...), dirs.HR...))
	if known == "" {
		known = "the identity or the HR system"
	}
	return &offboard.Form{
		ID:     FormOpenCase,
		Title:  "Offboard someone",
		Submit: "Open case",
		Inputs: []offboard.Input{
			{ID: "employee", Label: "Who is leaving", Kind: offboard.InputUser,
				Hint: "Pick them, or type their email below if they are not here"},
			{ID: "employee_email", Label: "…or their work email", Kind: offboard.InputEmail,
				Placeholder: "jane@example.com"},
			{ID: "manager", Label: "Their manager", Kind: offboard.InputUser, Initial: initialManager,
				Hint: "Approves data transfers; optional when " + known + " knows it"},
			{ID: "kind", Label: "Departure", Kind: offboard.InputSelect, Required: true, Initial: string(offboard.Voluntary),
				Options: []offboard.Option{
					{Value: string(offboard.Voluntary), Label: "Voluntary (resignation)"},
					{Value: string(offboard.Involuntary), Label: "Involuntary (access goes now)"},
					{Value: string(offboard.Retirement), Label: "Retirement"},
					{Value: string(offboard.ContractEnd), Label: "Contract end"},
				}},
			{ID: "last_day", Label: "Last day", Kind: offboard.InputDate,
				Hint: "Required unless involuntary; access goes at the end of that day"},
			{ID: "last_time", Label: "Time", Kind: offboard.InputTime, Placeholder: "18:00",
				Hint: "Optional, HH:MM"},
			{ID: "notes", Label: "Notes", Kind: offboard.InputTextarea,
				Hint: "Seen by everyone working the case"},
			{ID: inputConfirmUnknown, Label: "If " + offboard.JoinOr(append(identity, "the HR system")) + " does not know them", Kind: offboard.InputSelect,
				Initial: "no", Hint: "A typo would open a case for nobody while the real person keeps their access",
				Options: []offboard.Option{
					{Value: "no", Label: "Stop and suggest the closest email"},
					{Value: confirmUnknownYes, Label: "Open anyway: they are not in the directory"},
				}},
		},
	}
}

// SkipForm asks why a task is skipped. Its state is the skip button's
// ActionRef (ids only).
func SkipForm(c offboard.CaseID, taskKey, title string) *offboard.Form {
	label := "Why skip this task?"
	if title != "" {
		label = fmt.Sprintf("Why skip “%s”?", title)
	}
	return &offboard.Form{
		ID:     FormSkipTask,
		Title:  "Skip a task",
		Submit: "Skip",
		State:  offboard.ActionRef{Verb: offboard.VerbSkip, CaseID: c, TaskKey: taskKey}.Encode(),
		Inputs: []offboard.Input{
			{ID: "reason", Label: label, Kind: offboard.InputTextarea, Required: true,
				Hint: "Recorded in the audit log"},
		},
	}
}

// RunOverrideForm confirms running t before the tasks it waits for: it
// lists them with their status, says what may be lost, and asks why. Its
// state is the Run button's ActionRef (ids only). The text lives in the
// input's label and hint, which every platform renders.
func RunOverrideForm(ref offboard.ActionRef, t *offboard.Task, unsettled []*offboard.Task) *offboard.Form {
	words := make([]string, len(unsettled))
	for i, u := range unsettled {
		words[i] = fmt.Sprintf("%s (%s)", u.Title, u.Status.StatusWords())
	}
	label := fmt.Sprintf("“%s” waits for: %s. Why run it now?", t.Title, strings.Join(words, "; "))
	if len(unsettled) == 0 || t.Title == "" {
		// Shown again with an error by a platform that keeps only ids.
		label = "Why run this task before the tasks it waits for?"
	}
	return &offboard.Form{
		ID:     FormRunOverride,
		Title:  "Run out of order?",
		Submit: "Run anyway",
		State:  ref.Encode(),
		Inputs: []offboard.Input{
			{ID: "reason", Kind: offboard.InputTextarea, Required: true,
				Label: label,
				Hint:  sentence("Risk: "+t.OutOfOrderRisk()) + " Recorded in the audit log."},
		},
	}
}

// DenyForm asks why an approval is denied. Its state is the approval id.
func DenyForm(approvalID, question string) *offboard.Form {
	label := "Why deny?"
	if question != "" {
		label = "Why deny? " + question
	}
	return &offboard.Form{
		ID:     FormDeny,
		Title:  "Deny approval",
		Submit: "Deny",
		State:  approvalID,
		Inputs: []offboard.Input{
			{ID: "reason", Label: label, Kind: offboard.InputTextarea, Required: true,
				Hint: "The person who asked sees this"},
		},
	}
}

// Help is the short guide to the slash command.
func Help() offboard.Reply {
	return offboard.Reply{Ephemeral: true, Text: helpText}
}

const helpText = "How to use /offboard:\n" +
	"• /offboard: open the form for a new case\n" +
	"• /offboard jane@example.com involuntary: access goes now\n" +
	"• /offboard jane@example.com voluntary 2026-12-31: access goes at the end of the last day\n" +
	"• /offboard status jane@example.com or /offboard status OFF-0042\n" +
	"• /offboard list: open cases you can see\n" +
	"• /offboard cancel OFF-0042 <reason>\n" +
	"Only HR and admins can open or cancel cases. You can also ask me \"status of jane@example.com\" or \"what's left on OFF-0042\"."
