package teams_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// In Teams, which has no message only one person in a channel sees,
// "Show lock PIN" clicked in the case's thread answers IT in their own
// chat with the bot; Finance's click is refused there too, and the
// thread never holds the PIN.
func TestPlatform_RevealSecretInPersonalChat(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	res, err := w.eng.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Voluntary, Source: "test",
		LastDay: time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02"), Employee: offboard.Employee{Email: "jane.doe@example.com", Name: "Jane Doe"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Case.ID
	it := offboard.Actor{Kind: offboard.ActorPerson, Email: ivan.Email}
	if _, err := w.eng.Apply(ctx, offboard.StartTask{By: it, CaseID: id, TaskKey: "okta_suspend"}); err != nil {
		t.Fatal(err)
	}
	const pin = "907314"
	if _, err := w.eng.Apply(ctx, offboard.ActionSucceeded{By: offboard.System("runner"), JobID: offboard.ActionJobID(id, "okta_suspend", 1),
		Verified: true, Secrets: offboard.Secrets{"device_pin:mac1": pin}}); err != nil {
		t.Fatal(err)
	}
	w.notify(offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: id})
	convs := w.conn.Conversations()
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want the case's thread", len(convs))
	}
	thread := convs[0].ID
	var itCard teamstest.Activity
	for _, a := range w.conn.Activities(thread) {
		if has(a.CardText(), "IT tasks", "Show lock PIN") {
			itCard = a
		}
	}
	if itCard.ID == "" {
		t.Fatal("no IT card with Show lock PIN in the thread")
	}
	click := offboard.ActionRef{Verb: offboard.VerbRevealSecret, CaseID: id, TaskKey: "okta_suspend"}.Encode()
	w.mustPost(w.submit(ivan, thread, "channel", itCard.ID, map[string]any{"ofb_click": click}))
	answer := w.conn.WaitFor(t, "the PIN in Ivan's own chat", func(a teamstest.Activity) bool {
		return strings.HasPrefix(a.ConversationID, "a:personal") && strings.Contains(a.Text, "lock PIN "+pin)
	})
	if c := conversation(w.conn.Conversations(), answer.ConversationID); c.IsGroup || !slices.Equal(c.Members, []string{ivan.ID}) {
		t.Fatalf("the PIN went to %+v", c)
	}
	w.mustPost(w.submit(fiona, thread, "channel", itCard.ID, map[string]any{"ofb_click": click}))
	w.conn.WaitFor(t, "the refusal in Fiona's own chat", func(a teamstest.Activity) bool {
		return strings.HasPrefix(a.ConversationID, "a:personal") && strings.Contains(a.Text, "may not run")
	})
	for _, c := range w.conn.Conversations() {
		for _, a := range w.conn.Activities(c.ID) {
			if strings.Contains(a.Text+a.CardText(), pin) && c.ID != answer.ConversationID {
				t.Errorf("conversation %s got the PIN", c.ID)
			}
		}
	}
}
