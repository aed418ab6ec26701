package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// line is one message in a room's feed that is not a card: a notice from
// the bot, or what someone said or did in the console.
type line struct {
	ID     string
	Time   time.Time
	Author string
	Bot    bool
	Text   string
	Tone   offboard.Tone
}

// roomLog is what a room has heard since offboard started. The cards
// are always drawn from the stored case; only these lines are memory.
type roomLog struct {
	lines []line
}

// Notify implements offboard.Notifier: it adds the notice's line to the
// room's feed and tells open browsers to redraw. A notice delivered
// again (the outbox retries a notice as a whole) adds nothing twice.
func (c *Console) Notify(ctx context.Context, n offboard.Notice) error {
	if n.CaseID == "" {
		return nil
	}
	if text := noticeLine(n); text != "" {
		tone := offboard.ToneInfo
		switch n.Kind {
		case offboard.NoticeTaskFailed, offboard.NoticeTaskUnverified, offboard.NoticeApprovalDenied, offboard.NoticeApprovalStuck:
			tone = offboard.ToneDanger
		case offboard.NoticeApprovalReminder, offboard.NoticeApprovalEscalated, offboard.NoticeTaskOverdue, offboard.NoticeCaseEscalated:
			tone = offboard.ToneWarning
		case offboard.NoticeApprovalApproved, offboard.NoticeCaseCompleted:
			tone = offboard.ToneGood
		}
		c.addLine(n.CaseID, line{ID: n.ID, Time: c.o.Clock.Now(), Author: "offboard", Bot: true, Text: text, Tone: tone})
	}
	c.publish(n.CaseID)
	return nil
}

// noticeLine is the feed line of a notice; "" for notices that only
// redraw cards (the cards show the news themselves).
func noticeLine(n offboard.Notice) string {
	if n.Kind == offboard.NoticeTasksUpdated || n.Kind == offboard.NoticeDigest {
		return ""
	}
	text := strings.TrimSpace(n.Text)
	if text == "" {
		return ""
	}
	if n.Kind == offboard.NoticeApprovalRequested {
		// The text is the question; the card waits in the thread.
		text = "Approval requested (see the thread): " + text
	}
	if len(n.To) > 0 && (n.Kind == offboard.NoticeApprovalReminder || n.Kind == offboard.NoticeApprovalEscalated ||
		n.Kind == offboard.NoticeApprovalStuck || n.Kind == offboard.NoticeTaskOverdue) {
		text = "@" + strings.Join(n.To, " @") + " " + text
	}
	return text
}

// addLine appends to a room's feed, once per line id.
func (c *Console) addLine(id offboard.CaseID, l line) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rl := c.rooms[id]
	if rl == nil {
		rl = &roomLog{}
		c.rooms[id] = rl
	}
	if l.ID != "" {
		for _, old := range rl.lines {
			if old.ID == l.ID {
				return
			}
		}
	}
	rl.lines = append(rl.lines, l)
	if len(rl.lines) > maxLines {
		rl.lines = append([]line(nil), rl.lines[len(rl.lines)-maxLines:]...)
	}
}

// Forget drops what a room has heard: its lines quote the leaver's name
// and email as they were, so a case whose personal data was erased keeps
// none in memory either.
func (c *Console) Forget(id offboard.CaseID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.rooms, id)
}

func (c *Console) linesOf(id offboard.CaseID) []line {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rl := c.rooms[id]; rl != nil {
		return append([]line(nil), rl.lines...)
	}
	return nil
}

// publish tells every open browser that a case changed. A browser that
// is behind misses the event rather than slowing the notice down: it
// redraws on the next one, and the page is drawn from stored state.
func (c *Console) publish(id offboard.CaseID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.subs {
		select {
		case ch <- id:
		default:
		}
	}
}

func (c *Console) subscribe() (chan offboard.CaseID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	ch := make(chan offboard.CaseID, 16)
	c.subs[ch] = struct{}{}
	return ch, true
}

func (c *Console) unsubscribe(ch chan offboard.CaseID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.subs[ch]; ok {
		delete(c.subs, ch)
		close(ch)
	}
}

// events streams "case changed" events to a browser (server-sent
// events). The event carries only the case id; the browser then loads
// the page again through the same visibility rule as any other read.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	who, me := c.actor(r)
	ch, ok := c.subscribe()
	if !ok {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer c.unsubscribe(ch)
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary pages; a stream lives
	// until the browser leaves or offboard stops.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case id, open := <-ch:
			if !open {
				return
			}
			// Only cases the person may see: even a bare id of a
			// confidential case tells an onlooker that one exists.
			if !c.mayHear(r.Context(), who, me, id) {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: case\ndata: %s\n\n", id); err != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// mayHear reports whether a stream opened by who may hear that case id
// changed. "" (the digest) tells nothing about a case.
func (c *Console) mayHear(ctx context.Context, who offboard.Actor, me *person, id offboard.CaseID) bool {
	if id == "" {
		return true
	}
	if me == nil {
		return false
	}
	_, err := c.o.Engine.GetCase(ctx, who, id)
	return err == nil
}
