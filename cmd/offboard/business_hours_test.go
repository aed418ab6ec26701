package main

import (
	"testing"
	"time"

	"github.com/offboard-dev/offboard/config"
)

func TestBusinessHours(t *testing.T) {
	cfg := config.Default()
	if businessHours(cfg, nil) != nil {
		t.Fatal("business hours off, but nudges are held")
	}
	cfg.Company.TimeZone = "Europe/Berlin"
	cfg.BusinessHours = config.BusinessHours{Enabled: true, Start: "09:00", End: "17:00", Days: []string{"mon", "TUE", "wed", "thu", "fri"}}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal("no time zone data:", err)
	}
	// Lou works in Los Angeles, by the directory; nobody else is known.
	zoneOf := func(email string) *time.Location {
		if email == "lou@example.com" {
			return la
		}
		return nil
	}
	in := businessHours(cfg, zoneOf)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal("no time zone data:", err)
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
	// The approver's own hours: 09:30 in Berlin is half past midnight for
	// Lou, and 09:30 for Lou is after hours in Berlin.
	for _, tc := range []struct {
		at          time.Time
		who         string
		want        bool
		description string
	}{
		{time.Date(2026, 11, 25, 9, 30, 0, 0, berlin), "lou@example.com", false, "Berlin morning, LA night"},
		{time.Date(2026, 11, 25, 9, 30, 0, 0, la), "lou@example.com", true, "LA morning"},
		{time.Date(2026, 11, 25, 9, 30, 0, 0, la), "someone@example.com", false, "LA morning is Berlin evening"},
		{time.Date(2026, 11, 25, 9, 30, 0, 0, la), "", false, "a room is told in company hours"},
	} {
		if got := in(tc.at, tc.who); got != tc.want {
			t.Errorf("%s (%s, %s): %v, want %v", tc.description, tc.at, tc.who, got, tc.want)
		}
	}
}
