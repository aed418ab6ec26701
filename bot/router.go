// Package bot is the platform-neutral chat front of offboard: it reads
// slash commands, clicks, form submissions and questions, sends the
// engine commands, and answers with neutral replies, cards and forms that
// each platform (Slack, Teams, the console) renders.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// Engine is what the bot needs of the engine; *flows.Engine satisfies it.
type Engine interface {
	Apply(ctx context.Context, cmd flows.Command) (*flows.Result, error)
	GetCase(ctx context.Context, actor offboard.Actor, id offboard.CaseID) (*flows.CaseView, error)
	ListCases(ctx context.Context, actor offboard.Actor, status offboard.CaseStatus, limit int) ([]*flows.CaseView, error)
	FindCases(ctx context.Context, actor offboard.Actor, query string) ([]*flows.CaseView, error)
}

// Options configure a Router. Engine is required.
type Options struct {
	Engine Engine
	Clock  offboard.Clock
	// Location is the company time zone for cards and form dates.
	Location *time.Location
	Logger   *slog.Logger
	// AfterCommand runs after each successful command that changed
	// state (the wiring passes the runner's Wake).
	AfterCommand func()
	// Roles returns a person's configured roles by email. With it, a bare
	// /offboard from someone who may not open cases is refused at once
	// (through the engine, so the attempt is audited) instead of showing
	// a form they cannot submit.
	Roles func(email string) []offboard.Role
	// Assistant, when set, answers plain questions first (Ask); when it
	// does not understand, Ask falls back to its own few phrasings.
	Assistant Assistant
}

// Assistant answers a plain question; ok is false when it did not
// understand. *assistant.Answerer satisfies it.
type Assistant interface {
	Answer(ctx context.Context, who offboard.Actor, text string) (reply offboard.Reply, ok bool)
}

// Router turns chat input into engine commands and chat replies.
type Router struct {
	engine Engine
	clock  offboard.Clock
	loc    *time.Location
	log    *slog.Logger
	after  func()
	roles  func(string) []offboard.Role
	asst   Assistant
}

// New builds a Router.
func New(o Options) (*Router, error) {
	if o.Engine == nil {
		return nil, errors.New("bot: no engine")
	}
	r := &Router{engine: o.Engine, clock: o.Clock, loc: o.Location, log: o.Logger, after: o.AfterCommand, roles: o.Roles, asst: o.Assistant}
	if r.clock == nil {
		r.clock = offboard.WallClock()
	}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// listLimit caps the cases one list reply shows.
const listLimit = 20

// apply sends a command and, on success, wakes whoever waits for jobs.
func (r *Router) apply(ctx context.Context, cmd flows.Command) (*flows.Result, error) {
	res, err := r.engine.Apply(ctx, cmd)
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EINTERNAL || offboard.ErrorCode(err) == offboard.EUNAVAILABLE {
			r.log.Error("bot: command failed", "command", cmd.Name(), "actor", cmd.Actor().String(), "err", err)
		}
		return nil, err
	}
	if r.after != nil {
		r.after()
	}
	return res, nil
}

// failure is the ephemeral reply to an error; internal detail stays in
// the log (ErrorMessage hides it).
func (r *Router) failure(err error) offboard.Reply {
	if code := offboard.ErrorCode(err); code == offboard.EINTERNAL {
		r.log.Error("bot: request failed", "err", err)
	}
	return offboard.Reply{Ephemeral: true, Text: offboard.ErrorMessage(err)}
}

func viewOf(res *flows.Result) *flows.CaseView {
	return &flows.CaseView{Case: res.Case, Tasks: res.Tasks, Approvals: res.Approvals}
}

func source(who offboard.Actor) string {
	if who.Platform != "" {
		return who.Platform
	}
	return "chat"
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Command answers a slash command's text.
func (r *Router) Command(ctx context.Context, who offboard.Actor, text string) offboard.Reply {
	p := ParseCommand(text)
	switch p.Verb {
	case CmdForm:
		if r.roles != nil {
			probe := who
			probe.Roles = r.roles(who.Email)
			if offboard.CanOpenCase(probe, "") != nil {
				// The engine refuses and audits the attempt.
				return r.openCase(ctx, who, flows.OpenCase{By: who, Source: source(who)})
			}
		}
		return offboard.Reply{Ephemeral: true, Text: "Fill in the form to open an offboarding case.", Form: OpenCaseForm("")}
	case CmdHelp:
		return Help()
	case CmdOpen:
		return r.openCase(ctx, who, flows.OpenCase{By: who, Employee: offboard.Employee{Email: p.Email},
			Kind: p.Kind, LastDay: p.LastDay, Source: source(who)})
	case CmdStatus:
		return r.status(ctx, who, p.Query, false)
	case CmdList:
		return r.list(ctx, who, p.Status)
	case CmdCancel:
		res, err := r.apply(ctx, flows.CancelCase{By: who, CaseID: p.CaseID, Reason: p.Reason})
		if err != nil {
			return r.failure(err)
		}
		now := r.clock.Now()
		return offboard.Reply{Text: sentence(fmt.Sprintf("%s by %s: %s", res.Message, personName(who), p.Reason)),
			Cards: []offboard.Card{CaseHeader(viewOf(res), now, r.loc)}}
	}
	h := Help()
	h.Text = p.Problem + "\n\n" + h.Text
	return h
}

// openCase applies an OpenCase and answers with the header card.
func (r *Router) openCase(ctx context.Context, who offboard.Actor, cmd flows.OpenCase) offboard.Reply {
	res, err := r.apply(ctx, cmd)
	if err != nil {
		return r.openFailure(who, cmd.Employee.Email, err)
	}
	return offboard.Reply{Text: sentence(res.Message),
		Cards: []offboard.Card{CaseHeader(viewOf(res), r.clock.Now(), r.loc)}}
}

func (r *Router) openFailure(who offboard.Actor, email string, err error) offboard.Reply {
	if offboard.ErrorCode(err) == offboard.EFORBIDDEN && !who.SamePerson(email) {
		return offboard.Reply{Ephemeral: true, Text: "Only HR and admins can open offboarding cases."}
	}
	return r.failure(err)
}

// status answers with a case summary; left adds what is left to do.
func (r *Router) status(ctx context.Context, who offboard.Actor, query string, left bool) offboard.Reply {
	views, err := r.engine.FindCases(ctx, who, query)
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EFORBIDDEN || offboard.ErrorCode(err) == offboard.ENOTFOUND {
			return offboard.Reply{Ephemeral: true, Text: fmt.Sprintf("I found no case for %s that you can see.", query)}
		}
		return r.failure(err)
	}
	if len(views) == 0 {
		return offboard.Reply{Ephemeral: true, Text: fmt.Sprintf("I found no case for %s that you can see.", query)}
	}
	now := r.clock.Now()
	v := views[0]
	text := caseLine(v)
	if left || v.Case.Status == offboard.CaseOpen {
		text += "\n" + remaining(v, now, r.loc)
	}
	if len(views) > 1 {
		text += fmt.Sprintf("\n(%d earlier cases; ask by case id:", len(views)-1)
		for _, o := range views[1:] {
			text += " " + string(o.Case.ID)
		}
		text += ")"
	}
	return offboard.Reply{Ephemeral: true, Text: text, Cards: []offboard.Card{CaseHeader(v, now, r.loc)}}
}

func (r *Router) list(ctx context.Context, who offboard.Actor, st offboard.CaseStatus) offboard.Reply {
	if st == "" {
		st = offboard.CaseOpen
	}
	views, err := r.engine.ListCases(ctx, who, st, listLimit)
	if err != nil {
		return r.failure(err)
	}
	if len(views) == 0 {
		return offboard.Reply{Ephemeral: true, Text: fmt.Sprintf("No %s cases that you can see.", st)}
	}
	card := offboard.Card{Title: fmt.Sprintf("%s cases", caseStatusWords(st)), Tone: offboard.ToneInfo}
	lines := make([]string, 0, len(views))
	for _, v := range views {
		line := caseLine(v)
		lines = append(lines, line)
		card.Sections = append(card.Sections, offboard.Section{Text: line})
	}
	if len(views) == listLimit {
		card.Footer = fmt.Sprintf("Showing the newest %d.", listLimit)
	}
	return offboard.Reply{Ephemeral: true, Text: strings.Join(lines, "\n"), Cards: []offboard.Card{card}}
}

const brokenButton = "That button is broken; refresh the card."

// Click answers a button click. On success the reply's one card replaces
// the clicked message.
func (r *Router) Click(ctx context.Context, who offboard.Actor, value string) offboard.Reply {
	ref, err := offboard.ParseActionRef(value)
	if err != nil {
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
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
		res, err := r.apply(ctx, flows.RevokeNow{By: who, CaseID: ref.CaseID, Reason: "Revoke now, clicked in chat"})
		if err != nil {
			return r.failure(err)
		}
		card, _ := DepartmentCard(viewOf(res), offboard.DeptIT, r.clock.Now(), r.loc)
		return offboard.Reply{Text: sentence(fmt.Sprintf("%s: %s", name, res.Message)), Cards: []offboard.Card{card}}
	case offboard.VerbSkip:
		v, err := r.engine.GetCase(ctx, who, ref.CaseID)
		if err != nil {
			return r.failure(err)
		}
		t := findTask(v, ref.TaskKey)
		if t == nil {
			return offboard.Reply{Ephemeral: true, Text: brokenButton}
		}
		return offboard.Reply{Ephemeral: true, Form: SkipForm(ref.CaseID, t.Key, t.Title)}
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
	case offboard.VerbApprove:
		res, err := r.apply(ctx, flows.DecideApproval{By: who, ApprovalID: ref.ApprovalID, Approve: true})
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
	var cmd flows.Command
	var did string
	switch ref.Verb {
	case offboard.VerbStart:
		cmd, did = flows.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "started"
	case offboard.VerbRetry:
		cmd, did = flows.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "retried"
	case offboard.VerbAssign:
		cmd, did = flows.StartTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "took"
	case offboard.VerbComplete:
		cmd, did = flows.CompleteTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey}, "marked"
	default:
		return offboard.Reply{Ephemeral: true, Text: brokenButton}
	}
	res, err := r.apply(ctx, cmd)
	if err != nil {
		return r.failure(err)
	}
	return r.taskReply(res, ref.TaskKey, func(title string) string {
		if did == "marked" {
			return fmt.Sprintf("%s marked “%s” done", name, title)
		}
		return fmt.Sprintf("%s %s “%s”", name, did, title)
	})
}

func findTask(v *flows.CaseView, key string) *offboard.Task {
	for _, t := range v.Tasks {
		if t.Key == key {
			return t
		}
	}
	return nil
}

func findApproval(v *flows.CaseView, id string) *offboard.Approval {
	for _, a := range v.Approvals {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// taskReply answers a task change with the task's department card.
func (r *Router) taskReply(res *flows.Result, key string, text func(title string) string) offboard.Reply {
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
func (r *Router) approvalReply(res *flows.Result, id, who string) offboard.Reply {
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
		ref, err := offboard.ParseActionRef(state)
		if err != nil || ref.Verb != offboard.VerbSkip || ref.CaseID == "" || ref.TaskKey == "" {
			return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
		}
		reason := val("reason")
		if reason == "" {
			return offboard.Reply{}, offboard.FieldErrors{"reason": "Say why the task is skipped."}
		}
		res, err := r.apply(ctx, flows.SkipTask{By: who, CaseID: ref.CaseID, TaskKey: ref.TaskKey, Reason: reason})
		if err != nil {
			if offboard.ErrorCode(err) == offboard.EINVALID {
				return offboard.Reply{}, offboard.FieldErrors{"reason": offboard.ErrorMessage(err)}
			}
			return r.failure(err), nil
		}
		name := personName(who)
		return r.taskReply(res, ref.TaskKey, func(title string) string {
			return fmt.Sprintf("%s skipped “%s”: %s", name, title, reason)
		}), nil
	case FormDeny:
		if state == "" || len(state) > 200 {
			return offboard.Reply{Ephemeral: true, Text: "That form is out of date; refresh the card and try again."}, nil
		}
		reason := val("reason")
		if reason == "" {
			return offboard.Reply{}, offboard.FieldErrors{"reason": "Say why you deny this."}
		}
		res, err := r.apply(ctx, flows.DecideApproval{By: who, ApprovalID: state, Approve: false, Comment: reason})
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
			fe["manager"] = "That is not an email address."
		case mgr == emp:
			fe["manager"] = "The manager cannot be the person leaving."
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
	cmd := flows.OpenCase{By: who, Employee: offboard.Employee{Email: emp, Name: cleanText(val("employee_name")), ManagerEmail: mgr},
		Kind: kind, LastDay: lastDay, LastTime: val("last_time"), Source: source(who), Notes: val("notes")}
	res, err := r.apply(ctx, cmd)
	if err != nil {
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

// Ask answers a plain question: "status of jane@example.com",
// "status OFF-0042", "what's left on OFF-0042", "list". Anything else
// gets a short help text.
func (r *Router) Ask(ctx context.Context, who offboard.Actor, text string) offboard.Reply {
	if r.asst != nil {
		if reply, ok := r.asst.Answer(ctx, who, text); ok {
			return reply
		}
	}
	text = cleanText(mentionRE.ReplaceAllString(text, " "))
	lower := strings.ToLower(text)
	words := strings.Fields(lower)
	var subject string
	for _, w := range words {
		w = trimPunct(w)
		if id, ok := offboard.ParseCaseID(w); ok && strings.HasPrefix(w, "off-") {
			subject = string(id)
		} else if looksLikeEmail(w) {
			subject = w
		}
	}
	if len(words) > 0 && (words[0] == "list" || lower == "open cases" || lower == "list cases") {
		return r.list(ctx, who, offboard.CaseOpen)
	}
	if subject != "" && len(words) > 0 {
		left := strings.Contains(lower, "left") || strings.Contains(lower, "remaining") || strings.Contains(lower, "todo") || strings.Contains(lower, "to do")
		if left || strings.Contains(lower, "status") || len(words) == 1 {
			return r.status(ctx, who, subject, left)
		}
	}
	return offboard.Reply{Ephemeral: true, Text: "I can answer \"status of jane@example.com\", \"status OFF-0042\", \"what's left on OFF-0042\" and \"list\". " +
		"To open a case, use /offboard."}
}
