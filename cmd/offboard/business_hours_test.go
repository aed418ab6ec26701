package main

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard/config"
)

func TestBusinessHours(t *testing.T) {
	cfg := config.Default()
	if businessHours(cfg) != nil {
		t.Fatal("business hours off, but nudges are held")
	}
	cfg.Company.TimeZone = "Europe/Berlin"
	cfg.BusinessHours = config.BusinessHours{Enabled: true, Start: "09:00", End: "17:00", Days: []string{"mon", "TUE", "wed", "thu", "fri"}}
	in := businessHours(cfg)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tz data:", err)
	}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 25, 9, 0, 0, 0, berlin), true},    // Wednesday, opening
		{time.Date(2026, 11, 25, 8, 59, 0, 0, berlin), false},  // before
		{time.Date(2026, 11, 25, 16, 59, 0, 0, berlin), true},  // last minute
		{time.Date(2026, 11, 25, 17, 0, 0, 0, berlin), false},  // closed
		{time.Date(2026, 11, 28, 11, 0, 0, 0, berlin), false},  // Saturday
		{time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC), true}, // 09:30 in Berlin
		{time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC), false},
	} {
		if got := in(tc.at, "someone@example.com"); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.at, got, tc.want)
		}
	}
}
