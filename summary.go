package offboard

import (
	"slices"
	"time"
)

// CaseSummary is what lists of cases show, kept on the case itself so a
// dashboard of a thousand open cases reads a thousand records, not
// sixteen thousand tasks. The engine rewrites it in the same transaction
// as any change to the case's tasks or approvals; cases stored before it
// existed have none, and readers fall back to the tasks.
type CaseSummary struct {
	// Settled of Tasks are done or skipped.
	Tasks   int `json:"tasks"`
	Settled int `json:"settled"`
	// Due are the due times of the unsettled tasks that have one and are
	// not running right now, earliest first; overdue is a question of
	// when you ask.
	Due []DueTask `json:"due,omitempty"`
	// Pending are the approvals nobody has decided yet, oldest first.
	Pending []PendingApproval `json:"pending,omitempty"`
}

// DueTask is an unsettled task with a due time.
type DueTask struct {
	Key        string     `json:"key"`
	Title      string     `json:"title"`
	Department Department `json:"department"`
	Due        time.Time  `json:"due"`
}

// PendingApproval is an undecided approval.
type PendingApproval struct {
	ID      string `json:"id"`
	TaskKey string `json:"task_key"`
	// TaskTitle is the task's words (empty in summaries stored before it).
	TaskTitle   string     `json:"task_title,omitempty"`
	Department  Department `json:"department"`
	Approver    string     `json:"approver"`
	EscalatedTo []string   `json:"escalated_to,omitempty"`
	Since       time.Time  `json:"since"`
}

// Summarize builds a case's summary from its tasks and approvals.
func Summarize(tasks []*Task, approvals []*Approval) *CaseSummary {
	s := &CaseSummary{Tasks: len(tasks)}
	dept := map[string]Department{}
	title := map[string]string{}
	for _, t := range tasks {
		dept[t.Key], title[t.Key] = t.Department, t.Title
		if t.Status.Settled() {
			s.Settled++
			continue
		}
		if t.Due != nil && t.Status != TaskRunning {
			s.Due = append(s.Due, DueTask{Key: t.Key, Title: t.Title, Department: t.Department, Due: t.Due.UTC()})
		}
	}
	slices.SortStableFunc(s.Due, func(a, b DueTask) int { return a.Due.Compare(b.Due) })
	for _, a := range approvals {
		if a.Status != ApprovalPending {
			continue
		}
		s.Pending = append(s.Pending, PendingApproval{ID: a.ID, TaskKey: a.TaskKey, TaskTitle: title[a.TaskKey], Department: dept[a.TaskKey],
			Approver: a.Approver, EscalatedTo: slices.Clone(a.EscalatedTo), Since: a.CreatedAt.UTC()})
	}
	slices.SortStableFunc(s.Pending, func(a, b PendingApproval) int { return a.Since.Compare(b.Since) })
	return s
}

// Open is how many tasks are not settled yet.
func (s *CaseSummary) Open() int { return s.Tasks - s.Settled }

// Overdue returns the unsettled tasks due by now.
func (s *CaseSummary) Overdue(now time.Time) []DueTask {
	i := 0
	for i < len(s.Due) && !s.Due[i].Due.After(now) {
		i++
	}
	return s.Due[:i]
}

// Equal reports whether two summaries say the same, so an unchanged
// summary is not written again.
func (s *CaseSummary) Equal(o *CaseSummary) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.Tasks == o.Tasks && s.Settled == o.Settled &&
		slices.EqualFunc(s.Due, o.Due, func(a, b DueTask) bool {
			return a.Key == b.Key && a.Title == b.Title && a.Department == b.Department && a.Due.Equal(b.Due)
		}) &&
		slices.EqualFunc(s.Pending, o.Pending, func(a, b PendingApproval) bool {
			return a.ID == b.ID && a.TaskKey == b.TaskKey && a.Department == b.Department &&
				a.Approver == b.Approver && a.Since.Equal(b.Since) && slices.Equal(a.EscalatedTo, b.EscalatedTo)
		})
}
