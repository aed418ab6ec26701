package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// maxProblem bounds what an "I didn't understand" answer may be: it
// quotes the text, and a paste of a page (or of a token) must not come
// back whole.
const maxProblem = 600

// short quotes s in a failure message, cut so a long input stays legible.
func short(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q… (%d bytes)", s[:120], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// canonical is the text that asks for p in the parser's own words; it
// must parse to p again.
func canonical(p bot.ParsedCommand) string {
	switch p.Verb {
	case bot.CmdOpen:
		return strings.TrimSpace(p.Email + " " + string(p.Kind) + " " + p.LastDay)
	case bot.CmdStatus:
		// "of" first, so a query that is itself "of" is not taken for it.
		return "status of " + p.Query
	case bot.CmdList:
		return strings.TrimSpace("list " + string(p.Status))
	case bot.CmdCancel:
		return "cancel " + string(p.CaseID) + " " + p.Reason
	case bot.CmdHelp:
		return "help"
	case bot.CmdForm:
		return ""
	}
	return ""
}

// A slash command's text is typed by anyone in the workspace: any text
// parses to a known verb whose fields are well-formed, a parsed request
// written back in the parser's words asks for the same thing, and an
// answer that quotes the text stays short.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "?", "jane@example.com involuntary", "Voluntary jane@example.com 2026-12-31",
		"<mailto:jane@example.com|jane@example.com> involuntary", "status jane@example.com", "status of Jane Doe",
		"status OFF-0042", "off-42", "42", "list", "list completed", "cancel OFF-0042 the person stays",
		"open", "new jane@example.com retirement 2027-01-31", "jane@example.com sacked", "status of of",
		"cancel 7 x", "status “Jane”", "jane@example.com voluntary 2026-02-30", "<mailto:<mailto:a@b.co>>",
		"jane@example.com involuntary " + strings.Repeat("x", 5000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := bot.ParseCommand(text)
		switch p.Verb {
		case bot.CmdForm, bot.CmdHelp:
		case bot.CmdOpen:
			if _, err := offboard.ParseDepartureKind(string(p.Kind)); err != nil {
				t.Fatalf("%s: open with kind %q: %v", short(text), p.Kind, err)
			}
			if p.Email == "" || p.Email != strings.ToLower(p.Email) || strings.ContainsAny(p.Email, " \t\n<>|") {
				t.Fatalf("%s: open with email %q", short(text), p.Email)
			}
			if p.LastDay != "" {
				if _, err := time.Parse(time.DateOnly, p.LastDay); err != nil {
					t.Fatalf("%s: last day %q: %v", short(text), p.LastDay, err)
				}
			}
			if !p.Kind.Immediate() && p.LastDay == "" {
				t.Fatalf("%s: a %s departure parsed without a last day", short(text), p.Kind)
			}
		case bot.CmdStatus:
			if p.Query == "" || strings.TrimSpace(p.Query) != p.Query {
				t.Fatalf("%s: status query %q", short(text), p.Query)
			}
		case bot.CmdList:
			if p.Status != "" {
				if _, err := offboard.ParseCaseStatus(string(p.Status)); err != nil {
					t.Fatalf("%s: list filter %q: %v", short(text), p.Status, err)
				}
			}
		case bot.CmdCancel:
			if _, ok := offboard.ParseCaseID(string(p.CaseID)); !ok || p.Reason == "" {
				t.Fatalf("%s: cancel %q because %q", short(text), p.CaseID, p.Reason)
			}
		case bot.CmdUnknown:
			if !strings.HasPrefix(p.Problem, "I didn't understand") {
				t.Fatalf("%s: problem %q", short(text), p.Problem)
			}
			if len(p.Problem) > maxProblem {
				t.Fatalf("%s: the answer quotes %d bytes, over %d", short(text), len(p.Problem), maxProblem)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p.Problem) {
				t.Fatalf("%s: the answer %q is not valid UTF-8", short(text), p.Problem)
			}
			return
		default:
			t.Fatalf("%s: unknown verb %q", short(text), p.Verb)
		}
		if p.Problem != "" {
			t.Fatalf("%s: %s carries a problem %q", short(text), p.Verb, p.Problem)
		}
		again := bot.ParseCommand(canonical(p))
		if again != p {
			t.Fatalf("%s parsed to %+v; written back as %q it parses to %+v", short(text), p, canonical(p), again)
		}
	})
}
