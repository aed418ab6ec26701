package offboard

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes Go syntax ("90s",
// "36h") and also whole days ("7d", "30d"), because offboarding policies
// are written in days and "168h" is a trap for a tired admin.
type Duration time.Duration

// maxDays is the most whole days a time.Duration holds; more would wrap
// around to a negative duration.
const maxDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseDuration parses Go duration syntax, or an integer followed by "d".
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: want Go syntax (90s, 2h) or whole days (7d)", s)
		}
		if n > maxDays {
			return 0, fmt.Errorf("invalid duration %q: at most %dd", s, maxDays)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want Go syntax (90s, 2h) or whole days (7d)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return Duration(d), nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String prints whole days as "Nd", everything else in Go syntax.
func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.Itoa(int(td/(24*time.Hour))) + "d"
	}
	return td.String()
}

// MarshalText implements encoding.TextMarshaler (JSON and YAML use it).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (JSON and YAML use it).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
