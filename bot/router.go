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
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Options configure a Router. Engine is required.
type Options struct {
	Engine offboard.CaseService
	Clock  offboard.Clock
	// Location is the company time zone for cards and form dates.
	Location *time.Location
	Logger   *slog.Logger
	// Roles returns a person's configured roles by email. With it, a bare
	// /offboard from someone who may not open cases is refused at once
	// (through the engine, so the attempt is audited) instead of showing
	// a form they cannot submit.
	Roles func(email string) []offboard.Role
	// Assistant, when set, answers plain questions first (Ask); when it
	// does not understand, Ask falls back to its own few phrasings.
	Assistant Assistant
	// Directories name the systems the open-case form says know people.
	Directories Directories
	// People, when set, answers person pickers' typeahead (FindPeople):
	// the merged directory (Okta, Entra ID, BambooHR, the demo's people).
	People PeopleFinder
	// Audit records refused people searches (FindPeople), which reach no
	// engine; nil records nothing.
	Audit offboard.AuditLog
}

// Assistant answers a plain question; ok is false when it did not
// understand. *assistant.Answerer satisfies it.
type Assistant interface {
	Answer(ctx context.Context, who offboard.Actor, text string) (reply offboard.Reply, ok bool)
}

// Router turns chat input into engine commands and chat replies.
type Router struct {
	engine offboard.CaseService
	clock  offboard.Clock
	loc    *time.Location
	log    *slog.Logger
	roles  func(string) []offboard.Role
	asst   Assistant
	dirs   Directories
	people PeopleFinder
	search peopleSearch
	audit  offboard.AuditLog
}

// New builds a Router.
func New(o Options) (*Router, error) {
	if o.Engine == nil {
		return nil, errors.New("bot: no engine")
	}
	r := &Router{engine: o.Engine, clock: o.Clock, loc: o.Location, log: o.Logger, roles: o.Roles, asst: o.Assistant}
	if r.clock == nil {
		r.clock = offboard.WallClock()
	}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.dirs, r.people, r.audit = o.Directories, o.People, o.Audit
	return r, nil
}

// OpenCaseForm is the open-case form naming the router's directories.
func (r *Router) OpenCaseForm(initialManager string) *offboard.Form {
	return OpenCaseFormFor(initialManager, r.dirs)
}

// listLimit caps the cases one list reply shows.
const listLimit = 20

// apply sends a command and, on success, wakes whoever waits for jobs.
func (r *Router) apply(ctx context.Context, cmd offboard.Command) (*offboard.Result, error) {
	res, err := r.engine.Apply(ctx, cmd)
	if err != nil {
		if offboard.ErrorCode(err) == offboard.EINTERNAL || offboard.ErrorCode(err) == offboard.EUNAVAILABLE {
			r.log.Error("bot: command failed", "command", cmd.Name(), "actor", cmd.Actor().String(), "err", err)
		}
		return nil, err
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

func viewOf(res *offboard.Result) *offboard.CaseView {
	return &offboard.CaseView{Case: res.Case, Tasks: res.Tasks, Approvals: res.Approvals, Departments: res.Departments}
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
	// A question or an exclamation already ends the sentence.
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
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
				return r.openCase(ctx, who, offboard.OpenCase{By: who, Source: source(who)})
			}
		}
		return offboard.Reply{Ephemeral: true, Text: "Fill in the form to open an offboarding case.", Form: r.OpenCaseForm("")}
	case CmdHelp:
		return Help()
	case CmdOpen:
		return r.openCase(ctx, who, offboard.OpenCase{By: who, Employee: offboard.Employee{Email: p.Email},
			Kind: p.Kind, LastDay: p.LastDay, Source: source(who)})
	case CmdStatus:
		return r.status(ctx, who, p.Query, false)
	case CmdList:
		return r.list(ctx, who, p.Status)
	case CmdCancel:
		res, err := r.apply(ctx, offboard.CancelCase{By: who, CaseID: p.CaseID, Reason: p.Reason})
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
func (r *Router) openCase(ctx context.Context, who offboard.Actor, cmd offboard.OpenCase) offboard.Reply {
	res, err := r.apply(ctx, cmd)
	if err != nil {
		if reply, ok := unknownReply(cmd, err); ok {
			return reply
		}
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
	card := offboard.Card{Title: fmt.Sprintf("%s cases", st.Label()), Tone: offboard.ToneInfo}
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
