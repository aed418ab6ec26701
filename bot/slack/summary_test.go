package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Cases of one batch are announced once per department channel: one
// summary, redrawn in place with the count, naming nobody; each case
// records it as its announcement there. A case outside the batch is
// announced on its own as before.
func TestNotify_BatchSummary(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	ctx := context.Background()
	var ids []offboard.CaseID
	for i, email := range []string{"jane@example.com", "john@example.com", "joan@example.com"} {
		res, err := w.p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
			Employee: offboard.Employee{Email: email, Name: "Leaver " + email, ManagerEmail: "mona@example.com"}, Batch: "layoff-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Case.ID)
		if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + email, Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID}); err != nil {
			t.Fatalf("notify %d: %v", i, err)
		}
	}
	msgs := w.s.Messages("CIT")
	if len(msgs) != 1 {
		t.Fatalf("%d messages in IT's channel, want one summary: %+v", len(msgs), msgs)
	}
	// The last redraw may wait summaryEvery after the one before.
	deadline := time.Now().Add(3 * summaryEveryForTest)
	for !strings.Contains(w.s.Messages("CIT")[0].Text, "3 offboarding cases") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sum := w.s.Messages("CIT")[0]
	if !strings.Contains(sum.Text, "3 offboarding cases need IT") || !strings.Contains(sum.Text, "3 of them are confidential") {
		t.Errorf("summary = %q, want 3 cases, 3 confidential", sum.Text)
	}
	if strings.Contains(sum.Text, "Leaver") || strings.Contains(sum.Text, "@example.com") {
		t.Errorf("the summary names someone: %q", sum.Text)
	}
	for _, id := range ids {
		if got := w.room(t, id).Announcements[offboard.DeptIT]; got != sum.TS {
			t.Errorf("%s: announcement %q, want the summary %q", id, got, sum.TS)
		}
	}
	alone := w.open(t, "solo@example.com")
	if err := w.p.Notify(ctx, offboard.Notice{ID: "open-solo", Kind: offboard.NoticeCaseOpened, CaseID: alone}); err != nil {
		t.Fatal(err)
	}
	if n := len(w.s.Messages("CIT")); n != 2 {
		t.Errorf("%d messages in IT's channel after a case outside the batch, want 2", n)
	}
}

// summaryEveryForTest is the bot's redraw bound, as the test waits it.
const summaryEveryForTest = 2 * time.Second

// A redraw that Slack refuses (a 429 on chat.update) is tried again, so
// the summary ends with the batch's last count even when no case follows
// to redraw it (before, the scheduled redraw gave up and the summary kept
// the count of the first case).
func TestNotify_BatchSummaryRedrawRetried(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	ctx := context.Background()
	for i, email := range []string{"jane@example.com", "john@example.com"} {
		res, err := w.p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
			Employee: offboard.Employee{Email: email, Name: "Leaver " + email, ManagerEmail: "mona@example.com"}, Batch: "layoff-1"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			w.s.FailNext("chat.update", 429, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "1"})
		}
		if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + email, Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID}); err != nil {
			t.Fatalf("notify %d: %v", i, err)
		}
	}
	deadline := time.Now().Add(4 * summaryEveryForTest)
	for !strings.Contains(w.s.Messages("CIT")[0].Text, "2 offboarding cases") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := w.s.Messages("CIT")[0].Text; !strings.Contains(got, "2 offboarding cases need IT") {
		t.Errorf("summary = %q after a refused redraw, want the batch's 2 cases", got)
	}
	if n := len(w.s.Calls("chat.update")); n < 2 {
		t.Errorf("%d chat.update calls, want the refused one and its retry", n)
	}
}
