package microsoft

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{"2.128", 2128 * time.Millisecond, true},
		{"0.0001", time.Millisecond, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1e9", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
