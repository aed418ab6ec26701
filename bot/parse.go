package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/offboard-dev/offboard"
)

// Verbs of a parsed slash command.
const (
	CmdForm    = "form"    // no text: open the case form
	CmdHelp    = "help"    // "help"
	CmdOpen    = "open"    // "jane@example.com involuntary"
	CmdStatus  = "status"  // "status jane@example.com", "status OFF-0042"
	CmdList    = "list"    // "list", "list completed"
	CmdCancel  = "cancel"  // "cancel OFF-0042 the person stays"
	CmdUnknown = "unknown" // anything else; Problem says why
)

// ParsedCommand is what a slash command's text asks for. It carries no
// rights: the engine decides what the sender may do.
type ParsedCommand struct {
	Verb    string
	Email   string                 // open: the departing person
	Kind    offboard.DepartureKind // open
	LastDay string                 // open: "2006-01-02", when given
	Query   string                 // status: an email or a normalized case id
	CaseID  offboard.CaseID        // cancel
	Reason  string                 // cancel
	Status  offboard.CaseStatus    // list: the filter ("" means open)
	Problem string                 // unknown: what was not understood
}

var (
	// Slack wraps emails as <mailto:a@b|a@b> (or <mailto:a@b>).
	mailtoRE = regexp.MustCompile(`<mailto:([^|>\s]+)(?:\|[^>]*)?>`)
	dateRE   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// cleanText unwraps Slack's mailto links and squeezes spaces.
func cleanText(s string) string {
	s = mailtoRE.ReplaceAllString(s, "$1")
	return strings.Join(strings.Fields(s), " ")
}

// looksLikeEmail is the cheap shape check the parser uses to find an
// email among words; forms and the engine check addresses properly.
func looksLikeEmail(s string) bool {
	at := strings.LastIndex(s, "@")
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " <>|,;")
}

func trimPunct(s string) string { return strings.Trim(s, ".,;:!?\"'“”()") }

// ParseCommand reads the text of a slash command. It is forgiving:
// verbs are case-insensitive, words may come in any order for a new
// case, and case ids may be written OFF-0042, off-42 or 42.
func ParseCommand(text string) ParsedCommand {
	text = cleanText(text)
	if text == "" {
		return ParsedCommand{Verb: CmdForm}
	}
	words := strings.Fields(text)
	first := strings.ToLower(words[0])
	rest := words[1:]
	switch first {
	case "help", "?", "-h", "--help":
		return ParsedCommand{Verb: CmdHelp}
	case "status", "show", "find":
		if len(rest) > 0 && strings.EqualFold(rest[0], "of") {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return unknown(text, "say whose case: /offboard status jane@example.com, /offboard status Jane Doe or /offboard status OFF-0042")
		}
		if len(rest) == 1 {
			q := trimPunct(rest[0])
			if id, ok := offboard.ParseCaseID(q); ok {
				return ParsedCommand{Verb: CmdStatus, Query: string(id)}
			}
			if looksLikeEmail(q) {
				return ParsedCommand{Verb: CmdStatus, Query: strings.ToLower(q)}
			}
		}
		// A name: the engine matches it against open cases.
		words := make([]string, 0, len(rest))
		for _, w := range rest {
			if w = trimPunct(w); w != "" {
				words = append(words, w)
			}
		}
		if len(words) == 0 || len(words) > 4 {
			return unknown(text, "say whose case: a name, an email or a case id like OFF-0042")
		}
		return ParsedCommand{Verb: CmdStatus, Query: strings.Join(words, " ")}
	case "list", "ls", "cases":
		p := ParsedCommand{Verb: CmdList}
		if len(rest) > 1 {
			return unknown(text, "list takes at most one filter: open, completed or cancelled")
		}
		if len(rest) == 1 {
			st, err := offboard.ParseCaseStatus(rest[0])
			if err != nil {
				return unknown(text, "list takes open, completed or cancelled")
			}
			p.Status = st
		}
		return p
	case "cancel":
		if len(rest) == 0 {
			return unknown(text, "say which case and why: /offboard cancel OFF-0042 the person stays")
		}
		id, ok := offboard.ParseCaseID(trimPunct(rest[0]))
		if !ok {
			return unknown(text, fmt.Sprintf("%q is not a case id like OFF-0042", clip(rest[0])))
		}
		reason := strings.Join(rest[1:], " ")
		if reason == "" {
			return unknown(text, "say why the case is cancelled: /offboard cancel "+string(id)+" the person stays")
		}
		return ParsedCommand{Verb: CmdCancel, CaseID: id, Reason: reason}
	case "open", "new", "start", "offboard":
		if len(rest) == 0 {
			return ParsedCommand{Verb: CmdForm}
		}
		return parseOpen(text, rest)
	}
	// A lone case id asks for its status.
	if len(words) == 1 {
		if id, ok := offboard.ParseCaseID(words[0]); ok {
			return ParsedCommand{Verb: CmdStatus, Query: string(id)}
		}
	}
	return parseOpen(text, words)
}

// parseOpen reads "email kind [date]" in any order.
func parseOpen(text string, words []string) ParsedCommand {
	p := ParsedCommand{Verb: CmdOpen}
	for _, w := range words {
		t := trimPunct(w)
		switch {
		case looksLikeEmail(t):
			if p.Email != "" {
				return unknown(text, "name one person per case")
			}
			p.Email = strings.ToLower(t)
		case dateRE.MatchString(t):
			if p.LastDay != "" {
				return unknown(text, "give one last day")
			}
			if _, err := time.Parse(time.DateOnly, t); err != nil {
				return unknown(text, fmt.Sprintf("%q is not a date like 2026-12-31", clip(t)))
			}
			p.LastDay = t
		default:
			k, err := offboard.ParseDepartureKind(t)
			if err != nil {
				return unknown(text, fmt.Sprintf("%q is not an email, a departure kind or a date (YYYY-MM-DD)", clip(w)))
			}
			if p.Kind != "" && p.Kind != k {
				return unknown(text, "give one departure kind")
			}
			p.Kind = k
		}
	}
	switch {
	case p.Email == "":
		return unknown(text, "say who is leaving: /offboard jane@example.com involuntary")
	case p.Kind == "":
		return unknown(text, "say how they leave: voluntary, involuntary, retirement or contract_end")
	case !p.Kind.Immediate() && p.LastDay == "":
		return unknown(text, fmt.Sprintf("a %s departure needs a last day: /offboard %s %s 2026-12-31", p.Kind, clip(p.Email), p.Kind))
	}
	return p
}

func unknown(text, problem string) ParsedCommand {
	return ParsedCommand{Verb: CmdUnknown, Problem: fmt.Sprintf("I didn't understand “%s”: %s.", clip(text), problem)}
}

// maxQuoted is how many characters of what was typed an answer quotes:
// enough to recognise it, while a pasted page (or token) does not come
// back whole.
const maxQuoted = 48

// clip cuts s to maxQuoted characters, marking the cut.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted]) + "…"
}
