package bot

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// Rooms of a batch get turns a share of the measured opening time apart:
// a case asking again keeps its turn, and the pace follows the rooms.
func TestRoomTurns_turn(t *testing.T) {
	var q roomTurns
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	if at := q.turn("OFF-1", now); !at.Equal(now) {
		t.Fatalf("the first room's turn = %v, want now", at)
	}
	q.opened("OFF-1", 2*time.Second) // rooms take 2 s: one a second keeps two workers busy
	if at := q.turn("OFF-2", now); !at.Equal(now) {
		t.Errorf("OFF-2's turn = %v, want now (the previous turn was before the pace was known)", at)
	}
	at3 := q.turn("OFF-3", now)
	if want := now.Add(time.Second); !at3.Equal(want) {
		t.Errorf("OFF-3's turn = %v, want %v", at3, want)
	}
	if again := q.turn("OFF-3", now.Add(500*time.Millisecond)); !again.Equal(at3) {
		t.Errorf("OFF-3 asking again = %v, want its turn %v", again, at3)
	}
	if at4 := q.turn("OFF-4", now); !at4.Equal(at3.Add(time.Second)) {
		t.Errorf("OFF-4's turn = %v, want a second after OFF-3's", at4)
	}
	q.opened("OFF-3", 2*time.Second)
	if _, waiting := q.turns["OFF-3"]; waiting {
		t.Error("OFF-3's turn is kept after its room opened")
	}
	q.turn("OFF-5", now.Add(time.Hour))
	if _, kept := q.turns["OFF-4"]; kept {
		t.Error("OFF-4's turn, an hour old and never used, is still kept")
	}
}

// While a case's room is being opened, its other notices learn until
// when (the measured opening time, at least minOpeningWait); one notice
// of a case waiting for its turn is known to wait.
func TestRoomTurns_opening(t *testing.T) {
	var q roomTurns
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	if _, busy := q.openingUntil("OFF-1", now); busy {
		t.Fatal("a room nobody opens is being opened")
	}
	q.opening("OFF-1", now)
	if until, busy := q.openingUntil("OFF-1", now); !busy || !until.Equal(now.Add(minOpeningWait)) {
		t.Errorf("before the pace is known: until %v (%v), want %v", until, busy, now.Add(minOpeningWait))
	}
	q.doneOpening("OFF-1")
	q.opened("OFF-1", 4*time.Second)
	q.opening("OFF-2", now)
	if until, _ := q.openingUntil("OFF-2", now.Add(time.Second)); !until.Equal(now.Add(4 * time.Second)) {
		t.Errorf("rooms take 4 s: until %v, want %v", until, now.Add(4*time.Second))
	}
	q.doneOpening("OFF-2")
	if _, busy := q.openingUntil("OFF-2", now); busy {
		t.Error("OFF-2's room is still being opened after it was done")
	}
	q.turn("OFF-3", now)
	if q.waiting("OFF-3") {
		t.Error("OFF-3 waits before any notice was sent back")
	}
	q.wait("OFF-3")
	if !q.waiting("OFF-3") {
		t.Error("OFF-3's notice sent back for its turn is not known to wait")
	}
	q.opened("OFF-3", time.Second)
	if q.waiting("OFF-3") {
		t.Error("OFF-3 still waits after its room opened")
	}
}

// A case someone must act on goes ahead of the batch's other rooms, in a
// line of its own at the same pace; a turn already due stays.
func TestRoomTurns_hurry(t *testing.T) {
	var q roomTurns
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	q.turn("OFF-1", now)
	q.opened("OFF-1", 2*time.Second) // a turn a second
	for _, id := range []string{"OFF-2", "OFF-3", "OFF-4", "OFF-5"} {
		q.turn(offboard.CaseID(id), now)
	}
	late := q.turn("OFF-5", now)
	if at := q.hurry("OFF-5", now); !at.Equal(now) {
		t.Errorf("the first hurried case's turn = %v, want now (was %v)", at, late)
	}
	if at := q.hurry("OFF-4", now); !at.Equal(now.Add(time.Second)) {
		t.Errorf("the second hurried case's turn = %v, want a second on", at)
	}
	if at := q.hurry("OFF-4", now); !at.Equal(now.Add(time.Second)) {
		t.Errorf("hurrying OFF-4 again = %v, want its hurried turn", at)
	}
	if at := q.hurry("OFF-2", now); !at.Equal(now) {
		t.Errorf("OFF-2, due now, hurried = %v, want now", at)
	}
}
