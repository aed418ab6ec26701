package bot

import (
	"testing"
	"time"
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
