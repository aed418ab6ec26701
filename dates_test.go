package offboard

import (
	"testing"
	"time"
)

func TestFormatDay(t *testing.T) {
	if got := FormatDay("2026-12-31"); got != "Thu 31 Dec 2026" {
		t.Errorf("FormatDay = %q", got)
	}
	if got := FormatDay("31/12/2026"); got != "31/12/2026" {
		t.Errorf("a day it cannot read = %q, want it as it is", got)
	}
}

func TestFormatTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone data")
	}
	at := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
	if got := FormatTime(at, at, berlin); got != "Thu 31 Dec 18:00 CET" {
		t.Errorf("same year: %q", got)
	}
	if got := FormatTime(at, at.AddDate(1, 0, 0), nil); got != "Thu 31 Dec 2026 17:00 UTC" {
		t.Errorf("another year, no zone: %q", got)
	}
}
