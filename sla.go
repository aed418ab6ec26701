package offboard

import (
	"fmt"
	"strings"
	"time"
)

// SLAEndOfLastDay is the SLA rule "revoked by 23:59 local time of the
// last day", the usual promise for people who resign.
const SLAEndOfLastDay = "end_of_last_day"

// SLARule is how soon access must go for one departure kind: Within the
// clock start, or by the end of the last day.
type SLARule struct {
	Within       Duration
	EndOfLastDay bool
}

// ParseSLARule accepts SLAEndOfLastDay or a positive duration ("1h", "2d").
func ParseSLARule(s string) (SLARule, error) {
	s = strings.TrimSpace(s)
	if s == SLAEndOfLastDay {
		return SLARule{EndOfLastDay: true}, nil
	}
	d, err := ParseDuration(s)
	if err != nil || d <= 0 {
		return SLARule{}, fmt.Errorf("%q is neither %s nor a positive duration like 1h or 2d", s, SLAEndOfLastDay)
	}
	return SLARule{Within: d}, nil
}

// String says the rule as configured.
func (r SLARule) String() string {
	if r.EndOfLastDay {
		return SLAEndOfLastDay
	}
	return r.Within.String()
}

// Words says the rule for people: "within 1h of the notice", "by 23:59
// local time of the last day" (Humanize, not Go's "1h0m0s").
func (r SLARule) Words() string {
	if r.EndOfLastDay {
		return "by 23:59 local time of the last day"
	}
	return "within " + Humanize(r.Within.D()) + " of the notice"
}

// Deadline is when c's access must be gone under the rule. ok is false
// when the rule cannot be applied (end of last day with no last day or
// an unknown time zone), so no verdict is given rather than a wrong one.
func (r SLARule) Deadline(c *Case, companyZone *time.Location) (time.Time, bool) {
	if !r.EndOfLastDay {
		return c.ClockStart().Add(r.Within.D()), true
	}
	loc := companyZone
	if c.TimeZone != "" {
		l, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return time.Time{}, false
		}
		loc = l
	}
	if loc == nil {
		loc = time.UTC
	}
	day, err := time.ParseInLocation("2006-01-02", c.LastDay, loc)
	if err != nil {
		return time.Time{}, false
	}
	// The first instant of the next day: a revocation at 23:59:59 counts.
	return day.AddDate(0, 0, 1), true
}

// SLAPolicy is the rule per departure kind.
type SLAPolicy map[DepartureKind]SLARule

// DefaultSLAPolicy: involuntary exits within an hour; everyone else by
// the end of the last day.
func DefaultSLAPolicy() SLAPolicy {
	return SLAPolicy{
		Involuntary: {Within: Duration(time.Hour)},
		Voluntary:   {EndOfLastDay: true},
	}
}

// Rule is the rule for kind: its own, else the voluntary one for the
// kinds handled as voluntary (retirement, contract end), else the
// default's.
func (p SLAPolicy) Rule(kind DepartureKind) SLARule {
	if r, ok := p[kind]; ok {
		return r
	}
	if kind != Involuntary {
		if r, ok := p[Voluntary]; ok {
			return r
		}
	}
	return DefaultSLAPolicy()[kind]
}
