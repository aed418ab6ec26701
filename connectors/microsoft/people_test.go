package microsoft_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// tenant adds a boss, a disabled former manager, 246 staff reporting to
// the boss (every tenth to the former manager), a user with no mail, a
// guest and a person without a mailbox: 250 users.
func tenant(s *graphtest.Server) {
	boss := s.AddUser(graphtest.User{ID: "00-boss", UserPrincipalName: "boss@example.com", Mail: "Boss@Example.com",
		DisplayName: "The Boss", AccountEnabled: true, TimeZone: "Pacific Standard Time"})
	gone := s.AddUser(graphtest.User{ID: "00-gone", UserPrincipalName: "gone@example.com", Mail: "gone@example.com",
		DisplayName: "Gone Manager", TimeZone: "Europe/Paris"})
	for i := range 246 {
		m := boss
		if i%10 == 0 {
			m = gone
		}
		s.AddUser(graphtest.User{ID: fmt.Sprintf("10-%03d", i), UserPrincipalName: fmt.Sprintf("p%d@example.com", i),
			Mail: fmt.Sprintf("p%d@example.com", i), DisplayName: fmt.Sprintf("Person %d", i), AccountEnabled: true,
			ManagerID: m, TimeZone: "W. Europe Standard Time"})
	}
	s.AddUser(graphtest.User{ID: "20-upn", UserPrincipalName: "noMail@Example.com", DisplayName: "No Mail", AccountEnabled: true,
		ManagerID: boss, TimeZone: "Mars Standard Time"})
	s.AddUser(graphtest.User{ID: "30-guest", UserPrincipalName: "ann_partner.com#EXT#@example.onmicrosoft.com", DisplayName: "Guest", AccountEnabled: true})
}

func TestEntra_People(t *testing.T) {
	s := graphtest.New(t)
	tenant(s)
	s.SetPermissions(append(graphtest.LeastPrivilege, "MailboxSettings.Read")...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	people, err := newEntra(t, s, graphtest.ClientSecret).People(ctx)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]offboard.Person{}
	for _, p := range people {
		by[p.Email] = p
	}
	// 250 users less the guest known only by its #EXT# name.
	if len(people) != 249 || len(by) != 249 {
		t.Fatalf("%d people (%d distinct)", len(people), len(by))
	}
	want := map[string]offboard.Person{
		"boss@example.com": {Email: "boss@example.com", Name: "The Boss", TimeZone: "America/Los_Angeles"},
		"p1@example.com":   {Email: "p1@example.com", Name: "Person 1", ManagerEmail: "boss@example.com", TimeZone: "Europe/Berlin"},
		// A disabled manager is no one to escalate to.
		"p10@example.com":    {Email: "p10@example.com", Name: "Person 10", TimeZone: "Europe/Berlin"},
		"gone@example.com":   {Email: "gone@example.com", Name: "Gone Manager", TimeZone: "Europe/Paris"},
		"nomail@example.com": {Email: "nomail@example.com", Name: "No Mail", ManagerEmail: "boss@example.com"},
	}
	for email, w := range want {
		if by[email] != w {
			t.Errorf("%s = %+v, want %+v", email, by[email], w)
		}
	}
	// Pages of 100 (Graph's cap with $expand) and time zones 20 a batch.
	lists := 0
	for _, r := range s.Requests() {
		if r.Path == "/v1.0/users" {
			lists++
		}
	}
	items, batches := s.BatchedCount()
	if lists != 3 || items != 249 || batches != 13 {
		t.Fatalf("%d list pages, %d time zone reads in %d batches", lists, items, batches)
	}
}

func TestEntra_PeopleWithoutMailboxSettings(t *testing.T) {
	s := graphtest.New(t)
	tenant(s)
	people, err := newEntra(t, s, graphtest.ClientSecret).People(context.Background())
	if err != nil || len(people) != 249 {
		t.Fatalf("%d people, %v", len(people), err)
	}
	managed := 0
	for _, p := range people {
		if p.TimeZone != "" {
			t.Fatalf("%s has a time zone without MailboxSettings.Read", p.Email)
		}
		if p.ManagerEmail != "" {
			managed++
		}
	}
	// 221 report to the boss (246 less the 25 under the disabled
	// manager) plus the user without mail.
	if managed != 222 {
		t.Fatalf("%d people with a manager", managed)
	}
	// The first refused batch stops the time zone reads.
	if _, batches := s.BatchedCount(); batches != 1 {
		t.Fatalf("%d time zone batches after a refusal", batches)
	}
}

func TestEntra_PeopleRefused(t *testing.T) {
	s := graphtest.New(t)
	tenant(s)
	s.SetPermissions("MailboxSettings.Read")
	_, err := newEntra(t, s, graphtest.ClientSecret).People(context.Background())
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("err = %v", err)
	}
}

func TestEntra_DirectoryDoctor(t *testing.T) {
	s := graphtest.New(t)
	s.AddUser(graphtest.User{ID: "a", UserPrincipalName: "boss@example.com", Mail: "boss@example.com", TimeZone: "UTC"})
	ctx := context.Background()
	e := newEntra(t, s, graphtest.ClientSecret)
	status := func() []offboard.CheckStatus {
		var out []offboard.CheckStatus
		for _, r := range e.DirectoryDoctor(ctx) {
			out = append(out, r.Status)
		}
		return out
	}
	// Without MailboxSettings.Read: a warning, not a failure.
	if got := status(); len(got) != 2 || got[0] != offboard.CheckOK || got[1] != offboard.CheckWarn {
		t.Fatalf("least privilege: %v", got)
	}
	s.SetPermissions(append(graphtest.LeastPrivilege, "MailboxSettings.Read")...)
	if got := status(); len(got) != 2 || got[1] != offboard.CheckOK {
		t.Fatalf("with MailboxSettings.Read: %v", got)
	}
	s.SetPermissions("MailboxSettings.Read")
	if got := e.DirectoryDoctor(ctx); len(got) != 1 || got[0].Status != offboard.CheckFail || !strings.Contains(got[0].Detail, "User.Read.All") {
		t.Fatalf("without User.Read.All: %+v", got)
	}
}
