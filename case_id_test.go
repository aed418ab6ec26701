package offboard_test

import (
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestParseCaseID(t *testing.T) {
	tests := []struct {
		in   string
		want offboard.CaseID
		ok   bool
	}{
		{"OFF-0042", "OFF-0042", true},
		{" off-42 ", "OFF-0042", true},
		{"42", "OFF-0042", true},
		{"OFF-12345", "OFF-12345", true},
		{"OFF-0", "", false},
		{"OFF-", "", false},
		{"OFF-x1", "", false},
		{"jane@example.com", "", false},
	}
	for _, tt := range tests {
		got, ok := offboard.ParseCaseID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseCaseID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCaseID_Number(t *testing.T) {
	tests := []struct {
		id       offboard.CaseID
		n        uint64
		ok       bool
		numbered bool
	}{
		{"OFF-0042", 42, true, true},
		{"OFF-10000", 10000, true, true},
		{"off-42", 0, false, false},                  // only the stored spelling
		{"OFF-", 0, false, false},                    // no digits
		{"OFF-4a", 0, false, false},                  // not all digits
		{"OFF-99999999999999999999", 0, false, true}, // digits, too many for a number
		{"legacy-7", 0, false, false},
	}
	for _, tt := range tests {
		n, ok := tt.id.Number()
		if ok != tt.ok || ok && n != tt.n {
			t.Errorf("%q.Number() = %d, %v; want %d, %v", tt.id, n, ok, tt.n, tt.ok)
		}
		if got := tt.id.Numbered(); got != tt.numbered {
			t.Errorf("%q.Numbered() = %v, want %v", tt.id, got, tt.numbered)
		}
	}
}

func TestCaseID_Short(t *testing.T) {
	if got := offboard.FormatCaseID(42).Short(); got != "0042" {
		t.Errorf("Short() = %q, want 0042", got)
	}
	if got := offboard.CaseID("legacy-7").Short(); got != "legacy-7" {
		t.Errorf("Short() of an unprefixed id = %q, want it unchanged", got)
	}
}
