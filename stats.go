package offboard

import (
	"cmp"
	"slices"
	"time"
)

// CaseStats are the headline figures of a set of cases (usually those
// opened in a period), the same wherever they are shown: the dashboard,
// the assistant's answers and its tools.
type CaseStats struct {
	Cases, Open, Completed, Cancelled int
	// Revoked are the cases whose access is gone, fastest first.
	Revoked []Revocation
}

// Revocation is one case's time to revocation.
type Revocation struct {
	CaseID CaseID
	After  time.Duration
}

// Tally counts cases by status and collects their times to revocation.
func Tally(cases []*Case) CaseStats {
	var s CaseStats
	for _, c := range cases {
		s.Cases++
		switch c.Status {
		case CaseCompleted:
			s.Completed++
		case CaseCancelled:
			s.Cancelled++
		default:
			s.Open++
		}
		if d, ok := c.TimeToRevocation(); ok {
			s.Revoked = append(s.Revoked, Revocation{c.ID, d})
		}
	}
	slices.SortStableFunc(s.Revoked, func(a, b Revocation) int { return cmp.Compare(a.After, b.After) })
	return s
}

// CompletionRate is the share of cases completed, in percent; ok is
// false when there are none.
func (s CaseStats) CompletionRate() (pct float64, ok bool) {
	if s.Cases == 0 {
		return 0, false
	}
	return 100 * float64(s.Completed) / float64(s.Cases), true
}

// TimeToRevocation is the nearest-rank p-th percentile (0–100) of the
// times to revocation; ok is false when no access was revoked.
func (s CaseStats) TimeToRevocation(p float64) (d time.Duration, ok bool) {
	n := len(s.Revoked)
	if n == 0 {
		return 0, false
	}
	rank := int(p / 100 * float64(n))
	if float64(rank) < p/100*float64(n) {
		rank++ // ceil
	}
	return s.Revoked[min(max(rank, 1), n)-1].After, true
}
