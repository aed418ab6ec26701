package slack

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Cases of one batch are announced once per department channel: one
// summary, redrawn in place with the count, naming nobody; each case
// records it as its announcement there. A case is counted before its room
// is created (a room is a dozen calls at Tier 2's pace; when rooms wait
// for their turns is TestNotify_BatchRoomTurns'). A case outside the
// batch is announced on its own as before.
func TestNotify_BatchSummary(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	ctx := context.Background()
	var ids []offboard.CaseID
	emails := []string{"jane@example.com", "john@example.com", "joan@example.com"}
	for i, email := range emails {
		res, err := w.p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
			Employee: offboard.Employee{Email: email, Name: "Leaver " + email, ManagerEmail: "mona@example.com"}, Batch: "layoff-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Case.ID)
		// The clock stands still: rooms take no time, so every turn is now.
		if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + email, Kind: offboard.NoticeCaseOpened, CaseID: res.Case.ID}); err != nil {
			t.Fatalf("notify case %d: %v", i, err)
		}
	}
	if n := len(w.s.Calls("conversations.create")); n != 3 {
		t.Errorf("%d rooms created, want 3", n)
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

// A restart in the middle of a batch keeps its summary: the cases counted
// before it stay counted, the next case redraws the same summary (no
// second one is posted), and a case counted before the restart is not
// counted twice when its notice comes back.
func TestNotify_BatchSummarySurvivesRestart(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	ctx := context.Background()
	open := func(email string) offboard.CaseID {
		res, err := w.p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
			Employee: offboard.Employee{Email: email, Name: "Leaver " + email, ManagerEmail: "mona@example.com"}, Batch: "layoff-1"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Case.ID
	}
	notify := func(id offboard.CaseID) {
		for range 3 {
			err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + string(id), Kind: offboard.NoticeCaseOpened, CaseID: id})
			if err == nil {
				return
			}
			if _, ok := errors.AsType[*offboard.RateLimitError](err); !ok {
				t.Fatalf("notify %s: %v", id, err)
			}
		}
		t.Fatalf("notify %s never finished", id)
	}
	first, second := open("jane@example.com"), open("john@example.com")
	notify(first)
	// The second case is counted, and the process stops before its room.
	w.s.FailNext("conversations.create", 500, "", nil)
	if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + string(second), Kind: offboard.NoticeCaseOpened, CaseID: second}); err == nil {
		t.Fatal("the second case's room was made though Slack failed; want it counted and its notice failed")
	}
	w.restart(t)
	notify(second)
	third := open("joan@example.com")
	notify(third)
	top := 0
	for _, m := range w.s.Messages("CIT") {
		if m.Thread == "" {
			top++
		}
	}
	if top != 1 {
		t.Fatalf("%d top-level posts in IT's channel after a restart mid-batch, want the one summary", top)
	}
	deadline := time.Now().Add(3 * summaryEveryForTest)
	for !strings.Contains(w.s.Messages("CIT")[0].Text, "3 offboarding cases") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sum := w.s.Messages("CIT")[0]
	if !strings.Contains(sum.Text, "3 offboarding cases need IT") {
		t.Errorf("summary after the restart = %q, want the batch's 3 cases, each counted once", sum.Text)
	}
	for _, id := range []offboard.CaseID{first, second, third} {
		if got := w.room(t, id).Announcements[offboard.DeptIT]; got != sum.TS {
			t.Errorf("%s: announcement %q, want the summary %q", id, got, sum.TS)
		}
	}
}

// fastClock runs k times faster than the wall clock, plus what the test
// skips: a room's few milliseconds are minutes of it.
type fastClock struct {
	start, base time.Time
	k           time.Duration
	mu          sync.Mutex
	skipped     time.Duration
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.start)*c.k + c.skipped)
}

func (c *fastClock) skip(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped += d
}

// A batch's rooms open in turns, a share of a room's measured opening
// time apart. A case counted before its turn sends one notice back to
// the outbox for the turn; its later notices that only redraw what the
// room will draw are done at once, without a Slack call. A failure,
// which needs people, opens the room ahead of its turn, with the summary
// as its announcement.
func TestNotify_BatchRoomTurns(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	clock := &fastClock{start: time.Now(), base: w.clock.Now(), k: 1000}
	o := w.opts
	o.Clock = clock
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []offboard.CaseID
	for _, email := range []string{"jane@example.com", "john@example.com", "joan@example.com"} {
		res, err := w.p.engine.Apply(ctx, offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Involuntary,
			Employee: offboard.Employee{Email: email, Name: "Leaver " + email, ManagerEmail: "mona@example.com"}, Batch: "layoff-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Case.ID)
	}
	opened := func(id offboard.CaseID) offboard.Notice {
		return offboard.Notice{ID: "open-" + string(id), Kind: offboard.NoticeCaseOpened, CaseID: id}
	}
	// The first room is slow (minutes of the clock): it sets the pace.
	w.s.SetLatency(20 * time.Millisecond)
	if err := p.Notify(ctx, opened(ids[0])); err != nil {
		t.Fatalf("the first case: %v", err)
	}
	w.s.SetLatency(0)
	if err := p.Notify(ctx, opened(ids[1])); err != nil {
		t.Fatalf("the second case, whose turn was given before the pace was known: %v", err)
	}
	creates := len(w.s.Calls("conversations.create"))
	err = p.Notify(ctx, opened(ids[2]))
	rl, ok := errors.AsType[*offboard.RateLimitError](err)
	if !ok || rl.API != ScopedAPI("batch-rooms") {
		t.Fatalf("the third case = %v, want it counted and sent back until its turn", err)
	}
	if !rl.Reset.After(clock.Now()) {
		t.Errorf("its turn %v is not after now %v", rl.Reset, clock.Now())
	}
	calls := len(w.s.Calls("chat.postMessage")) + len(w.s.Calls("chat.update")) + len(w.s.Calls("conversations.create"))
	redraw := offboard.Notice{ID: "tasks-3", Kind: offboard.NoticeTasksUpdated, CaseID: ids[2], Department: offboard.DeptIT}
	if err := p.Notify(ctx, redraw); err != nil {
		t.Errorf("a redraw of the waiting case = %v, want it done: the waiting notice draws the room", err)
	}
	if now := len(w.s.Calls("chat.postMessage")) + len(w.s.Calls("chat.update")) + len(w.s.Calls("conversations.create")); now != calls {
		t.Errorf("the redraw of a case without its room made %d Slack calls", now-calls)
	}
	if n := len(w.s.Calls("conversations.create")); n != creates {
		t.Fatalf("%d rooms created before the third case's turn", n-creates)
	}
	// A failure needs people: the case's room goes ahead of its turn
	// (no other case is in that line), and the line is posted in it.
	line := offboard.Notice{ID: "failed-3", Kind: offboard.NoticeTaskFailed, CaseID: ids[2], Text: "Okta said no"}
	if err := p.Notify(ctx, line); err != nil {
		t.Fatalf("a failure of the waiting case = %v, want its room opened ahead of its turn", err)
	}
	if n := len(w.s.Calls("conversations.create")); n != creates+1 {
		t.Errorf("%d rooms created for the failure, want 1", n-creates)
	}
	// The notice that waited for the turn finds the room open.
	clock.skip(rl.Reset.Sub(clock.Now()) + time.Second)
	if err := p.Notify(ctx, opened(ids[2])); err != nil {
		t.Fatalf("the third case at its turn: %v", err)
	}
	if n := len(w.s.Calls("conversations.create")); n != creates+1 {
		t.Errorf("%d rooms created at the third case's turn, want the one", n-creates)
	}
	sum := w.s.Messages("CIT")
	if len(sum) != 1 {
		t.Fatalf("%d messages in IT's channel, want the one summary", len(sum))
	}
	if got := w.room(t, ids[2]).Announcements[offboard.DeptIT]; got != sum[0].TS {
		t.Errorf("the third case's announcement %q, want the summary %q", got, sum[0].TS)
	}
}
