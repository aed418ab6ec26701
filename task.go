package offboard

import (
	"slices"
	"strings"
	"time"
)

// TaskStatus is where a task stands.
type TaskStatus string

// Task statuses.
const (
	TaskPending         TaskStatus = "pending"          // waiting for a person or for tasks it depends on
	TaskScheduled       TaskStatus = "scheduled"        // runs by itself at Due
	TaskWaitingApproval TaskStatus = "waiting_approval" // an approval must be granted first
	TaskRunning         TaskStatus = "running"          // a job is queued or in flight
	TaskDone            TaskStatus = "done"
	TaskUnverified      TaskStatus = "unverified" // the action ran but the read-back disagrees
	TaskFailed          TaskStatus = "failed"
	TaskSkipped         TaskStatus = "skipped"
)

// Settled reports whether the task no longer holds the case open.
func (s TaskStatus) Settled() bool { return s == TaskDone || s == TaskSkipped }

// taskTransitions is the one table of allowed status changes.
var taskTransitions = map[TaskStatus][]TaskStatus{
	TaskPending:         {TaskScheduled, TaskWaitingApproval, TaskRunning, TaskDone, TaskSkipped},
	TaskScheduled:       {TaskPending, TaskWaitingApproval, TaskRunning, TaskSkipped},
	TaskWaitingApproval: {TaskPending, TaskScheduled, TaskRunning, TaskSkipped, TaskWaitingApproval},
	TaskRunning:         {TaskDone, TaskUnverified, TaskFailed, TaskRunning, TaskSkipped},
	// Asking for approval again with new parameters (flows' RequestApproval)
	// may follow a failed or disputed run, e.g. a transfer to the wrong person.
	TaskUnverified: {TaskRunning, TaskDone, TaskSkipped, TaskWaitingApproval},
	TaskFailed:     {TaskRunning, TaskDone, TaskSkipped, TaskWaitingApproval},
	TaskDone:       {},
	TaskSkipped:    {},
}

// CanMove reports whether a task may go from one status to another.
func CanMove(from, to TaskStatus) bool { return slices.Contains(taskTransitions[from], to) }

// Task is one thing that must happen for a case.
type Task struct {
	CaseID CaseID `json:"case_id"`
	Key    string `json:"key"`
	// Order is the task's place in the playbook, for display.
	Order      int        `json:"order"`
	Department Department `json:"department"`
	Title      string     `json:"title"`
	Action     string     `json:"action"`
	// Button is the run button's label from the connector's binding; ""
	// (a manual task, or a case opened before bindings) is generic.
	Button   string            `json:"button,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Priority Priority          `json:"priority"`
	After    []string          `json:"after,omitempty"`
	// AfterIfReady are tasks this one waits for only while they are about
	// to run (TaskTemplate.AfterIfReady).
	AfterIfReady []string `json:"after_if_ready,omitempty"`
	Approval     string   `json:"approval,omitempty"`
	Optional     bool     `json:"optional,omitempty"`
	// Track is what the task records before it is done (TaskTemplate.Track).
	Track    string     `json:"track,omitempty"`
	Status   TaskStatus `json:"status"`
	Assignee string     `json:"assignee,omitempty"`
	// RunAt is when a scheduled task runs by itself; for a task waiting on
	// others it is the deadline after which it runs anyway (max_wait).
	RunAt    *time.Time `json:"run_at,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
	Attempts int        `json:"attempts"`
	// Runs counts the jobs created for the task; it numbers job ids.
	Runs int `json:"runs"`
	// MaxWait and When come from the playbook; see TaskTemplate.
	When      string   `json:"when,omitempty"`
	MaxWait   Duration `json:"max_wait,omitempty"`
	DueAfter  Duration `json:"due_after,omitempty"`
	LastError string   `json:"last_error,omitempty"`
	// Progress is what a running action that the outside system finishes
	// later last said ("Drive transfer in progress: 40 of 120 files"),
	// shown on the card until the task settles.
	Progress string            `json:"progress,omitempty"`
	Evidence map[string]string `json:"evidence,omitempty"`
	// Secrets are what the task's action handed over that only those who
	// may run the task may see (a lock PIN). Outside the engine each value
	// is SecretSet; RevealSecrets gives them out, audited. They are kept
	// until the case completes.
	Secrets    Secrets `json:"secrets,omitempty"`
	SkipReason string  `json:"skip_reason,omitempty"`
	// StartedBy is who last ran an automated task by hand (Run, Retry,
	// Revoke now): their email or "kind:id", StartedByName their name
	// when known, StartedAt when. Empty when offboard ran it by itself,
	// so a card can say "Run by Ian (IT) at 15:08" or "Runs by itself".
	StartedBy     string `json:"started_by,omitempty"`
	StartedByName string `json:"started_by_name,omitempty"`
	// StartedAs is why they could: the label of the task's department
	// whose role they hold, "admin", or "" (an API token).
	StartedAs   string     `json:"started_as,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedBy string     `json:"completed_by,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Nudges counts the overdue notices sent for the task (1: to the
	// assignee or department, 2: also to the department lead); LastNudgeAt
	// is when the last one went.
	Nudges      int        `json:"nudges,omitempty"`
	LastNudgeAt *time.Time `json:"last_nudge_at,omitempty"`
	// Restore marks a task that undoes revocations of a cancelled case;
	// it is the only kind of task that runs on a closed case. Note says
	// people what it cannot bring back.
	Restore   bool      `json:"restore,omitempty"`
	Note      string    `json:"note,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Manual reports whether a person does the task.
func (t *Task) Manual() bool { return t.Action == ActionManual }

// IsRevocation reports whether the task cuts access; the case clock stops
// when every such task is done. Tasks that wait for others (account
// deactivation waits for the data transfers) are clean-up after access is
// already gone, so they do not hold the clock.
func (t *Task) IsRevocation() bool {
	return t.Priority == PriorityRevocation && !t.Manual() && len(t.After) == 0
}

// Unsettled returns the tasks t waits for (its After) that are neither
// done nor skipped, in the order t names them.
func (t *Task) Unsettled(all []*Task) []*Task {
	var out []*Task
	for _, dep := range t.After {
		for _, o := range all {
			if o.Key == dep && !o.Status.Settled() {
				out = append(out, o)
			}
		}
	}
	return out
}

// StatusWords says a status for people: "waiting for approval".
func (s TaskStatus) StatusWords() string {
	if s == TaskWaitingApproval {
		return "waiting for approval"
	}
	return string(s)
}

// OutOfOrderRisk says what running t before the tasks it waits for may
// lose, for the confirmation a person sees and the audit.
func (t *Task) OutOfOrderRisk() string {
	if strings.HasSuffix(t.Action, ".deactivate") {
		return "deactivating the account unassigns every app, and the files and mail those tasks hand over can be deleted with it"
	}
	return "those tasks were meant to finish first; running this now may undo or lose what they are there to keep"
}
