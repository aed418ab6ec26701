package offboard_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// TestParseDuration_Days: whole days, and a day count too large for a
// time.Duration is an error rather than a wrapped, negative duration
// (which would put due dates outside the years the store can write).
func TestParseDuration_Days(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"106751d", 106751 * 24 * time.Hour, true},
		{"106752d", 0, false},
		{"999999999999d", 0, false},
		{"-1d", 0, false},
		{"36h", 36 * time.Hour, true},
	} {
		got, err := offboard.ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got.D() != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
