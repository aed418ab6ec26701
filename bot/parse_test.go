package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func TestParseCommand(t *testing.T) {
	const jane = "jane@example.com"
	open := func(kind offboard.DepartureKind, day string) bot.ParsedCommand {
		return bot.ParsedCommand{Verb: bot.CmdOpen, Email: jane, Kind: kind, LastDay: day}
	}
	status := func(q string) bot.ParsedCommand { return bot.ParsedCommand{Verb: bot.CmdStatus, Query: q} }
	cancel := func(id offboard.CaseID, reason string) bot.ParsedCommand {
		return bot.ParsedCommand{Verb: bot.CmdCancel, CaseID: id, Reason: reason}
	}
	tests := []struct {
		in   string
		want bot.ParsedCommand
		// problem, when set, expects CmdUnknown with a Problem containing it.
		problem string
	}{
		{in: "", want: bot.ParsedCommand{Verb: bot.CmdForm}},
		{in: "   ", want: bot.ParsedCommand{Verb: bot.CmdForm}},
		{in: "help", want: bot.ParsedCommand{Verb: bot.CmdHelp}},
		{in: "HELP", want: bot.ParsedCommand{Verb: bot.CmdHelp}},
		{in: "jane@example.com involuntary", want: open(offboard.Involuntary, "")},
		{in: "  Jane@Example.com   INVOLUNTARY  ", want: open(offboard.Involuntary, "")},
		{in: "involuntary jane@example.com", want: open(offboard.Involuntary, "")},
		{in: "<mailto:jane@example.com|jane@example.com> involuntary", want: open(offboard.Involuntary, "")},
		{in: "<mailto:jane@example.com> involuntary", want: open(offboard.Involuntary, "")},
		{in: "jane@example.com voluntary 2026-12-31", want: open(offboard.Voluntary, "2026-12-31")},
		{in: "2026-12-31 voluntary <mailto:jane@example.com|jane@example.com>", want: open(offboard.Voluntary, "2026-12-31")},
		{in: "voluntary jane@example.com 2026-12-31", want: open(offboard.Voluntary, "2026-12-31")},
		{in: "jane@example.com retirement 2027-03-01", want: open(offboard.Retirement, "2027-03-01")},
		{in: "jane@example.com contract-end 2027-03-01", want: open(offboard.ContractEnd, "2027-03-01")},
		{in: "jane@example.com contract_end 2027-03-01", want: open(offboard.ContractEnd, "2027-03-01")},
		{in: "open jane@example.com involuntary", want: open(offboard.Involuntary, "")},
		{in: "jane@example.com voluntary", problem: "needs a last day"},
		{in: "jane@example.com", problem: "say how they leave"},
		{in: "involuntary", problem: "say who is leaving"},
		{in: "jane@example.com voluntary 2026-13-45", problem: "is not a date"},
		{in: "jane@example.com fired", problem: "\"fired\" is not an email"},
		{in: "jane@example.com bob@example.com involuntary", problem: "one person"},
		{in: "frobnicate OFF-1", problem: "I didn't understand"},
		{in: "status OFF-0042", want: status("OFF-0042")},
		{in: "status off-42", want: status("OFF-0042")},
		{in: "Status 42", want: status("OFF-0042")},
		{in: "status of jane@example.com", want: status(jane)},
		{in: "status <mailto:Jane@example.com|Jane@example.com>", want: status(jane)},
		{in: "status", problem: "say whose case"},
		{in: "status nobody", want: status("nobody")},
		{in: "status of Jane Doe", want: status("Jane Doe")},
		{in: "status", problem: "say whose case"},
		{in: "status a b c d e", problem: "say whose case"},
		{in: "OFF-7", want: status("OFF-0007")},
		{in: "list", want: bot.ParsedCommand{Verb: bot.CmdList}},
		{in: "LIST completed", want: bot.ParsedCommand{Verb: bot.CmdList, Status: offboard.CaseCompleted}},
		{in: "list everything", problem: "open, completed or cancelled"},
		{in: "cancel OFF-0042 the person stays", want: cancel("OFF-0042", "the person stays")},
		{in: "Cancel  off-42   the   person stays", want: cancel("OFF-0042", "the person stays")},
		{in: "cancel 42 duplicate", want: cancel("OFF-0042", "duplicate")},
		{in: "cancel OFF-0042", problem: "say why"},
		{in: "cancel", problem: "say which case"},
		{in: "cancel jane@example.com oops", problem: "not a case id"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := bot.ParseCommand(tt.in)
			if tt.problem != "" {
				if got.Verb != bot.CmdUnknown || !strings.Contains(got.Problem, tt.problem) {
					t.Fatalf("ParseCommand(%q) = %+v, want unknown mentioning %q", tt.in, got, tt.problem)
				}
				if !strings.HasPrefix(got.Problem, "I didn't understand") {
					t.Errorf("problem %q does not start with \"I didn't understand\"", got.Problem)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("ParseCommand(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
