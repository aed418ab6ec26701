package teams_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// The members API names the AAD object id "objectId" (activities' from
// call it "aadObjectId"): a person read from it, as sender or as someone
// mentioned, is known by object id, so roles given that way apply.
func TestPlatform_AADObjectID(t *testing.T) {
	w := newWorld(t)
	w.mustPost(w.text(ivan, "a:ivan", "personal", "help"))
	w.conn.WaitFor(t, "the help answer", func(a teamstest.Activity) bool { return a.ConversationID == "a:ivan" })
	if got := w.p.AADObjectID(ivan.Email); got != ivan.AADObjectID {
		t.Errorf("sender: AADObjectID(%s) = %q, want %q", ivan.Email, got, ivan.AADObjectID)
	}
	// Mona is only mentioned (the approver), never a sender.
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	if got := w.p.AADObjectID(mona.Email); got != mona.AADObjectID {
		t.Errorf("mentioned: AADObjectID(%s) = %q, want %q", mona.Email, got, mona.AADObjectID)
	}
}

// Rick's mail address is not his UPN. The members API finds people by
// Teams id, object id or UPN only, so looking him up by email must not
// stop at its 404: the approval and the reminder still mention him, and
// he is in the team's people under his email.
func TestPlatform_LookupEmailNotUPN(t *testing.T) {
	w := newWorld(t)
	rick := teamstest.Member{ID: "29:rick", AADObjectID: "aad-rick", Email: "Rick.Stevens@example.com", UPN: "rstevens@example.com", Name: "Rick Stevens"}
	w.conn.AddMember(rick)
	open := openJane()
	open.Employee.ManagerEmail = "rick.stevens@example.com"
	res, err := w.eng.Apply(t.Context(), open)
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	room, _ := w.view(res.Case.ID).Case.Room("teams")
	approvalMsg := w.conn.WaitFor(t, "the approval", func(a teamstest.Activity) bool {
		return a.ConversationID == room.ID && strings.Contains(a.Text, "your decision is needed")
	})
	if !slices.Contains(approvalMsg.Mentioned, rick.ID) || !strings.Contains(approvalMsg.Text, "<at>Rick Stevens</at>") {
		t.Fatalf("the approval does not mention Rick: %q, mentioned %v", approvalMsg.Text, approvalMsg.Mentioned)
	}
	if got := w.p.AADObjectID("rick.stevens@example.com"); got != rick.AADObjectID {
		t.Errorf("AADObjectID by email = %q", got)
	}
	people, err := w.p.People(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(people, func(p offboard.Person) bool {
		return p.Email == "rick.stevens@example.com" && p.Name == "Rick Stevens"
	}) {
		t.Errorf("Rick is not among the team's people by email: %+v", people)
	}
}

// A one-to-one chat is created as documented: bot, one member, the
// tenant in channelData; the fake refuses it without the bot, as Teams
// does.
func TestPlatform_PrivateChatNamesTheBot(t *testing.T) {
	w := newWorld(t)
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	w.notify(offboard.Notice{ID: "r1", Kind: offboard.NoticeApprovalReminder, CaseID: res.Case.ID,
		ApprovalID: string(res.Case.ID) + "-A1", To: []string{mona.Email}, Text: "Still waiting"})
	var direct []teamstest.Conversation
	for _, c := range w.conn.Conversations() {
		if c.ChannelID == "" {
			direct = append(direct, c)
		}
	}
	if len(direct) != 1 || direct[0].Bot != "28:"+teamstest.AppID || direct[0].IsGroup || !slices.Equal(direct[0].Members, []string{mona.ID}) {
		t.Fatalf("one-to-one chats created: %+v", direct)
	}
	if r := w.conn.Refusals(); len(r) != 0 {
		t.Fatalf("the connector refused: %+v", r)
	}
}

// A card over Teams' message size limit is trimmed to fit, with a note
// that says so and where to read the rest, instead of a 413 the outbox
// would retry forever.
func TestPlatform_OversizedCard(t *testing.T) {
	w := newWorld(t)
	res, err := w.eng.Apply(t.Context(), openJane())
	if err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID})
	ivanActor := offboard.Actor{Kind: offboard.ActorPerson, Email: ivan.Email}
	skipped := 0
	for _, task := range w.view(res.Case.ID).Tasks {
		if task.Department != offboard.DeptIT || task.Key == "device_recover" {
			continue // the laptop stays, for Ivan to click below
		}
		reason := strings.Repeat("The laptop was returned to the Berlin office and wiped by the vendor. ", 70)
		if _, err := w.eng.Apply(t.Context(), offboard.SkipTask{By: ivanActor, CaseID: res.Case.ID, TaskKey: task.Key, Reason: reason}); err == nil {
			skipped++
		}
	}
	if skipped < 3 {
		t.Fatalf("only %d IT tasks skipped; the card would not be oversized", skipped)
	}
	w.notify(offboard.Notice{Kind: offboard.NoticeTasksUpdated, CaseID: res.Case.ID, Department: offboard.DeptIT})
	room, _ := w.view(res.Case.ID).Case.Room("teams")
	var card teamstest.Activity
	for _, a := range w.conn.Activities(room.ID) {
		if a.ID == room.DepartmentCards["it"] {
			card = a
		}
	}
	if card.Updates == 0 || !has(card.CardText(), "IT tasks", "too long for one Teams message", "`status` with the case id") {
		t.Fatalf("the IT card was not redrawn with a note (%d updates): %.400s", card.Updates, card.CardText())
	}
	// Ivan's click redraws the same card through the adapter's reply
	// path: cut to fit too.
	// (The laptop's task is done only through the return form, so the
	// click takes it.)
	take := offboard.ActionRef{Verb: offboard.VerbAssign, CaseID: res.Case.ID, TaskKey: "device_recover"}.Encode()
	w.mustPost(w.submit(ivan, room.ID, "channel", card.ID, map[string]any{"ofb_click": take}))
	w.conn.WaitFor(t, "the IT card redrawn after the click", func(a teamstest.Activity) bool {
		return a.ID == card.ID && a.Updates > card.Updates && has(a.CardText(), "too long for one Teams message")
	})
	for _, task := range w.view(res.Case.ID).Tasks {
		if task.Key == "device_recover" && task.Assignee != ivan.Email {
			t.Fatalf("device_recover assigned to %q, want %s", task.Assignee, ivan.Email)
		}
	}
	if r := w.conn.Refusals(); len(r) != 0 {
		t.Fatalf("the connector refused: %+v", r)
	}
}
