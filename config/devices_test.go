package config_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard/config"
)

// TestConfig_WriteOffAfter: 30 days unless set; 0 reaches the engine as
// "never" (negative), since the engine reads a zero as its default.
func TestConfig_WriteOffAfter(t *testing.T) {
	tests := []struct {
		src  string
		want time.Duration
	}{
		{"", 30 * 24 * time.Hour},
		{"devices:\n  write_off_after: 45d\n", 45 * 24 * time.Hour},
		{"devices:\n  write_off_after: 0\n", -1},
	}
	for _, tt := range tests {
		c, err := config.Parse([]byte(tt.src), "config.yaml", func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%q: %v", tt.src, err)
		}
		if got := c.WriteOffAfter(); got != tt.want {
			t.Errorf("%q: WriteOffAfter = %s, want %s", tt.src, got, tt.want)
		}
	}
}
