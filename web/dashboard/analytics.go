package dashboard

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// DefaultPeriod is the analytics period when none is given.
const DefaultPeriod = 30 * 24 * time.Hour

type bar struct {
	Label  string
	Value  int
	Text   string // the value as shown
	Y      int    // top of the bar's row
	TextY  int
	Width  int // bar length in px
	ValueX int
}

type chart struct {
	ID     string
	Title  string
	Height int
	Bars   []bar
	Empty  bool
}

const (
	chartLabelW = 130
	chartBarMax = 300
	chartRowH   = 28
)

func newChart(id, title string, labels []string, values []int, text func(int) string) chart {
	c := chart{ID: id, Title: title, Height: max(1, len(labels))*chartRowH + 8}
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	c.Empty = top == 0
	for i, l := range labels {
		wdt := 0
		if top > 0 {
			wdt = int(math.Round(float64(values[i]) / float64(top) * chartBarMax))
		}
		if values[i] > 0 && wdt < 2 {
			wdt = 2
		}
		c.Bars = append(c.Bars, bar{Label: l, Value: values[i], Text: text(values[i]), Y: 4 + i*chartRowH, TextY: 4 + i*chartRowH + 17, Width: wdt, ValueX: chartLabelW + wdt + 6})
	}
	return c
}

// waitingRow is an approval nobody has decided yet.
type waitingRow struct {
	CaseID     offboard.CaseID
	Task       string
	Department offboard.Department
	Approver   string
	Waiting    time.Duration
}

type deptCount struct {
	Department offboard.Department
	Label      string
	Overdue    int
	Worst      string
	worst      time.Duration
}

type analyticsData struct {
	From, To         string
	Cases            int
	Open             int
	Completed        int
	Cancelled        int
	CompletionRate   string
	Revoked          int
	P50, P95         string
	OpenTasksPerCase string
	Overdue          []deptCount
	OverdueTotal     int
	Waiting          []waitingRow
	WaitingChart     chart
	Weekly           weekChart
	OverdueChart     chart
	TTRChart         chart
	TTRBuckets       []bar
}

var ttrBuckets = []struct {
	Label string
	Upto  time.Duration
}{
	{"under 15 minutes", 15 * time.Minute},
	{"15–60 minutes", time.Hour},
	{"1–4 hours", 4 * time.Hour},
	{"4–24 hours", 24 * time.Hour},
	{"1–3 days", 72 * time.Hour},
	{"3–7 days", 7 * 24 * time.Hour},
	{"over 7 days", math.MaxInt64},
}

func (s *server) analytics(w http.ResponseWriter, r *http.Request) {
	now := s.o.Clock.Now()
	loc := s.o.Location
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	from, to := today.AddDate(0, 0, -30), today
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("from: %q is not a date like 2026-11-25.", v))
			return
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("to: %q is not a date like 2026-11-25.", v))
			return
		}
		to = t
	}
	if to.Before(from) {
		s.fail(w, r, http.StatusBadRequest, "to: the end of the period is before its start.")
		return
	}
	end := to.AddDate(0, 0, 1) // "to" is inclusive
	d := analyticsData{From: from.Format("2006-01-02"), To: to.Format("2006-01-02")}
	// Open cases are all read (overdue tasks and waiting approvals are
	// "now"); closed ones only back to the period's start.
	statuses := []offboard.CaseStatus{offboard.CaseOpen, offboard.CaseCompleted, offboard.CaseCancelled}
	lists := make([][]*offboard.Case, len(statuses))
	errs := make([]error, len(statuses))
	var wg sync.WaitGroup
	for i, st := range statuses {
		since := from
		if st == offboard.CaseOpen {
			since = time.Time{}
		}
		wg.Go(func() { lists[i], errs[i] = s.summaries(r.Context(), st, since) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.failErr(w, r, err)
		return
	}
	openTasks := 0
	overdue := map[offboard.Department]*deptCount{}
	for _, c := range lists[0] {
		for _, t := range c.Summary.Overdue(now) {
			dc := overdue[t.Department]
			if dc == nil {
				dc = &deptCount{Department: t.Department, Label: s.o.Departments.Label(t.Department)}
				overdue[t.Department] = dc
			}
			dc.Overdue++
			dc.worst = max(dc.worst, now.Sub(t.Due))
		}
		for _, p := range c.Summary.Pending {
			d.Waiting = append(d.Waiting, waitingRow{CaseID: c.ID, Task: cmp.Or(p.TaskTitle, "a task"), Department: p.Department,
				Approver: p.Approver, Waiting: now.Sub(p.Since)})
		}
	}
	slices.SortStableFunc(d.Waiting, func(a, b waitingRow) int { return cmp.Compare(b.Waiting, a.Waiting) })
	ages := make([]time.Duration, len(d.Waiting))
	for i, w := range d.Waiting {
		ages[i] = w.Waiting
	}
	d.WaitingChart = waitingChart(ages)
	weekly, err := s.weekly(r.Context(), now)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d.Weekly = weekly
	var period []*offboard.Case
	for i := range statuses {
		for _, c := range lists[i] {
			if c.CreatedAt.Before(from) || !c.CreatedAt.Before(end) {
				continue
			}
			period = append(period, c)
			if c.Status == offboard.CaseOpen {
				openTasks += c.Summary.Open()
			}
		}
	}
	st := offboard.Tally(period)
	d.Cases, d.Open, d.Completed, d.Cancelled = st.Cases, st.Open, st.Completed, st.Cancelled
	d.CompletionRate = "n/a"
	if pct, ok := st.CompletionRate(); ok {
		d.CompletionRate = fmt.Sprintf("%.0f%%", pct)
	}
	if d.Open > 0 {
		d.OpenTasksPerCase = fmt.Sprintf("%.1f", float64(openTasks)/float64(d.Open))
	} else {
		d.OpenTasksPerCase = "n/a"
	}
	d.Revoked = len(st.Revoked)
	d.P50, d.P95 = "n/a", "n/a"
	if p50, ok := st.TimeToRevocation(50); ok {
		p95, _ := st.TimeToRevocation(95)
		d.P50, d.P95 = offboard.Humanize(p50), offboard.Humanize(p95)
	}
	counts := make([]int, len(ttrBuckets))
	for _, r := range st.Revoked {
		for i, b := range ttrBuckets {
			if r.After < b.Upto {
				counts[i]++
				break
			}
		}
	}
	labels := make([]string, len(ttrBuckets))
	for i, b := range ttrBuckets {
		labels[i] = b.Label
	}
	itoa := func(n int) string { return fmt.Sprint(n) }
	d.TTRChart = newChart("ttr", "Time to revocation: cases per duration bucket", labels, counts, itoa)

	for _, dc := range overdue {
		dc.Worst = offboard.Humanize(dc.worst)
		d.Overdue = append(d.Overdue, *dc)
		d.OverdueTotal += dc.Overdue
	}
	// Most overdue first; ties in the configured order, departments no
	// longer configured last.
	order := s.o.Departments.Names()
	rank := func(d offboard.Department) int {
		if i := slices.Index(order, d); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(d.Overdue, func(a, b deptCount) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(rank(a.Department), rank(b.Department)), cmp.Compare(a.Department, b.Department))
	})
	dl, dv := make([]string, len(d.Overdue)), make([]int, len(d.Overdue))
	for i, dc := range d.Overdue {
		dl[i], dv[i] = dc.Label, dc.Overdue
	}
	d.OverdueChart = newChart("overdue", "Overdue tasks by department", dl, dv, itoa)
	s.render(w, r, http.StatusOK, "analytics", "Analytics", d)
}
