package assistant_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
)

func TestParse(t *testing.T) {
	const (
		status    = assistant.IntentStatus
		left      = assistant.IntentLeft
		open      = assistant.IntentOpenCases
		overdue   = assistant.IntentOverdue
		approvals = assistant.IntentApprovals
		stats     = assistant.IntentStats
		help      = assistant.IntentHelp
	)
	tests := []struct {
		text string
		want assistant.Parsed
	}{
		// Status of a person or a case.
		{"where is Jane's offboarding?", assistant.Parsed{Intent: status, Who: "jane"}},
		{"Where’s Jane’s offboarding", assistant.Parsed{Intent: status, Who: "jane"}},
		{"wheres janes offbaording", assistant.Parsed{Intent: status, Who: "janes"}},
		{"status of jane@example.com", assistant.Parsed{Intent: status, Who: "jane@example.com"}},
		{"statsu of jane@example.com", assistant.Parsed{Intent: status, Who: "jane@example.com"}},
		{"<@U123> status <mailto:jane@example.com|jane@example.com>", assistant.Parsed{Intent: status, Who: "jane@example.com"}},
		{"how is OFF-42 going", assistant.Parsed{Intent: status, Who: "OFF-0042"}},
		{"hows off-0042 going?", assistant.Parsed{Intent: status, Who: "OFF-0042"}},
		{"jane doe status", assistant.Parsed{Intent: status, Who: "jane doe"}},
		{"Jane Doe stauts", assistant.Parsed{Intent: status, Who: "jane doe"}},
		{"what about Alex", assistant.Parsed{Intent: status, Who: "alex"}},
		{"What about Alex?!", assistant.Parsed{Intent: status, Who: "alex"}},
		{"OFF-0042", assistant.Parsed{Intent: status, Who: "OFF-0042"}},
		{"case 42", assistant.Parsed{Intent: status, Who: "OFF-0042"}},
		{"any news on Bob Smith?", assistant.Parsed{Intent: status, Who: "bob smith"}},
		{"<@U0BOT> how's the offboarding of alex.kim@example.com", assistant.Parsed{Intent: status, Who: "alex.kim@example.com"}},
		{"progress for jane", assistant.Parsed{Intent: status, Who: "jane"}},
		// What is left.
		{"what's left on Jane's offboarding?", assistant.Parsed{Intent: left, Who: "jane"}},
		{"whats left on janes offboarding", assistant.Parsed{Intent: left, Who: "janes"}},
		{"what is blocking OFF-0042", assistant.Parsed{Intent: left, Who: "OFF-0042"}},
		{"remaining tasks for jane", assistant.Parsed{Intent: left, Who: "jane"}},
		{"jane remaining", assistant.Parsed{Intent: left, Who: "jane"}},
		{"what is still to do for OFF-7", assistant.Parsed{Intent: left, Who: "OFF-0007"}},
		{"remianing for jane@example.com", assistant.Parsed{Intent: left, Who: "jane@example.com"}},
		// Open cases.
		{"which cases are open", assistant.Parsed{Intent: open}},
		{"list open offboardings", assistant.Parsed{Intent: open}},
		{"who is leaving", assistant.Parsed{Intent: open}},
		{"Who's leaving?", assistant.Parsed{Intent: open}},
		{"open cases", assistant.Parsed{Intent: open}},
		{"list", assistant.Parsed{Intent: open}},
		{"show me the active offbaordings", assistant.Parsed{Intent: open}},
		// Overdue by department.
		{"what's still open for Finance?", assistant.Parsed{Intent: overdue, Department: offboard.DeptFinance}},
		{"overdue tasks for IT", assistant.Parsed{Intent: overdue, Department: offboard.DeptIT}},
		{"what is late in security", assistant.Parsed{Intent: overdue, Department: offboard.DeptSecurity}},
		{"IT overdue", assistant.Parsed{Intent: overdue, Department: offboard.DeptIT}},
		{"finance overdure tasks", assistant.Parsed{Intent: overdue, Department: offboard.DeptFinance}},
		{"what is overdue", assistant.Parsed{Intent: overdue}},
		{"whats late?", assistant.Parsed{Intent: overdue}},
		{"anything stuck in HR", assistant.Parsed{Intent: overdue, Department: offboard.DeptHR}},
		// Approvals waiting.
		{"which approvals are stuck?", assistant.Parsed{Intent: approvals}},
		{"pending approvals", assistant.Parsed{Intent: approvals}},
		{"who hasn't approved", assistant.Parsed{Intent: approvals}},
		{"who hasnt approved yet", assistant.Parsed{Intent: approvals}},
		{"aprovals waiting", assistant.Parsed{Intent: approvals}},
		{"approvals pending for OFF-3", assistant.Parsed{Intent: approvals, Who: "OFF-0003"}},
		{"finance approvals", assistant.Parsed{Intent: approvals, Department: offboard.DeptFinance}},
		// Stats.
		{"how fast did we revoke access last month?", assistant.Parsed{Intent: stats, Period: "month"}},
		{"stats this week", assistant.Parsed{Intent: stats, Period: "week"}},
		{"time to revocation", assistant.Parsed{Intent: stats, Period: "month"}},
		{"Stats", assistant.Parsed{Intent: stats, Period: "month"}},
		{"weekly metrics", assistant.Parsed{Intent: stats, Period: "month"}},
		{"how quickly was access revoked this week", assistant.Parsed{Intent: stats, Period: "week"}},
		{"statistics for the past month", assistant.Parsed{Intent: stats, Period: "month"}},
		// Phrasings first tried as a held-out set, then taught.
		{"has priya's access been cut off yet?", assistant.Parsed{Intent: status, Who: "priya"}},
		{"update on OFF-0107 please", assistant.Parsed{Intent: status, Who: "OFF-0107"}},
		{"any blockers for marco?", assistant.Parsed{Intent: left, Who: "marco"}},
		{"what does IT still need to do", assistant.Parsed{Intent: overdue, Department: offboard.DeptIT}},
		{"who is offboarding right now", assistant.Parsed{Intent: open}},
		{"how many people left this month", assistant.Parsed{Intent: stats, Period: "month"}},
		{"is anything stuck", assistant.Parsed{Intent: overdue}},
		{"show me everything open", assistant.Parsed{Intent: open}},
		{"did we finish sam lee's offboarding", assistant.Parsed{Intent: status, Who: "sam lee"}},
		{"average time to revoke access", assistant.Parsed{Intent: stats, Period: "month"}},
		{"what's pending for security", assistant.Parsed{Intent: overdue, Department: offboard.DeptSecurity}},
		{"has the manager signed off on jane's mail forwarding", assistant.Parsed{Intent: approvals}},
		{"is okta done for bob@example.com", assistant.Parsed{Intent: status, Who: "bob@example.com"}},
		{"which tasks are late", assistant.Parsed{Intent: overdue}},
		{"what's next for OFF-0042", assistant.Parsed{Intent: left, Who: "OFF-0042"}},
		{"current departures", assistant.Parsed{Intent: open}},
		{"p95 revocation time last week", assistant.Parsed{Intent: stats, Period: "week"}},
		{"what is finance waiting on", assistant.Parsed{Intent: overdue, Department: offboard.DeptFinance}},
		// Help and nonsense.
		{"help", assistant.Parsed{Intent: help}},
		{"what can you do?", assistant.Parsed{Intent: help}},
		{"tell me a joke about the weather today please", assistant.Parsed{}},
		{"", assistant.Parsed{}},
		{"hello", assistant.Parsed{}},
	}
	hits := 0
	for _, tt := range tests {
		got := assistant.Parse(tt.text)
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			continue
		}
		hits++
	}
	t.Logf("hit rate: %d/%d (%.0f%%)", hits, len(tests), 100*float64(hits)/float64(len(tests)))
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		assistant.Parse("<@U123> what's left on Jane's offbaording?")
	}
}

// TestParse_HeldOut measures the parser on phrasings it was not taught,
// written before it was run on them. Do not teach it these: they are a
// measure, not a table. The floor catches regressions.
func TestParse_HeldOut(t *testing.T) {
	tests := []struct {
		text string
		want assistant.Intent
		who  string
	}{
		{"where are we with Kenji?", assistant.IntentStatus, "kenji"},
		{"kenji's offboarding - done?", assistant.IntentStatus, "kenji"},
		{"what remains for OFF-0031", assistant.IntentLeft, "OFF-0031"},
		{"anything outstanding on maria's exit", assistant.IntentLeft, "maria"},
		{"who's leaving this week", assistant.IntentOpenCases, ""},
		{"list all active offboardings", assistant.IntentOpenCases, ""},
		{"what's overdue", assistant.IntentOverdue, ""},
		{"overdue items in security please", assistant.IntentOverdue, ""},
		{"what does finance have to do", assistant.IntentOverdue, ""},
		{"approvals pending for OFF-0042", assistant.IntentApprovals, "OFF-0042"},
		{"who hasn't signed off", assistant.IntentApprovals, ""},
		{"which managers still need to approve", assistant.IntentApprovals, ""},
		{"how long does it take us to revoke access", assistant.IntentStats, ""},
		{"offboarding metrics for the month", assistant.IntentStats, ""},
		{"median time to revocation this week", assistant.IntentStats, ""},
		{"status OFF-12", assistant.IntentStatus, "OFF-0012"},
		{"check on leo.park@example.com", assistant.IntentStatus, "leo.park@example.com"},
		{"what happened with Ana Silva's case", assistant.IntentStatus, "ana silva"},
		{"is the IT part of OFF-0042 finished", assistant.IntentStatus, "OFF-0042"},
		{"what's holding up jane", assistant.IntentLeft, "jane"},
		{"open cases?", assistant.IntentOpenCases, ""},
		{"anything late for HR", assistant.IntentOverdue, ""},
		{"what can I ask you", assistant.IntentHelp, ""},
		{"how are the offboardings going overall", assistant.IntentOpenCases, ""},
		{"any approvals waiting on me", assistant.IntentApprovals, ""},
	}
	hits := 0
	for _, tt := range tests {
		got := assistant.Parse(tt.text)
		if got.Intent == tt.want && got.Who == tt.who {
			hits++
		} else {
			t.Logf("missed %q: %+v", tt.text, got)
		}
	}
	t.Logf("held-out hit rate: %d/%d (%.0f%%)", hits, len(tests), 100*float64(hits)/float64(len(tests)))
	if hits < 20 {
		t.Errorf("held-out hit rate fell to %d/%d; it was 20", hits, len(tests))
	}
}
