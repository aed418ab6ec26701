package teams_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// The Teams story through the real adapter: HR opens a case from the
// form (a bad date first), the case gets a thread with its cards and the
// manager's approval, IT's click redraws its card in place, and only the
// manager may approve.
func TestPlatform_Story(t *testing.T) {
	w := newWorld(t)
	const hanaChat = "a:hana-personal"

	// "offboard" alone answers with the form.
	w.mustPost(w.text(hana, hanaChat, "personal", "<at>offboard</at> offboard"))
	form := w.conn.WaitFor(t, "the form", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && has(a.CardText(), "Input.Date", "Input.ChoiceSet", `"ofb_form":"open_case"`)
	})

	// A last day in the past: the same card comes back with the error.
	lastDay := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	values := map[string]any{"ofb_form": "open_case", "ofb_state": "", "employee_email": "jane.doe@example.com",
		"manager": mona.Email, "kind": "voluntary", "last_day": "2020-01-01"}
	w.mustPost(w.submit(hana, hanaChat, "personal", form.ID, values))
	w.conn.WaitFor(t, "the form with the error", func(a teamstest.Activity) bool {
		return a.ID == form.ID && a.Updates == 1 && has(a.CardText(), "errorMessage", "in the past", "jane.doe@example.com")
	})
	if _, err := w.eng.GetCase(t.Context(), offboard.System("test"), "OFF-0001"); err == nil {
		t.Fatal("a case opened from a refused form")
	}
	values["last_day"] = lastDay
	w.mustPost(w.submit(hana, hanaChat, "personal", form.ID, values))
	w.conn.WaitFor(t, "the form replaced by the case header", func(a teamstest.Activity) bool {
		return a.ID == form.ID && a.Updates == 2 && has(a.CardText(), "OFF-0001") && !has(a.CardText(), "Input.Date")
	})
	v := w.view("OFF-0001")
	if v.Case.Requester.Email != hana.Email || v.Case.Employee.ManagerEmail != mona.Email {
		t.Fatalf("case opened by %q with manager %q", v.Case.Requester.Email, v.Case.Employee.ManagerEmail)
	}

	// The outbox's notice: a thread in the Offboarding channel, cards in
	// it, the approvals mentioning the manager.
	w.notify(offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: "OFF-0001"})
	convs := w.conn.Conversations()
	if len(convs) != 1 || convs[0].ChannelID != teamstest.ChannelID || !convs[0].IsGroup || convs[0].TenantID != teamstest.TenantID {
		t.Fatalf("conversations created: %+v", convs)
	}
	thread := convs[0].ID
	acts := w.conn.Activities(thread)
	if len(acts) < 3 || !has(acts[0].CardText(), "OFF-0001", "jane.doe@example.com") {
		t.Fatalf("thread starts with %d activities; first %q", len(acts), acts[0].CardText())
	}
	var itCard, approvalMsg teamstest.Activity
	for _, a := range acts {
		switch {
		case has(a.CardText(), "IT tasks", "okta_suspend"):
			itCard = a
		case slices.Contains(a.Mentioned, mona.ID) && strings.Contains(a.CardText(), "approve"):
			approvalMsg = a
		}
	}
	if itCard.ID == "" || approvalMsg.ID == "" {
		t.Fatalf("no IT card or approval in the thread:\n%+v", acts)
	}
	if !strings.Contains(approvalMsg.Text, "<at>Mona Manager</at>") {
		t.Fatalf("approval text %q does not mention the manager", approvalMsg.Text)
	}
	// The room survives restarts: it is in the case, service URL and all.
	room, _ := w.view("OFF-0001").Case.Room("teams")
	if room.ID != thread || room.HeaderRef != acts[0].ID || room.ServiceURL != w.conn.URL() || room.DepartmentCards["it"] != itCard.ID {
		t.Fatalf("recorded room = %+v", room)
	}
	// A repeated notice posts nothing new.
	w.notify(offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: "OFF-0001"})
	if n := len(w.conn.Activities(thread)); n != len(acts) || len(w.conn.Conversations()) != 1 {
		t.Fatalf("a repeated notice posted again: %d activities, %d conversations", n, len(w.conn.Conversations()))
	}

	// IT clicks "Suspend now" on its card: the card is redrawn in place.
	start := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "okta_suspend"}.Encode()
	w.mustPost(w.submit(ivan, thread, "channel", itCard.ID, map[string]any{"ofb_click": start}))
	w.conn.WaitFor(t, "the IT card redrawn", func(a teamstest.Activity) bool {
		return a.ID == itCard.ID && a.Updates == 1 && strings.Contains(a.Text, "Ivan IT")
	})
	if st := taskStatus(w.view("OFF-0001"), "okta_suspend"); st == offboard.TaskScheduled {
		t.Fatalf("okta_suspend still %s after IT's click", st)
	}

	// Someone else approving is refused, privately, and nothing changes.
	var approvalID string
	for _, a := range w.view("OFF-0001").Approvals {
		if a.TaskKey == "transfer_drive" {
			approvalID = a.ID
		}
	}
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: "OFF-0001", ApprovalID: approvalID}.Encode()
	w.mustPost(w.submit(ivan, thread, "channel", approvalMsg.ID, map[string]any{"ofb_click": approve}))
	refusal := w.conn.WaitFor(t, "the refusal in Ivan's own chat", func(a teamstest.Activity) bool {
		return strings.HasPrefix(a.ConversationID, "a:personal") && strings.Contains(a.Text, mona.Email)
	})
	if c := conversation(w.conn.Conversations(), refusal.ConversationID); c.IsGroup || !slices.Equal(c.Members, []string{ivan.ID}) {
		t.Fatalf("refusal went to %+v", c)
	}
	if approval(w.view("OFF-0001"), approvalID) != offboard.ApprovalPending {
		t.Fatal("IT's approval click changed the approval")
	}
	if a := find(w.conn.Activities(thread), approvalMsg.ID); a.Updates != 0 {
		t.Fatal("a refused click redrew the approval card")
	}

	// The manager approves: accepted, and the card says so in place.
	w.mustPost(w.submit(mona, thread, "channel", approvalMsg.ID, map[string]any{"ofb_click": approve}))
	w.conn.WaitFor(t, "the approval card redrawn", func(a teamstest.Activity) bool {
		return a.ID == approvalMsg.ID && a.Updates == 1 && strings.Contains(a.Text, "Mona Manager approved")
	})
	if st := approval(w.view("OFF-0001"), approvalID); st != offboard.ApprovalApproved {
		t.Fatalf("approval after the manager's click: %s", st)
	}

	// status and list answer in the personal chat.
	w.mustPost(w.text(hana, hanaChat, "personal", "status jane.doe@example.com"))
	w.conn.WaitFor(t, "the status answer", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.Text, "OFF-0001") && strings.Contains(a.Text, "jane.doe")
	})
	// help speaks Teams: no slash commands.
	w.mustPost(w.text(hana, hanaChat, "personal", "help"))
	help := w.conn.WaitFor(t, "the help", func(a teamstest.Activity) bool {
		return a.ConversationID == hanaChat && strings.Contains(a.Text, "involuntary")
	})
	if strings.Contains(help.Text, "/offboard") {
		t.Fatalf("help in Teams mentions slash commands: %q", help.Text)
	}
	// Bot Framework got single-tenant tokens only, and few of them.
	if n := w.login.Requests(); n != 1 {
		t.Fatalf("token requests: %d, want 1 (cached)", n)
	}
}

// A 429 from the connector pauses the outbox: Notify returns a rate-limit
// error with the connector's Retry-After, and waits it out.
func TestPlatform_RateLimit(t *testing.T) {
	w := newWorld(t)
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.conn.Throttle(1)
	err = w.p.Notify(t.Context(), offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	rl, ok := err.(*offboard.RateLimitError)
	if !ok {
		t.Fatalf("Notify under a 429 = %v, want a rate-limit error", err)
	}
	if rl.API != "teams" || time.Until(rl.Reset) < 5*time.Second || time.Until(rl.Reset) > 8*time.Second {
		t.Fatalf("rate limit = %+v, want teams for ~7 s", rl)
	}
	// Paused: the next notice does not even call.
	if err := w.p.Notify(t.Context(), offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID}); err == nil {
		t.Fatal("a notice went out during the pause")
	}
	if n := len(w.conn.Conversations()); n != 0 {
		t.Fatalf("%d threads created while throttled", n)
	}
}

// A confidential case's thread names nobody.
func TestPlatform_ConfidentialThread(t *testing.T) {
	w := newWorld(t)
	cmd := openJane()
	cmd.Kind = offboard.Involuntary
	res, err := w.eng.Apply(t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Case.Confidential {
		t.Fatal("an involuntary case is not confidential by default")
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	acts := w.conn.Activities("")
	if len(acts) < 2 {
		t.Fatalf("only %d activities", len(acts))
	}
	if !strings.Contains(acts[0].CardText(), "Confidential offboarding") {
		t.Fatalf("header = %s", acts[0].CardText())
	}
	for _, a := range acts {
		if has(strings.ToLower(a.CardText()+a.Text), "jane") {
			t.Fatalf("a confidential thread names the employee: %s %s", a.Text, a.CardText())
		}
	}
}

func openJane() flowsOpen {
	return flowsOpen{By: offboard.Actor{Kind: offboard.ActorPerson, Email: hana.Email}, Kind: offboard.Voluntary,
		LastDay:  time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02"),
		Employee: offboard.Employee{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: mona.Email}}
}

func taskStatus(v *flowsView, key string) offboard.TaskStatus {
	for _, t := range v.Tasks {
		if t.Key == key {
			return t.Status
		}
	}
	return ""
}

func approval(v *flowsView, id string) offboard.ApprovalStatus {
	for _, a := range v.Approvals {
		if a.ID == id {
			return a.Status
		}
	}
	return ""
}

func find(acts []teamstest.Activity, id string) teamstest.Activity {
	for _, a := range acts {
		if a.ID == id {
			return a
		}
	}
	return teamstest.Activity{}
}

func conversation(cs []teamstest.Conversation, id string) teamstest.Conversation {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return teamstest.Conversation{}
}

var _ = http.StatusOK

// After a restart (a new platform on the same store, with no service URL
// configured and no message yet) cards are still updated in place and
// new cases still get threads, on the stored service URL.
func TestPlatform_Restart(t *testing.T) {
	w := newWorld(t)
	first, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: first.Case.ID})
	room, _ := w.view(first.Case.ID).Case.Room("teams")

	p2 := w.restart(t)
	if _, err := w.eng.Apply(t.Context(), completeTask(first.Case.ID, "exit_interview")); err != nil {
		t.Fatal(err)
	}
	if err := p2.Notify(t.Context(), offboard.Notice{Kind: offboard.NoticeTasksUpdated, CaseID: first.Case.ID, Department: offboard.DeptHR}); err != nil {
		t.Fatal(err)
	}
	if a := find(w.conn.Activities(room.ID), room.DepartmentCards["hr"]); a.Updates != 1 {
		t.Fatalf("the HR card after a restart: %d updates", a.Updates)
	}
	cmd := openJane()
	cmd.Employee = offboard.Employee{Email: "joe@example.com", ManagerEmail: mona.Email}
	second, err := w.eng.Apply(t.Context(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Notify(t.Context(), offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: second.Case.ID}); err != nil {
		t.Fatal(err)
	}
	if n := len(w.conn.Conversations()); n != 2 {
		t.Fatalf("%d threads, want 2", n)
	}
}

// A redelivered click acts once.
func TestPlatform_RedeliveredActivity(t *testing.T) {
	w := newWorld(t)
	act := w.text(hana, "a:hana", "personal", "offboard joe@example.com involuntary")
	w.mustPost(act)
	w.mustPost(act)
	n := 0
	for _, a := range w.conn.Activities("a:hana") {
		if strings.Contains(a.Text, "joe@example.com") || strings.Contains(a.Text, "already") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d answers to one activity delivered twice", n)
	}
}

// In a channel, what the bot answers about a confidential case names
// nobody: a case opened there, and a click on its card in the thread.
func TestPlatform_ConfidentialInChannel(t *testing.T) {
	w := newWorld(t)
	const channel = "19:general@thread.tacv2;messageid=42"
	w.mustPost(w.text(hana, channel, "channel", "<at>offboard</at> offboard joe.secret@example.com involuntary"))
	opened := w.conn.WaitFor(t, "the answer in the channel", func(a teamstest.Activity) bool {
		return a.ConversationID == channel && strings.Contains(a.Text, "OFF-0001")
	})
	if has(strings.ToLower(opened.Text+opened.CardText()), "joe.secret") {
		t.Fatalf("the channel answer names the employee: %s %s", opened.Text, opened.CardText())
	}
	if !w.view("OFF-0001").Case.Confidential {
		t.Fatal("an involuntary case is not confidential")
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: "OFF-0001"})
	room, _ := w.view("OFF-0001").Case.Room("teams")
	hrCard := room.DepartmentCards["hr"]
	done := offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: "OFF-0001", TaskKey: "signed_documents"}.Encode()
	w.mustPost(w.submit(hana, room.ID, "channel", hrCard, map[string]any{"ofb_click": done}))
	redrawn := w.conn.WaitFor(t, "the HR card redrawn", func(a teamstest.Activity) bool {
		return a.ID == hrCard && a.Updates == 1
	})
	if has(strings.ToLower(redrawn.Text+redrawn.CardText()), "joe.secret") {
		t.Fatalf("the redrawn card names the employee: %s %s", redrawn.Text, redrawn.CardText())
	}
}

// A reminder mentions the approver in the thread and reaches them in
// their own chat; delivered again, it posts nothing more.
func TestPlatform_Reminder(t *testing.T) {
	w := newWorld(t)
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	room, _ := w.view(res.Case.ID).Case.Room("teams")
	n := offboard.Notice{ID: "OFF-0001/remind#1", Kind: offboard.NoticeApprovalReminder, CaseID: res.Case.ID,
		ApprovalID: "OFF-0001-A1", To: []string{mona.Email}, Text: "Still waiting for your approval"}
	w.notify(n)
	w.notify(n)
	var inThread, direct int
	for _, a := range w.conn.Activities("") {
		if !strings.Contains(a.Text, "Still waiting") {
			continue
		}
		switch {
		case a.ConversationID == room.ID && slices.Contains(a.Mentioned, mona.ID):
			inThread++
		case conversation(w.conn.Conversations(), a.ConversationID).Members != nil:
			if c := conversation(w.conn.Conversations(), a.ConversationID); !c.IsGroup && slices.Equal(c.Members, []string{mona.ID}) {
				direct++
			}
		}
	}
	if inThread != 1 || direct != 1 {
		t.Fatalf("reminder posted %d times in the thread and %d times to Mona, want 1 and 1", inThread, direct)
	}
}

// Skipping asks why in a form below the card; an empty reason shows the
// error on the same form, a reason skips the task and the form becomes
// the redrawn card.
func TestPlatform_SkipWithReason(t *testing.T) {
	w := newWorld(t)
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	room, _ := w.view(res.Case.ID).Case.Room("teams")
	skip := offboard.ActionRef{Verb: offboard.VerbSkip, CaseID: res.Case.ID, TaskKey: "exit_interview"}.Encode()
	w.mustPost(w.submit(hana, room.ID, "channel", room.DepartmentCards["hr"], map[string]any{"ofb_click": skip}))
	form := w.conn.WaitFor(t, "the skip form", func(a teamstest.Activity) bool {
		return a.ConversationID == room.ID && strings.Contains(a.CardText(), `"ofb_form":"skip_task"`)
	})
	value := map[string]any{"ofb_form": "skip_task", "ofb_state": "skip|OFF-0001|exit_interview|", "reason": ""}
	w.mustPost(w.submit(hana, room.ID, "channel", form.ID, value))
	w.conn.WaitFor(t, "the form with its error", func(a teamstest.Activity) bool {
		return a.ID == form.ID && a.Updates == 1 && strings.Contains(a.CardText(), "Say why the task is skipped.")
	})
	value["reason"] = "She declined the interview"
	w.mustPost(w.submit(hana, room.ID, "channel", form.ID, value))
	w.conn.WaitFor(t, "the form replaced by the HR card", func(a teamstest.Activity) bool {
		return a.ID == form.ID && a.Updates == 2 && strings.Contains(a.CardText(), "HR tasks") && strings.Contains(a.Text, "She declined the interview")
	})
	if st := taskStatus(w.view(res.Case.ID), "exit_interview"); st != offboard.TaskSkipped {
		t.Fatalf("exit_interview is %s, want skipped", st)
	}
}
