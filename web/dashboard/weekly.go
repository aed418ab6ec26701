package dashboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/offboard-dev/offboard"
)

// weeksShown is how many weeks the time-to-revocation chart covers.
const weeksShown = 12

// weekCol is one week of the time-to-revocation chart: its p50 and p95
// as bars (heights in px) and as text for the table beside it.
type weekCol struct {
	Label         string // "30 Nov"
	Cases         int
	P50, P95      string
	X, X95        int
	Y50, H50      int
	Y95, H95      int
	LabelX, TextY int
}

type weekChart struct {
	Width, Height int
	Cols          []weekCol
	Max           string // the top of the scale, in words
	Any           bool
}

const (
	weekChartH    = 180 // plot height
	weekChartColW = 44
	weekChartLeft = 8
)

// weekly is the time to revocation per week, Mondays in loc, of the
// cases revoked in the last weeksShown weeks (the week now is the last).
func (s *server) weekly(ctx context.Context, now time.Time) (weekChart, error) {
	loc := s.o.Location
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, -7*(weeksShown-1))
	per := make([][]time.Duration, weeksShown)
	for _, st := range []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled} {
		since := start.AddDate(0, 0, -60) // a case revoked in the window may have opened before it
		if st == offboard.CaseOpen {
			since = time.Time{}
		}
		cases, err := s.summaries(ctx, st, since)
		if err != nil {
			return weekChart{}, err
		}
		for _, c := range cases {
			ttr, ok := c.TimeToRevocation()
			if !ok || c.RevokedAt.Before(start) {
				continue
			}
			w := int(c.RevokedAt.In(loc).Sub(start).Hours() / (24 * 7))
			if w >= 0 && w < weeksShown {
				per[w] = append(per[w], ttr)
			}
		}
	}
	wc := weekChart{Width: weekChartLeft + weeksShown*weekChartColW, Height: weekChartH + 24}
	p50s, p95s := make([]time.Duration, weeksShown), make([]time.Duration, weeksShown)
	var top time.Duration
	for i, ds := range per {
		if len(ds) == 0 {
			continue
		}
		wc.Any = true
		slices.Sort(ds)
		p50s[i], p95s[i] = percentile(ds, 50), percentile(ds, 95)
		top = max(top, p95s[i])
	}
	wc.Max = offboard.Humanize(top)
	h := func(d time.Duration) int {
		if top == 0 || d == 0 {
			return 0
		}
		return max(2, int(math.Round(float64(d)/float64(top)*weekChartH)))
	}
	for i := range weeksShown {
		x := weekChartLeft + i*weekChartColW
		col := weekCol{Label: start.AddDate(0, 0, 7*i).Format("2 Jan"), Cases: len(per[i]), X: x + 4, X95: x + 20, LabelX: x + weekChartColW/2, TextY: weekChartH + 16}
		col.H50, col.H95 = h(p50s[i]), h(p95s[i])
		col.Y50, col.Y95 = weekChartH-col.H50, weekChartH-col.H95
		col.P50, col.P95 = "—", "—"
		if len(per[i]) > 0 {
			col.P50, col.P95 = offboard.Humanize(p50s[i]), offboard.Humanize(p95s[i])
		}
		wc.Cols = append(wc.Cols, col)
	}
	return wc, nil
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// waitingAges are the buckets of the approvals-waiting chart.
var waitingAges = []struct {
	Label string
	Upto  time.Duration
}{
	{"under 1 hour", time.Hour},
	{"1–8 hours", 8 * time.Hour},
	{"8–24 hours", 24 * time.Hour},
	{"1–3 days", 72 * time.Hour},
	{"over 3 days", math.MaxInt64},
}

func waitingChart(waits []time.Duration) chart {
	counts := make([]int, len(waitingAges))
	labels := make([]string, len(waitingAges))
	for i, b := range waitingAges {
		labels[i] = b.Label
	}
	for _, w := range waits {
		for i, b := range waitingAges {
			if w < b.Upto {
				counts[i]++
				break
			}
		}
	}
	return newChart("waiting-age", "Approvals waiting by age", labels, counts, func(n int) string { return fmt.Sprint(n) })
}
