package offboard_test

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

func TestSLARule_Deadline(t *testing.T) {
	notice := time.Date(2026, 11, 5, 22, 30, 0, 0, time.UTC)
	c := &offboard.Case{NoticeAt: notice, LastDay: "2026-11-05", TimeZone: "America/New_York"}
	eod, err := offboard.ParseSLARule("end_of_last_day")
	if err != nil {
		t.Fatal(err)
	}
	// Midnight after the last day in New York is 05:00 UTC on the 6th.
	if dl, ok := eod.Deadline(c, time.UTC); !ok || !dl.Equal(time.Date(2026, 11, 6, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("end of last day = %v %v, want 2026-11-06 05:00 UTC", dl, ok)
	}
	hour, err := offboard.ParseSLARule("1h")
	if err != nil {
		t.Fatal(err)
	}
	if dl, _ := hour.Deadline(c, time.UTC); !dl.Equal(notice.Add(time.Hour)) {
		t.Errorf("1h deadline = %v", dl)
	}
	if _, ok := eod.Deadline(&offboard.Case{NoticeAt: notice}, time.UTC); ok {
		t.Error("end of last day with no last day gave a deadline")
	}
	for _, bad := range []string{"", "0s", "-1h", "soon"} {
		if _, err := offboard.ParseSLARule(bad); err == nil {
			t.Errorf("ParseSLARule(%q) accepted", bad)
		}
	}
}

func TestSLARule_Words(t *testing.T) {
	tests := []struct {
		rule offboard.SLARule
		want string
	}{
		{offboard.SLARule{Within: offboard.Duration(time.Hour)}, "within 1h of the notice"},
		{offboard.SLARule{Within: offboard.Duration(90 * time.Minute)}, "within 1h 30m of the notice"},
		{offboard.SLARule{Within: offboard.Duration(48 * time.Hour)}, "within 2 days of the notice"},
		{offboard.SLARule{EndOfLastDay: true}, "by 23:59 local time of the last day"},
	}
	for _, tt := range tests {
		if got := tt.rule.Words(); got != tt.want {
			t.Errorf("Words() = %q, want %q (Go's 1h0m0s is for config files, not people)", got, tt.want)
		}
	}
}
