package throttle

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"soon", 0, false}, {"-1", 0, false}, {"86400", 0, false}, {"NaN", 0, false}, {"1e9", 0, false},
		{"0", 0, true}, {"7", 7 * time.Second, true}, {" 30 ", 30 * time.Second, true},
		{"2.128", 2128 * time.Millisecond, true}, {"0.0001", time.Millisecond, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), 0, false},
	} {
		got, ok := RetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestGate(t *testing.T) {
	var g Gate
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	if _, closed := g.Until(now); closed {
		t.Fatal("a new gate is closed")
	}
	g.Extend(now.Add(time.Minute))
	g.Extend(now.Add(time.Second)) // an earlier reset never shortens the pause
	if until, closed := g.Until(now); !closed || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("until %v closed %v", until, closed)
	}
	if _, closed := g.Until(now.Add(time.Minute)); closed {
		t.Fatal("the gate is still closed at its reset")
	}
}
