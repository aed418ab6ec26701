package offboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestTerminationTypes_Resolve(t *testing.T) {
	types, err := offboard.NewTerminationTypes(map[string]offboard.DepartureKind{
		"Resignation": offboard.Voluntary, "Dismissal": offboard.Involuntary, "Layoff": offboard.Involuntary,
		"End of Contract": offboard.ContractEnd,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ   string
		kind  offboard.DepartureKind
		known bool
	}{
		{"Dismissal", offboard.Involuntary, true},
		{"  end   of CONTRACT ", offboard.ContractEnd, true}, // case and spacing do not matter
		{"retirement", offboard.Retirement, true},            // a departure kind itself
		{"Dismissal (for cause)", offboard.Involuntary, true},
		{"Layoff / Dismissal", offboard.Involuntary, true},      // two names that agree
		{"Resignation or Dismissal", offboard.Voluntary, false}, // two that disagree: HR confirms
		{"Dismissals", offboard.Voluntary, false},               // whole words only
		{"Something odd", offboard.Voluntary, false},
		{"", offboard.Voluntary, false},
	} {
		if kind, known := types.Resolve(tc.typ); kind != tc.kind || known != tc.known {
			t.Errorf("Resolve(%q) = %s, %v; want %s, %v", tc.typ, kind, known, tc.kind, tc.known)
		}
	}
	if _, err := offboard.NewTerminationTypes(map[string]offboard.DepartureKind{"Fired": "sacked"}); err == nil ||
		!strings.Contains(err.Error(), "termination_types[Fired]") {
		t.Errorf("a bad kind: %v", err)
	}
}

func TestHRDedupeKey(t *testing.T) {
	// Stored keys of cases opened before must keep matching.
	if got := offboard.HRDedupeKey("bamboohr", "4242", "2026-02-27"); got != "bamboohr:4242:2026-02-27" {
		t.Errorf("key %q", got)
	}
}

func TestParseHRDate(t *testing.T) {
	for _, tc := range []struct {
		in, day string
		ok      bool
	}{
		{"2026-02-27", "2026-02-27", true},
		{" 2026-02-27T23:30:00-08:00 ", "2026-02-27", true},
		{"0001-01-01", "", false}, // a placeholder, not a date
		{"0000-00-00", "", false},
		{"27/02/2026", "", false},
	} {
		day, at, ok := offboard.ParseHRDate(tc.in)
		if day != tc.day || ok != tc.ok || ok && at.Format(time.DateOnly) != day {
			t.Errorf("ParseHRDate(%q) = %q, %v, %v", tc.in, day, at, ok)
		}
	}
}
