package offboard

import "time"

// How people read dates, one way everywhere (cards, the console, the
// assistant's answers): the weekday, the day, the month's short name and
// the year, "Thu 31 Dec 2026"; a moment adds the time and zone. Files
// and APIs keep RFC 3339.
const (
	DayLayout      = "Mon 2 Jan 2006"
	TimeLayout     = "Mon 2 Jan 2006 15:04 MST"
	timeLayoutYear = "Mon 2 Jan 15:04 MST" // within now's year
)

// FormatDay shows a "2006-01-02" day as "Thu 31 Dec 2026"; anything else
// is shown as it is.
func FormatDay(day string) string {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return d.Format(DayLayout)
}

// FormatTime shows t in loc (UTC when nil): "Thu 31 Dec 18:00 CET", with
// the year when it is not now's.
func FormatTime(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format(TimeLayout)
	}
	return t.Format(timeLayoutYear)
}
