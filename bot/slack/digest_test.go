package slack

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

func digestPlatform(t *testing.T, s *slacktest.Server) *Platform {
	t.Helper()
	for id, name := range map[string]string{"CHR": "hr", "CIT": "it-desk", "CFIN": "finance", "CSEC": "security", "CFAC": "facilities"} {
		s.AddChannel(id, name, true)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng := flowstest.New(t, flowstest.Options{Store: db, Location: time.UTC})
	router, err := bot.New(bot.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{AppToken: slacktest.AppToken, BotToken: slacktest.BotToken, APIURL: s.APIURL(),
		Router: router, Engine: eng, HRChannel: "CHR",
		DepartmentChannels: map[offboard.Department]string{
			offboard.DeptIT: "CIT", offboard.DeptFinance: "CFIN", offboard.DeptSecurity: "CSEC", "facilities": "CFAC",
		}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPostDigest(t *testing.T) {
	s := slacktest.New(t)
	p := digestPlatform(t, s)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	d := offboard.Digest{
		At: now,
		Open: []offboard.DigestCase{{ID: "OFF-0001", Name: "Jane <Doe>", Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Settled: 3, Total: 12, Departments: []offboard.Department{offboard.DeptIT, offboard.DeptFinance}}},
		Overdue: map[offboard.Department][]offboard.DigestTask{offboard.DeptFinance: {{CaseID: "OFF-0001", Key: "final_expenses",
			Title: "Settle the final expense report", Department: offboard.DeptFinance, Overdue: 26 * time.Hour}}},
		Waiting: []offboard.DigestApproval{{ID: "OFF-0001-A1", CaseID: "OFF-0001", TaskKey: "transfer_drive",
			Department: offboard.DeptIT, Approver: "mona@example.com", Waiting: 2 * time.Hour}},
	}
	if err := p.PostDigest(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	one := func(ch string) string {
		t.Helper()
		msgs := s.Messages(ch)
		if len(msgs) != 1 {
			t.Fatalf("%s got %d messages, want 1: %+v", ch, len(msgs), msgs)
		}
		return msgs[0].Text
	}
	hr := one("CHR")
	for _, want := range []string{"Jane &lt;Doe&gt;", "Settle the final expense report", "overdue 1d 2h", "OFF-0001-A1", "waiting 2h"} {
		if !strings.Contains(hr, want) {
			t.Errorf("HR digest does not say %q:\n%s", want, hr)
		}
	}
	if it := one("CIT"); strings.Contains(it, "Settle the final expense report") || !strings.Contains(it, "OFF-0001-A1") {
		t.Errorf("IT digest:\n%s", it)
	}
	if fin := one("CFIN"); !strings.Contains(fin, "Settle the final expense report") || strings.Contains(fin, "OFF-0001-A1") {
		t.Errorf("finance digest:\n%s", fin)
	}
	if msgs := s.Messages("CSEC"); len(msgs) != 0 {
		t.Errorf("security has nothing in the digest but got %+v", msgs)
	}
}

// TestPostDigest_ConfiguredDepartment: a department config adds gets its
// part of the digest in its channel, under its label.
func TestPostDigest_ConfiguredDepartment(t *testing.T) {
	s := slacktest.New(t)
	p := digestPlatform(t, s)
	d := offboard.Digest{
		At:          time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		Departments: append(offboard.StandardDepartments(), offboard.DepartmentInfo{Name: "facilities", Label: "Workplace", Role: "facilities"}),
		Open: []offboard.DigestCase{{ID: "OFF-0001", Name: "Jane Doe", Kind: offboard.Voluntary, LastDay: "2026-12-31",
			Settled: 3, Total: 18, Departments: []offboard.Department{offboard.DeptIT, "facilities"}}},
		Overdue: map[offboard.Department][]offboard.DigestTask{"facilities": {{CaseID: "OFF-0001", Key: "return_desk",
			Title: "Clear the desk", Department: "facilities", Overdue: 3 * time.Hour}}},
	}
	if err := p.PostDigest(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages("CFAC")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, `• Workplace: "Clear the desk" on OFF-0001`) {
		t.Fatalf("facilities channel got %+v, want its part of the digest under its label", msgs)
	}
	if it := s.Messages("CIT"); len(it) != 1 || strings.Contains(it[0].Text, "Clear the desk") {
		t.Errorf("IT's part of the digest: %+v", it)
	}
}

func TestPostDigest_EmptyPostsNothing(t *testing.T) {
	s := slacktest.New(t)
	p := digestPlatform(t, s)
	if err := p.PostDigest(context.Background(), offboard.Digest{At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if calls := s.Calls("chat.postMessage"); len(calls) != 0 {
		t.Fatalf("empty digest posted %d messages", len(calls))
	}
}
