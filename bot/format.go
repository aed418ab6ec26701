package bot

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// formatTime shows a time in loc (offboard.FormatTime).
func formatTime(t, now time.Time, loc *time.Location) string { return offboard.FormatTime(t, now, loc) }

// atTime is a moment for "… at 15:08 UTC": the time alone on the same
// day, the whole date (formatTime) otherwise.
func atTime(t, now time.Time, loc *time.Location) string {
	t, n := t.In(loc), now.In(loc)
	if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
		return t.Format("15:04 MST")
	}
	return formatTime(t, now, loc)
}

// formatDay shows a "2006-01-02" date as "Thu 31 Dec 2026" (offboard.FormatDay).
func formatDay(day string) string { return offboard.FormatDay(day) }

// overdue reports whether an unsettled task is past its due time.
func overdue(t *offboard.Task, now time.Time) bool {
	return t.Due != nil && !t.Status.Settled() && now.After(*t.Due)
}

// taskStatusWords and taskTone say where a task stands. titles maps the
// case's task keys to their titles: a wait names the tasks by title.
func taskStatusWords(t *offboard.Task, titles map[string]string, now time.Time, loc *time.Location) string {
	var s string
	switch t.Status {
	case offboard.TaskPending:
		s = "To do"
		switch {
		case len(t.After) > 0 && !t.Manual():
			s = "Waiting for " + taskTitles(t.After, titles)
		case len(t.AfterIfReady) > 0 && !t.Manual() && t.RunAt != nil:
			// A soft wait of a couple of minutes (after_if_ready).
			s = "Letting " + taskTitles(t.AfterIfReady, titles) + " go first; runs by " + formatTime(*t.RunAt, now, loc)
		}
	case offboard.TaskScheduled:
		s = "Scheduled"
		if t.RunAt != nil {
			s += " for " + formatTime(*t.RunAt, now, loc)
		}
	case offboard.TaskWaitingApproval:
		s = "Waiting for approval"
	case offboard.TaskRunning:
		s = "Running"
	case offboard.TaskDone:
		s = "Done"
		if t.CompletedBy != "" && t.Manual() {
			s += " by " + t.CompletedBy
		}
		if t.CompletedAt != nil {
			s += ", " + formatTime(*t.CompletedAt, now, loc)
		}
	case offboard.TaskUnverified:
		s = "Unverified"
	case offboard.TaskFailed:
		s = "Failed"
	case offboard.TaskSkipped:
		s = "Skipped"
	default:
		s = string(t.Status)
	}
	if overdue(t, now) {
		s += " (overdue)"
	}
	return s
}

func taskTone(t *offboard.Task, now time.Time) offboard.Tone {
	switch t.Status {
	case offboard.TaskDone:
		return offboard.ToneGood
	case offboard.TaskFailed, offboard.TaskUnverified:
		return offboard.ToneDanger
	case offboard.TaskWaitingApproval:
		return offboard.ToneWarning
	}
	if overdue(t, now) {
		return offboard.ToneWarning
	}
	return offboard.ToneInfo
}

// worstTone is the most alarming tone of a set: danger > warning > info.
func worstTone(tones ...offboard.Tone) offboard.Tone {
	rank := map[offboard.Tone]int{offboard.ToneGood: 0, offboard.ToneInfo: 1, offboard.ToneWarning: 2, offboard.ToneDanger: 3}
	best := offboard.ToneInfo
	for _, t := range tones {
		if rank[t] > rank[best] {
			best = t
		}
	}
	return best
}

// titlesOf maps a case's task keys to their titles.
func titlesOf(tasks []*offboard.Task) map[string]string {
	m := make(map[string]string, len(tasks))
	for _, t := range tasks {
		m[t.Key] = t.Title
	}
	return m
}

// taskTitles lists tasks by title ("Suspend the account, Sign out
// everywhere"), by key when a task is not known (a playbook's typo).
func taskTitles(keys []string, titles map[string]string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k
		if t := titles[k]; t != "" {
			out[i] = t
		}
	}
	return strings.Join(out, ", ")
}

// evidenceWords splits a task's evidence into what a reader needs
// ("Status afterwards: SUSPENDED", a line each, by key) and the details
// that are for whoever follows the case up with the vendor or in the
// logs: the vendor's request id, the job and its attempt.
func evidenceWords(ev map[string]string) (evidence, details string) {
	keys := slices.Sorted(maps.Keys(ev))
	var lines, small []string
	for _, k := range keys {
		v := ev[k]
		if len(v) > 120 {
			v = v[:117] + "…"
		}
		l := offboard.EvidenceLabel(k) + ": " + v
		if offboard.IsRequestID(k) || k == "job" || k == "attempt" {
			small = append(small, l)
		} else {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n"), strings.Join(small, "\n")
}

// formatMap is a short "Label: value" list (offboard.EvidenceLabel),
// keys sorted: "Device id: d1".
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		if len(v) > 120 {
			v = v[:117] + "…"
		}
		lines = append(lines, offboard.EvidenceLabel(k)+": "+v)
	}
	return strings.Join(lines, "\n")
}

// runLabel is the run button's label for a task: the words of its
// connector's binding ("Suspend in …"), carried on the task since the
// playbook was assembled, else a generic one.
func runLabel(t *offboard.Task) string {
	if t.Button != "" {
		return t.Button
	}
	return "Run now"
}

// personName is how a clicker is named in replies: their name, else
// their email.
func personName(a offboard.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	if a.Email != "" {
		return a.Email
	}
	return a.String()
}
