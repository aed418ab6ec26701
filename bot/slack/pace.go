package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// Slack's limits are per channel (chat.postMessage: about one message a
// second, short bursts allowed) and per method for the workspace
// (conversations.create is Tier 2: about 20 a minute). The pacer keeps
// each apart: a channel or a method is paced on its own, and a 429 with
// Retry-After stops that channel or method alone until it has passed.
// One channel's 429 never delays a post to another.
const (
	// DefaultPostEvery and DefaultPostBurst pace posts to one channel.
	DefaultPostEvery = time.Second
	DefaultPostBurst = 20 // a new room's header, cards, approvals and first lines at once
	// DefaultCreateEvery and DefaultCreateBurst pace channel creation
	// (Tier 2) for the workspace.
	DefaultCreateEvery = time.Minute / 20
	DefaultCreateBurst = 10
	// DefaultPaceWait is how long a notice waits in line for its slot;
	// past it the notice goes back to the outbox until the slot, and
	// frees its chat worker.
	DefaultPaceWait = 3 * time.Second
)

// scope names one of Slack's limits: "channel:C123", "method:conversations.create".
type scope string

func channelScope(ch string) scope    { return scope("channel:" + ch) }
func methodScope(method string) scope { return scope("method:" + method) }

// ScopedAPI is the RateLimitError.API of a limit that holds one part of
// Slack only: the outbox defers that notice, not all of Slack's.
func ScopedAPI(s string) string { return "chat:" + PlatformName + "/" + s }

// pace is one scope's state: the theoretical time of its next send
// (GCRA: a scope that was idle may send a burst, then one every), and
// the end of the last Retry-After Slack gave for it.
type pace struct {
	tat     time.Time
	blocked time.Time
	// held are slots reserved for a caller told to come back (a case's
	// room, by case id): the slot is its own when it does.
	held map[string]time.Time
}

// pacer holds every scope's pace, on the platform's clock (the wall
// clock in serve), the one the outbox compares a Reset with.
type pacer struct {
	now   func() time.Time
	wait  time.Duration
	rules map[string]rule // "channel" or a method → its rule
	mu    sync.Mutex
	paces map[scope]*pace
}

// rule is a scope's pace: one send every, up to burst at once.
type rule struct {
	every time.Duration
	burst int
}

// withMargin is the rule as the pacer keeps it: a little slower than
// Slack's own, since a request's time of arrival at Slack is not the
// time it was sent, and an early arrival is a 429.
func (r rule) withMargin() rule {
	if r.every > 0 {
		r.every += max(r.every/10, 20*time.Millisecond)
	}
	return r
}

func newPacer(now func() time.Time, post, create rule, wait time.Duration) *pacer {
	return &pacer{now: now, wait: wait, paces: map[scope]*pace{},
		rules: map[string]rule{"channel": post.withMargin(), "method:conversations.create": create.withMargin()}}
}

// ruleOf is the pace of a scope; a method without one is not paced
// ahead, only held by the Retry-After Slack gives.
func (p *pacer) ruleOf(s scope) (rule, bool) {
	if len(s) > 8 && s[:8] == "channel:" {
		r := p.rules["channel"]
		return r, r.every > 0
	}
	r, ok := p.rules[string(s)]
	return r, ok && r.every > 0
}

// take waits for s's next slot and reserves it. When the slot is further
// than the pacer's wait it reserves nothing and returns the scope's
// *offboard.RateLimitError, for the outbox to try again then.
func (p *pacer) take(ctx context.Context, s scope) error {
	return p.takeFor(ctx, s, "")
}

// heldStale is how long past its time a held slot is kept for a caller
// that never came back (its notice dead-lettered, the case deleted).
const heldStale = 10 * time.Minute

// takeFor is take for a caller with a key (a case's room): it never
// waits for a slot that is not free now. It reserves the next one for the
// key and returns the scope's *offboard.RateLimitError with that slot as
// Reset; when the key comes back, the slot is its own. A chat worker
// therefore never sleeps on Tier 2's pace while other notices — a batch
// summary's count among them — wait for a worker, and the returning
// notices come back one slot apart, not all at once.
func (p *pacer) takeFor(ctx context.Context, s scope, key string) error {
	now := p.now()
	p.mu.Lock()
	c := p.paces[s]
	if c == nil {
		c = &pace{}
		p.paces[s] = c
	}
	if at, ok := c.held[key]; ok && key != "" && !c.blocked.After(at) {
		if at.Sub(now) > p.wait {
			p.mu.Unlock()
			return &offboard.RateLimitError{API: ScopedAPI(string(s)), Reset: at}
		}
		delete(c.held, key)
		p.mu.Unlock()
		return sleepUntil(ctx, now, at)
	}
	delete(c.held, key)
	at := now
	r, paced := p.ruleOf(s)
	if paced {
		tat := c.tat
		if tat.Before(now) {
			tat = now
		}
		if earliest := tat.Add(-time.Duration(r.burst-1) * r.every); earliest.After(at) {
			at = earliest
		}
	}
	if c.blocked.After(at) {
		at = c.blocked
	}
	if key != "" && at.After(now) {
		if paced {
			c.tat = maxTime(c.tat, at).Add(r.every)
		}
		if c.held == nil {
			c.held = map[string]time.Time{}
		}
		for k, t := range c.held {
			if now.Sub(t) > heldStale {
				delete(c.held, k)
			}
		}
		c.held[key] = at
		p.mu.Unlock()
		return &offboard.RateLimitError{API: ScopedAPI(string(s)), Reset: at}
	}
	if at.Sub(now) > p.wait {
		p.mu.Unlock()
		return &offboard.RateLimitError{API: ScopedAPI(string(s)), Reset: at}
	}
	if paced {
		c.tat = maxTime(c.tat, at).Add(r.every)
	}
	p.mu.Unlock()
	return sleepUntil(ctx, now, at)
}

// sleepUntil waits from now until at, or until ctx is done.
func sleepUntil(ctx context.Context, now, at time.Time) error {
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// limited records Slack's Retry-After for s: nothing goes there before
// it has passed; then the scope's pace resumes.
func (p *pacer) limited(s scope, retryAfter time.Duration) time.Time {
	until := p.now().Add(max(retryAfter, time.Second))
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.paces[s]
	if c == nil {
		c = &pace{}
		p.paces[s] = c
	}
	c.blocked = maxTime(c.blocked, until)
	c.tat = maxTime(c.tat, until)
	return c.blocked
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// paced runs one Web API call in scope s: it waits for the scope's slot
// and turns Slack's 429 into the scope's RateLimitError, remembered so
// that nothing is sent there before the Retry-After has passed.
func (p *Platform) paced(ctx context.Context, s scope, op string, call func() error) error {
	return p.pacedFor(ctx, s, "", op, call)
}

// pacedFor is paced for a keyed caller (pacer.takeFor): a slot not free
// now is reserved for key and returned as the scope's RateLimitError.
func (p *Platform) pacedFor(ctx context.Context, s scope, key, op string, call func() error) error {
	if err := p.pace.takeFor(ctx, s, key); err != nil {
		return err
	}
	err := call()
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		until := p.pace.limited(s, rl.RetryAfter)
		p.log.Warn("slack: rate limited; holding this channel or method until Slack's Retry-After", "scope", string(s), "until", until)
		return &offboard.RateLimitError{API: ScopedAPI(string(s)), Reset: until, Err: err}
	}
	return err
}

// postMessage posts to a channel at the channel's pace.
func (p *Platform) postMessage(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	var ts string
	err := p.paced(ctx, channelScope(channel), "chat.postMessage", func() error {
		var err error
		_, ts, err = p.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return "", p.chatError("chat.postMessage", err)
	}
	return ts, nil
}

// Compressed is o with every pace k times faster, for a benchmark against
// a fake Slack whose limits are compressed alike; k ≤ 1 changes nothing.
func (o Options) Compressed(k int) Options {
	if k <= 1 {
		return o
	}
	d := time.Duration(k)
	o.PostEvery, o.CreateEvery = DefaultPostEvery/d, DefaultCreateEvery/d
	o.PostBurst, o.CreateBurst = DefaultPostBurst, DefaultCreateBurst
	o.SummaryEvery = bot.DefaultSummaryEvery / d
	return o
}
