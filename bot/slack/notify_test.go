package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// A notice the outbox delivers again (its first delivery's result was
// lost) posts its message once.
func TestNotify_RetriedNoticePostsOnce(t *testing.T) {
	s := slacktest.New(t)
	p := digestPlatform(t, s)
	ctx := context.Background()
	res, err := p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "jane@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	n := offboard.Notice{ID: "OFF-0001/notice#42", Kind: offboard.NoticeTaskFailed, CaseID: res.Case.ID,
		Department: offboard.DeptIT, Text: "Suspend failed: Okta is not configured"}
	for range 3 {
		if err := p.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	v, err := p.engine.GetCase(ctx, offboard.System(PlatformName), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	room, _ := v.Case.Room(PlatformName)
	posted := func() int {
		n := 0
		for _, m := range s.Messages(room.ID) {
			if strings.Contains(m.Text, "Suspend failed") {
				n++
			}
		}
		return n
	}
	if got := posted(); got != 1 {
		t.Fatalf("the failure was posted %d times, want once", got)
	}
	// A different notice is a different message.
	n.ID = "OFF-0001/notice#43"
	if err := p.Notify(ctx, n); err != nil {
		t.Fatal(err)
	}
	if got := posted(); got != 2 {
		t.Fatalf("a second notice posted %d messages in all, want 2", got)
	}
}
