package offboard

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The neutral chat model. The bot builds Replies, Cards and Forms once;
// each platform (Slack Block Kit, Teams Adaptive Cards, the console's
// HTML) renders them. Nothing here knows a platform.

// Tone colours a card: what a glance should tell.
type Tone string

// Tones.
const (
	ToneInfo    Tone = "info"
	ToneGood    Tone = "good"    // done, verified
	ToneWarning Tone = "warning" // waiting, overdue
	ToneDanger  Tone = "danger"  // failed, unverified, refused
)

// Reply is what the bot answers to one request.
type Reply struct {
	// Text is the plain-text answer (and the notification fallback).
	Text  string
	Cards []Card
	// Ephemeral replies are shown only to the person who asked.
	Ephemeral bool
	// Form, when set, asks the person for input (a Slack modal, an
	// Adaptive Card form, an HTML form).
	Form *Form
}

// Card is one message block: a case header, a task group, an approval.
type Card struct {
	Title    string
	Subtitle string
	Tone     Tone
	Fields   []Field
	Sections []Section
	Actions  []Button
	// Footer is small print: who did what, when.
	Footer string
}

// Section is a part of a card, e.g. one task in a department's group.
type Section struct {
	Heading string
	Text    string
	Tone    Tone
	Fields  []Field
	Actions []Button
}

// Field is a label and its value.
type Field struct {
	Label string
	Value string
}

// The labels of a task section's evidence fields, which renderers show
// apart: the evidence ("Status afterwards: SUSPENDED", a line each) folds
// away, and the details (the vendor's request id, the job) are small
// print for whoever follows the case up with the vendor.
const (
	FieldEvidence = "Evidence"
	FieldDetails  = "Details"
)

// Button is something a person can click. It carries ids only: the engine
// re-checks who clicked against the case, so a forged value grants
// nothing.
type Button struct {
	Label  string
	Action ActionRef
	// Style is "primary", "danger" or "".
	Style string
	// Confirm, when set, asks "are you sure?" with this text first.
	Confirm string
}

// Button verbs.
const (
	VerbStart    = "start"    // run the task's action now
	VerbComplete = "complete" // mark a task done
	VerbSkip     = "skip"     // skip a task (asks why)
	VerbAssign   = "assign"   // take a manual task
	VerbRetry    = "retry"    // run a failed action again
	VerbApprove  = "approve"
	VerbDeny     = "deny" // asks why
	// VerbAskAgain asks for a denied approval again, with new parameters
	// or another approver (a form).
	VerbAskAgain = "ask_again"
	// VerbRevokeNow runs every revocation of a case at once (a voluntary
	// exit that cannot wait for the last day).
	VerbRevokeNow = "revoke_now"
	// VerbRecordReturn opens the form that records a device's return
	// (shipping reference, received, wiped) on a task that tracks one.
	VerbRecordReturn = "record_return"
	// VerbRevealSecret shows the secrets a task holds (a lock PIN) to the
	// person who clicked, privately, if they may run the task.
	VerbRevealSecret = "reveal_secret"
	// VerbOpen repeats a refused /offboard from the refusal's buttons:
	// "Open the case anyway" (the email is confirmed as outside the
	// directory) or "Use jane.doe@example.com" (the suggestion).
	VerbOpen = "open"
)

// ActionRef names what a click does: a verb and the ids it acts on.
type ActionRef struct {
	Verb       string
	CaseID     CaseID
	TaskKey    string
	ApprovalID string
	// Open is the request a VerbOpen button repeats.
	Open *OpenRequest `json:",omitempty"`
}

// OpenRequest is what a person typed to open a case, carried by a
// refusal's button so one click repeats it. It carries no right: the
// engine checks the clicker exactly as it checked the typist, so a forged
// value opens only what the clicker could open by typing.
type OpenRequest struct {
	Email   string
	Kind    string
	LastDay string
	// ConfirmUnknown: the clicker confirms the email is right although no
	// directory knows it.
	ConfirmUnknown bool
}

// maxActionRef bounds a button value: ids only, or an open request with
// an email of at most 254 bytes, each of which may take three escaped
// (Slack allows 2,000).
const (
	maxActionRef     = 300
	maxOpenActionRef = 1500
	maxQuotedVerb    = 32 // of an unknown verb, in the error
)

// Encode packs the reference into a short string for a button value.
func (a ActionRef) Encode() string {
	s := strings.Join([]string{a.Verb, string(a.CaseID), a.TaskKey, a.ApprovalID}, "|")
	if a.Open != nil {
		v := url.Values{"email": {a.Open.Email}, "kind": {a.Open.Kind}}
		if a.Open.LastDay != "" {
			v.Set("last_day", a.Open.LastDay)
		}
		if a.Open.ConfirmUnknown {
			v.Set("confirm_unknown", "1")
		}
		s += "|" + v.Encode() // query escaping keeps "|" out of it
	}
	return s
}

// ParseActionRef reverses Encode. It checks shape only; what the click
// may do is decided by the engine.
func ParseActionRef(s string) (ActionRef, error) {
	parts := strings.Split(s, "|")
	if len(parts) == 5 && parts[0] == VerbOpen && len(s) <= maxOpenActionRef {
		v, err := url.ParseQuery(parts[4])
		if err != nil || v.Get("email") == "" || parts[1] != "" || parts[2] != "" || parts[3] != "" {
			return ActionRef{}, Errorf(EINVALID, "malformed button value")
		}
		a := ActionRef{Verb: VerbOpen, Open: &OpenRequest{Email: v.Get("email"), Kind: v.Get("kind"),
			LastDay: v.Get("last_day"), ConfirmUnknown: v.Get("confirm_unknown") == "1"}}
		if len(a.Encode()) > maxOpenActionRef { // unescaped input that escapes longer
			return ActionRef{}, Errorf(EINVALID, "malformed button value")
		}
		return a, nil
	}
	if len(parts) != 4 || len(s) > maxActionRef {
		return ActionRef{}, Errorf(EINVALID, "malformed button value")
	}
	a := ActionRef{Verb: parts[0], TaskKey: parts[2], ApprovalID: parts[3]}
	switch a.Verb {
	case VerbStart, VerbComplete, VerbSkip, VerbAssign, VerbRetry, VerbApprove, VerbDeny, VerbRevokeNow, VerbAskAgain, VerbRecordReturn, VerbRevealSecret:
	default:
		// The verb came from outside: quote only a recognisable start of it.
		verb := a.Verb
		if len(verb) > maxQuotedVerb {
			verb = strings.ToValidUTF8(verb[:maxQuotedVerb], "") + "…"
		}
		return ActionRef{}, Errorf(EINVALID, "unknown button verb %q", verb)
	}
	if parts[1] != "" {
		id, ok := ParseCaseID(parts[1])
		if !ok {
			return ActionRef{}, Errorf(EINVALID, "malformed case id in button value")
		}
		a.CaseID = id
	}
	return a, nil
}

// Form asks a person for input.
type Form struct {
	// ID says which form it is ("open_case", "skip_task", "deny_approval").
	ID     string
	Title  string
	Submit string
	Inputs []Input
	// State carries ids (never rights) from the form to its submission.
	State string
}

// Input kinds.
const (
	InputText     = "text"
	InputTextarea = "textarea"
	InputEmail    = "email"
	InputDate     = "date"
	InputTime     = "time"
	InputSelect   = "select"
	InputUser     = "user" // a person picker where the platform has one
)

// Input is one field of a form.
type Input struct {
	ID          string
	Label       string
	Kind        string
	Placeholder string
	Hint        string
	Required    bool
	Initial     string
	Options     []Option
}

// Option is a choice of a select input.
type Option struct {
	Value string
	Label string
}

// FieldErrors maps input ids to what is wrong with them, for a form shown
// again with errors beside the fields.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %s", k, f[k])
	}
	return strings.Join(parts, "; ")
}
