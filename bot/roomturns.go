package bot

import (
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// A batch's rooms are opened in turns. Opening a room is a dozen calls
// and holds a chat worker for as long as they take; a thousand of them
// at once would hold every worker, and the notices behind them — the
// next cases to count in the batch's summaries, updates of rooms already
// open — would wait for all the rooms. Each case of a batch without a
// room gets a turn when first seen, one roomShare of a room's measured
// opening time after the previous turn, so rooms keep at most about
// roomLanes workers busy; a notice that comes before its case's turn goes
// back to the outbox until then (one write, no worker held), and comes
// back once, not in a herd. Only one notice per case waits so: a later
// one that would only redraw what the room draws when it opens is done
// at once (rooms.go, drawnByRoom).

// roomLanes is how many chat workers a batch's rooms may keep busy at
// once; the runner has 4 by default, the rest stay free.
const roomLanes = 2

// staleTurn is how long past its time a turn is kept for a case whose
// room was not opened.
const staleTurn = 10 * time.Minute

// roomTurns schedules the opening of a batch's rooms.
type roomTurns struct {
	mu    sync.Mutex
	next  time.Time                 // the next free turn
	every time.Duration             // a room's opening time ÷ roomLanes (moving average)
	turns map[offboard.CaseID]*turn // cases waiting for their turn
	// busy are the cases whose rooms are being opened, since when.
	busy map[offboard.CaseID]time.Time
	// nextUrgent is the next free turn of the cases someone must act on
	// (hurry): they have a line of their own, at the same pace.
	nextUrgent time.Time
}

// turn is a case's turn, and whether a notice of the case waits in the
// outbox for it.
type turn struct {
	at      time.Time
	waiting bool
	urgent  bool // moved ahead by hurry
}

// turn returns when case id may open its room: its turn, given on
// first call. A time not after now means now.
func (q *roomTurns) turn(id offboard.CaseID, now time.Time) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.turns[id]; ok {
		return t.at
	}
	if q.turns == nil {
		q.turns = map[offboard.CaseID]*turn{}
	}
	for k, t := range q.turns {
		if now.Sub(t.at) > staleTurn { // its room was never opened here (the case closed, a restart)
			delete(q.turns, k)
		}
	}
	at := maxTime(q.next, now)
	q.next = at.Add(q.every)
	q.turns[id] = &turn{at: at}
	return at
}

// hurry moves case id's turn ahead of the batch's other cases, in the
// line of the cases someone must act on, and returns it.
func (q *roomTurns) hurry(id offboard.CaseID, now time.Time) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	t, ok := q.turns[id]
	if !ok || !t.at.After(now) {
		if ok {
			return t.at
		}
		return now
	}
	if t.urgent {
		return t.at
	}
	at := maxTime(q.nextUrgent, now)
	if at.Before(t.at) {
		q.nextUrgent = at.Add(q.every)
		t.at, t.urgent = at, true
	}
	return t.at
}

// wait records that a notice of case id was sent back to the outbox
// until its turn.
func (q *roomTurns) wait(id offboard.CaseID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.turns[id]; ok {
		t.waiting = true
	}
}

// waiting reports whether a notice of case id waits in the outbox for
// its turn. After a restart none is known to, though one may: the next
// notice waits too, and whichever comes first opens the room.
func (q *roomTurns) waiting(id offboard.CaseID) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	t, ok := q.turns[id]
	return ok && t.waiting
}

// opened records that case id's room took took to open: its turn is
// used, and the pace of turns follows the rooms' measured time.
func (q *roomTurns) opened(id offboard.CaseID, took time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.turns, id)
	share := took / roomLanes
	if q.every == 0 {
		q.every = share
	} else {
		q.every = (q.every*7 + share) / 8
	}
}

// opening records that case id's room is being opened from at.
func (q *roomTurns) opening(id offboard.CaseID, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy == nil {
		q.busy = map[offboard.CaseID]time.Time{}
	}
	q.busy[id] = at
}

// doneOpening records that the opening of case id's room is over, done
// or not.
func (q *roomTurns) doneOpening(id offboard.CaseID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.busy, id)
}

// minOpeningWait is how long a notice of a case whose room is being
// opened waits at least, before the opening time is measured.
const minOpeningWait = 100 * time.Millisecond

// openingUntil returns when the room case id is opening should be open,
// by the measured opening time, and false when it is not being opened.
func (q *roomTurns) openingUntil(id offboard.CaseID, now time.Time) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	began, ok := q.busy[id]
	if !ok {
		return time.Time{}, false
	}
	return maxTime(began.Add(q.every*roomLanes), now.Add(minOpeningWait)), true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
