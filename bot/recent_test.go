package bot_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

func TestRecent_Seen(t *testing.T) {
	r := bot.NewRecent(3)
	if r.Seen("a") || !r.Seen("a") {
		t.Fatal("an id is new once, then seen")
	}
	if r.Seen("") || r.Seen("") {
		t.Fatal("an empty id is never seen")
	}
	for i := range 3 {
		r.Seen(fmt.Sprint(i))
	}
	if r.Seen("a") {
		t.Error("the oldest id was not forgotten past the bound")
	}
	if !r.Seen("2") {
		t.Error("a recent id was forgotten")
	}
}

func TestPause_Err(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	p := bot.Pause{API: "chat"}
	if p.Err(now) != nil {
		t.Fatal("a fresh pause is paused")
	}
	p.Until(now.Add(30 * time.Second))
	p.Until(now.Add(10 * time.Second)) // a shorter pause does not shorten it
	var rl *offboard.RateLimitError
	if err := p.Err(now.Add(20 * time.Second)); !errors.As(err, &rl) || rl.API != "chat" || !rl.Reset.Equal(now.Add(30*time.Second)) {
		t.Fatalf("err = %v, want a chat rate limit until +30s", err)
	}
	if p.Err(now.Add(30*time.Second)) != nil {
		t.Error("still paused at its end")
	}
}
