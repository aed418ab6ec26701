package main

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
	"github.com/offboard-dev/offboard/internal/testclock"
)

// approvalOf is the task's approval with the status, or nil.
func approvalOf(v offboard.CaseView, taskKey string, st offboard.ApprovalStatus) *offboard.Approval {
	for i := range v.Approvals {
		if a := v.Approvals[i]; a.TaskKey == taskKey && a.Status == st {
			return a
		}
	}
	return nil
}

// The Google handover through serve: Mona, the manager, says yes to
// "transfer Jane's Drive to Mona" and to delegating Jane's mailbox; IT
// changing the receiver voids her yes, and she is asked again. At the
// last day the delegation runs before Google's suspension (Gmail takes a
// delegate only for an active mailbox), the transfer is followed across
// several checks until Google reports it completed, and the license is
// removed only after that.
func TestServe_GoogleHandover(t *testing.T) {
	fake := googletest.New(t)
	for _, p := range []struct{ email, given, family string }{
		{"mona.manager@example.com", "Mona", "Manager"}, {"hana.hr@example.com", "Hana", "HR"},
		{"ivan.it@example.com", "Ivan", "IT"}, {"ada.admin@example.com", "Ada", "Admin"}, {"lena.legal@example.com", "Lena", "Legal"},
	} {
		fake.AddUser(googletest.User{PrimaryEmail: p.email, GivenName: p.given, FamilyName: p.family})
	}
	janeID := fake.AddUser(googletest.User{PrimaryEmail: "jane.doe@example.com", GivenName: "Jane", FamilyName: "Doe",
		DriveFiles: 12, CalendarEvents: 3, Licenses: []string{"Google-Apps/1010020028"}})
	monaID := ""
	if u, ok := fake.User("mona.manager@example.com"); ok {
		monaID = u.ID
	}

	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	dir := t.TempDir()
	// Demo mode lets the console act as each person; the google section
	// (the test's fake) wins over the demo's own fake.
	cfgPath := writeConfig(t, dir, "demo: true\ndemo_flavour: google\nconsole:\n  enabled: true\n"+
		"licenses:\n  \"1010020028\": 14.40\n"+googleSectionYAML(t, dir, fake)+"  transfer_check_every: 1s\n")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(data), "roles:\n", "roles:\n  legal: [lena.legal@example.com]\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfgPath, wireOptions{clock: clock})

	lastDay := start.AddDate(0, 0, 3)
	body := `{"employee":{"email":"jane.doe@example.com","name":"Jane Doe","manager_email":"mona.manager@example.com"},"kind":"voluntary","last_day":"` +
		lastDay.Format(time.DateOnly) + `"}`
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	mona := newConsoleUser(t, app.url, "mona.manager@example.com")
	ivan := newConsoleUser(t, app.url, "ivan.it@example.com")
	lena := newConsoleUser(t, app.url, "lena.legal@example.com")
	click := func(p *person, ref offboard.ActionRef) string {
		return p.post("/console/click", url.Values{"room": {"OFF-0001"}, "value": {ref.Encode()}})
	}
	approve := func(p *person, taskKey string) {
		t.Helper()
		a := approvalOf(readCase(t, app, "OFF-0001"), taskKey, offboard.ApprovalPending)
		if a == nil {
			t.Fatalf("no pending approval for %s", taskKey)
		}
		click(p, offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: a.ID})
		eventually(t, taskKey+" approved", func() bool {
			return approvalOf(readCase(t, app, "OFF-0001"), taskKey, offboard.ApprovalApproved) != nil
		})
	}
	askAgain := func(to string) {
		t.Helper()
		page := click(ivan, offboard.ActionRef{Verb: offboard.VerbAskAgain, CaseID: "OFF-0001", TaskKey: "google_files"})
		if !strings.Contains(page, `name="param_to"`) {
			t.Fatalf("Ask again did not open the transfer's form:\n%.3000s", page)
		}
		ivan.post("/console/submit", url.Values{"room": {"OFF-0001"}, "form_id": {bot.FormAskAgain}, "param_to": {to}})
	}

	v := readCase(t, app, "OFF-0001")
	for _, k := range []string{"google_files", "google_mail"} {
		task := taskByKey(v, k)
		if task == nil || task.Params["to"] != "mona.manager@example.com" || task.Approval != offboard.ApproverManager {
			t.Fatalf("%s = %+v, want a manager-approved handover to Mona", k, task)
		}
	}
	for _, k := range []string{"transfer_drive", "mail_forwarding"} {
		if taskByKey(v, k) != nil {
			t.Errorf("the manual %s stayed beside Google's task", k)
		}
	}

	// Mona's yes to "transfer to Mona" is void once IT changes the
	// receiver; she is asked again and says yes to Mona once more.
	approve(mona, "google_files")
	askAgain("ivan.it@example.com")
	eventually(t, "Mona's yes void, a new question about Ivan", func() bool {
		v = readCase(t, app, "OFF-0001")
		p := approvalOf(v, "google_files", offboard.ApprovalPending)
		return approvalOf(v, "google_files", offboard.ApprovalVoid) != nil && p != nil && p.Params["to"] == "ivan.it@example.com" &&
			approvalOf(v, "google_files", offboard.ApprovalApproved) == nil
	})
	askAgain("mona.manager@example.com")
	approve(mona, "google_files")
	approve(mona, "google_mail")
	// Legal: no hold applies (the review is done; the hold question stays
	// unanswered, which holds up only deletion).
	click(lena, offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: "OFF-0001", TaskKey: "legal_hold"})

	time.Sleep(600 * time.Millisecond)
	for _, r := range fake.Requests() {
		if r.Path != "/token" && r.Method != "GET" {
			t.Fatalf("Google was changed before the last day: %s %s", r.Method, r.Path)
		}
	}

	// The last day: revocation, the mailbox first.
	clock.Set(time.Date(lastDay.Year(), lastDay.Month(), lastDay.Day(), 18, 1, 0, 0, time.UTC))
	eventually(t, "suspended, signed out, mailbox delegated", func() bool {
		v = readCase(t, app, "OFF-0001")
		for _, k := range []string{"google_suspend", "google_clear_sessions", "google_mail"} {
			if task := taskByKey(v, k); task == nil || task.Status != offboard.TaskDone {
				return false
			}
		}
		return true
	})
	jane, _ := fake.User(janeID)
	if !jane.Suspended || jane.SignOuts == 0 || len(jane.Delegates) != 1 || jane.Delegates[0] != "mona.manager@example.com" {
		t.Fatalf("Jane in Google: suspended %v, sign-outs %d, delegates %v", jane.Suspended, jane.SignOuts, jane.Delegates)
	}
	delegated, suspended := -1, -1
	for i, r := range fake.Requests() {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/settings/delegates") && delegated < 0:
			delegated = i
			if r.Subject != "jane.doe@example.com" {
				t.Errorf("the delegation acted as %q, want the mailbox owner", r.Subject)
			}
		case r.Method == "PUT" && strings.Contains(r.Path, "/admin/directory/v1/users/") && suspended < 0:
			suspended = i
		}
	}
	if delegated < 0 || suspended < 0 || delegated > suspended {
		t.Fatalf("delegation at request %d, suspension at %d: Gmail needs the mailbox active, so the delegation goes first", delegated, suspended)
	}

	// The transfer: followed across checks (the test clock moves on) until
	// Google reports it completed; the license goes only after.
	eventually(t, "the transfer done and the license removed", func() bool {
		clock.Set(clock.Now().Add(2 * time.Second))
		v = readCase(t, app, "OFF-0001")
		return taskByKey(v, "google_files").Status == offboard.TaskDone && taskByKey(v, "google_deactivate").Status == offboard.TaskDone
	})
	transfers := fake.Transfers()
	if len(transfers) != 1 || transfers[0].OldOwnerID != janeID || transfers[0].NewOwnerID != monaID ||
		transfers[0].Status != googlefake.TransferCompleted || transfers[0].Polls < 2 {
		t.Fatalf("transfers %+v, want one from Jane to Mona, completed after several checks", transfers)
	}
	if m, _ := fake.User(monaID); m.DriveFiles != 12 || m.CalendarEvents != 3 {
		t.Errorf("Mona holds %d files and %d events, want Jane's 12 and 3", m.DriveFiles, m.CalendarEvents)
	}
	files := taskByKey(v, "google_files")
	if files.Evidence["transfer_id"] != transfers[0].ID || !strings.Contains(strings.ToLower(files.Evidence["status"]), "completed") {
		t.Errorf("transfer evidence %v", files.Evidence)
	}
	deact := taskByKey(v, "google_deactivate")
	if jane, _ := fake.User(janeID); len(jane.Licenses) != 0 || !strings.Contains(deact.Evidence["monthly_seat_cost"], "14.40") {
		t.Errorf("Jane's licenses %v, evidence %v", jane.Licenses, deact.Evidence)
	}
	if files.CompletedAt == nil || deact.CompletedAt == nil || deact.CompletedAt.Before(*files.CompletedAt) {
		t.Errorf("deactivation completed %v, the transfer %v: deactivation must wait for the handover", deact.CompletedAt, files.CompletedAt)
	}
	lastCheck, firstLicense := -1, -1
	for i, r := range fake.Requests() {
		if strings.Contains(r.Path, "/admin/datatransfer/v1/transfers") {
			lastCheck = i
		}
		if r.Method == "DELETE" && strings.Contains(r.Path, "/apps/licensing/") && firstLicense < 0 {
			firstLicense = i
		}
	}
	if firstLicense < lastCheck {
		t.Errorf("a license was removed (request %d) before the transfer's last check (request %d)", firstLicense, lastCheck)
	}
}
