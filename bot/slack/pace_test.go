package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// pacedPlatform is a platform on the wall clock (pacing is Slack's
// time) against a fake Slack with channels C1 and C2.
func pacedPlatform(t *testing.T, o Options) (*Platform, *slacktest.Server) {
	t.Helper()
	s := slacktest.New(t)
	s.AddChannel("C1", "it", true)
	s.AddChannel("C2", "finance", true)
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng := flowstest.New(t, flowstest.Options{Store: db})
	router, err := bot.New(bot.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	o.AppToken, o.BotToken, o.APIURL, o.Router, o.Engine = slacktest.AppToken, slacktest.BotToken, s.APIURL(), router, eng
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

func text(s string) slack.MsgOption { return slack.MsgOptionText(s, false) }

// A 429 on one channel holds that channel alone, until Slack's
// Retry-After: a post to another goes at once, and nothing is sent to the
// limited one before its time.
func TestPlatform_postMessage_limitHoldsOneChannel(t *testing.T) {
	p, s := pacedPlatform(t, Options{})
	s.SetChatLimit(1, 5*time.Second)
	ctx := context.Background()
	if _, err := p.postMessage(ctx, "C1", text("one")); err != nil {
		t.Fatal(err)
	}
	_, err := p.postMessage(ctx, "C1", text("two"))
	rl, ok := errors.AsType[*offboard.RateLimitError](err)
	if !ok || rl.API != ScopedAPI("channel:C1") || rl.Reset.Sub(time.Now()) < 4*time.Second {
		t.Fatalf("second post to C1 = %v, want C1 held about 5 s", err)
	}
	began := time.Now()
	if _, err := p.postMessage(ctx, "C2", text("elsewhere")); err != nil {
		t.Fatalf("a post to C2 while C1 is held: %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("the post to C2 waited %v for C1's limit", took)
	}
	calls := len(s.Calls("chat.postMessage"))
	if _, err := p.postMessage(ctx, "C1", text("three")); !errors.As(err, &rl) {
		t.Fatalf("a post to C1 inside its Retry-After = %v, want it held", err)
	}
	if n := len(s.Calls("chat.postMessage")); n != calls {
		t.Errorf("%d posts went to Slack inside the Retry-After", n-calls)
	}
	if s.EarlySends() != 0 {
		t.Errorf("the fake counted %d early sends", s.EarlySends())
	}
}

// Posts to one channel go at its pace: a burst, then one every
// PostEvery, without a single 429 from a Slack that enforces the same.
func TestPlatform_postMessage_paced(t *testing.T) {
	p, s := pacedPlatform(t, Options{PostEvery: 100 * time.Millisecond, PostBurst: 2})
	s.SetChatLimit(2, 100*time.Millisecond)
	ctx := context.Background()
	began := time.Now()
	for i := range 8 {
		if _, err := p.postMessage(ctx, "C1", text("x")); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Errorf("8 posts took %v; the pace allows 2 and then one each 100 ms", took)
	}
	if s.Limited() != 0 || s.EarlySends() != 0 {
		t.Errorf("Slack answered %d 429s, %d early sends", s.Limited(), s.EarlySends())
	}
}

// A slot further than PaceWait is not waited for: the notice goes back to
// the outbox until then, holding no worker.
func TestPlatform_postMessage_deferredPastWait(t *testing.T) {
	p, s := pacedPlatform(t, Options{PostEvery: time.Second, PostBurst: 1, PaceWait: 100 * time.Millisecond})
	ctx := context.Background()
	if _, err := p.postMessage(ctx, "C1", text("x")); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err := p.postMessage(ctx, "C1", text("y"))
	rl, ok := errors.AsType[*offboard.RateLimitError](err)
	if !ok || rl.Reset.Before(began.Add(800*time.Millisecond)) {
		t.Fatalf("second post = %v, want it deferred about 1 s", err)
	}
	if took := time.Since(began); took > 50*time.Millisecond {
		t.Errorf("the deferral took %v", took)
	}
	if n := len(s.Calls("chat.postMessage")); n != 1 {
		t.Errorf("%d posts reached Slack, want 1", n)
	}
}

// A case's room waits on Tier 2 without holding a chat worker: a create
// slot that is not free now is held for the case and the notice is sent
// back at once with that slot as its Reset (before, the worker slept for
// it, and a layoff's other notices — the batch summary's count among
// them — queued behind the rooms). Each case gets its own slot, one pace
// apart; a case that asks again early is told the same slot, and one
// that comes back at its slot (or just before) creates its room without
// a 429.
func TestPlatform_createChannel_heldSlotFreesWorker(t *testing.T) {
	const every = 400 * time.Millisecond
	p, s := pacedPlatform(t, Options{CreateEvery: every, CreateBurst: 1, PaceWait: 50 * time.Millisecond})
	s.SetMethodLimit("conversations.create", int(time.Minute/every), 1)
	ctx := context.Background()
	cases := []*offboard.Case{
		{ID: "OFF-1", Employee: offboard.Employee{Email: "a@example.com"}},
		{ID: "OFF-2", Employee: offboard.Employee{Email: "b@example.com"}},
		{ID: "OFF-3", Employee: offboard.Employee{Email: "c@example.com"}},
	}
	if _, err := p.createChannel(ctx, cases[0]); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	var resets []time.Time
	for _, c := range cases[1:] {
		_, err := p.createChannel(ctx, c)
		rl, ok := errors.AsType[*offboard.RateLimitError](err)
		if !ok || rl.API != ScopedAPI("method:conversations.create") {
			t.Fatalf("create for %s while Tier 2 is spent = %v, want it sent back with a held slot", c.ID, err)
		}
		resets = append(resets, rl.Reset)
	}
	if took := time.Since(began); took > 100*time.Millisecond {
		t.Errorf("sending two rooms back took %v: the worker waited for Tier 2", took)
	}
	if gap := resets[1].Sub(resets[0]); gap < every {
		t.Errorf("the held slots are %v apart, want at least the pace %v", gap, every)
	}
	_, err := p.createChannel(ctx, cases[1])
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); !ok || !rl.Reset.Equal(resets[0]) {
		t.Fatalf("asking again early = %v, want the same slot %v", err, resets[0])
	}
	for i, c := range cases[1:] {
		time.Sleep(time.Until(resets[i]) - 10*time.Millisecond)
		if _, err := p.createChannel(ctx, c); err != nil {
			t.Fatalf("create for %s at its slot: %v", c.ID, err)
		}
	}
	if n := len(s.Calls("conversations.create")); n != 3 {
		t.Errorf("%d creates reached Slack, want 3", n)
	}
	if s.Limited() != 0 || s.EarlySends() != 0 {
		t.Errorf("Slack answered %d 429s, %d early sends", s.Limited(), s.EarlySends())
	}
}

// A 429 whose Retry-After is missing, an HTTP date, unreadable, 0 or an
// hour is still a rate limit of that channel alone (not a failure that
// counts against the notice's attempts), held for what it asked, at
// least a second, and no more than an hour.
func TestPlatform_postMessage_oddRetryAfter(t *testing.T) {
	p, s := pacedPlatform(t, Options{})
	ctx := context.Background()
	for i, c := range []struct {
		name       string
		headers    map[string]string
		want, slop time.Duration
	}{
		{"missing", nil, noRetryAfterWait, 2 * time.Second},
		{"date", map[string]string{"Retry-After": time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)}, 20 * time.Second, 2 * time.Second},
		{"unreadable", map[string]string{"Retry-After": "soon"}, noRetryAfterWait, 2 * time.Second},
		{"zero", map[string]string{"Retry-After": "0"}, time.Second, 500 * time.Millisecond},
		{"negative", map[string]string{"Retry-After": "-5"}, time.Second, 500 * time.Millisecond},
		{"hour", map[string]string{"Retry-After": "3600"}, time.Hour, 2 * time.Second},
		{"decades", map[string]string{"Retry-After": "999999999999"}, time.Hour, 2 * time.Second},
	} {
		ch := fmt.Sprintf("C%d", 10+i)
		s.AddChannel(ch, "odd-"+c.name, true)
		s.FailNext("chat.postMessage", http.StatusTooManyRequests, `{"ok":false,"error":"ratelimited"}`, c.headers)
		began := time.Now()
		_, err := p.postMessage(ctx, ch, text("one"))
		rl, ok := errors.AsType[*offboard.RateLimitError](err)
		if !ok || rl.API != ScopedAPI("channel:"+ch) {
			t.Errorf("%s: post = %v, want a rate limit of %s alone", c.name, err, ch)
			continue
		}
		if d := rl.Reset.Sub(began); d < c.want-c.slop || d > c.want+c.slop {
			t.Errorf("%s: held %v, want about %v", c.name, d, c.want)
		}
	}
}
