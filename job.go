package offboard

import (
	"fmt"
	"strings"
	"time"
)

// JobKind says what a worker does with a job.
type JobKind string

// Job kinds.
const (
	JobAction JobKind = "action" // run a connector action for a task
	JobNotify JobKind = "notify" // tell people in chat
)

// Job is an outbox row: an effect the engine decided on, written in the
// same transaction as the decision and run by a worker afterwards.
type Job struct {
	// ID is stable for the effect, so a rerun after a crash is the same
	// job: "OFF-0042/okta_suspend#1" (#n counts deliberate re-runs).
	ID      string            `json:"id"`
	Kind    JobKind           `json:"kind"`
	CaseID  CaseID            `json:"case_id"`
	TaskKey string            `json:"task_key,omitempty"`
	Action  string            `json:"action,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Notice  *Notice           `json:"notice,omitempty"`
	// Platform is the chat platform a notice job is for ("slack"); each
	// gets its own job, so one platform's rate limit never holds up
	// another's. Empty (notices queued before platforms had their own
	// jobs) goes to every platform.
	Platform  string    `json:"platform,omitempty"`
	Priority  Priority  `json:"priority"`
	NotBefore time.Time `json:"not_before"`
	// Seq orders jobs with the same priority and NotBefore by creation, so
	// the revocations of one case run in the playbook's safe order. The
	// store sets it on first write.
	Seq       uint64 `json:"seq"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
	// Leased is set while a worker holds the job. A job leased when the
	// process starts was cut off by a crash and is queued again.
	Leased    bool      `json:"leased"`
	LeasedAt  time.Time `json:"leased_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	// DeadAt is set when the job was moved to the dead letters.
	DeadAt *time.Time `json:"dead_at,omitempty"`

	// Target is who an action acts on, as the case knew them when the job
	// was written (the engine refreshes it when a connector finds the
	// person's user id). Nil on jobs written before jobs carried it.
	Target *Target `json:"target,omitempty"`
}

// API is the rate-limit group of the job: the part of the action id
// before the dot ("okta" for "okta.suspend"), or "chat:" and the
// platform for notices ("chat:slack"; "chat" for a notice to all).
func (j *Job) API() string {
	if j.Kind == JobNotify {
		if j.Platform != "" {
			return "chat:" + j.Platform
		}
		return "chat"
	}
	api, _, _ := strings.Cut(j.Action, ".")
	return api
}

// ActionJobID is the id of the n-th run of a task's action.
func ActionJobID(c CaseID, taskKey string, run int) string {
	return fmt.Sprintf("%s/%s#%d", c, taskKey, run)
}

// NoticeKind says what a notice is about; platforms choose the card by it.
type NoticeKind string

// Notice kinds.
const (
	NoticeCaseOpened        NoticeKind = "case_opened"
	NoticeCaseCompleted     NoticeKind = "case_completed"
	NoticeCaseCancelled     NoticeKind = "case_cancelled"
	NoticeCaseEscalated     NoticeKind = "case_escalated" // became involuntary: access goes now
	NoticeApprovalRequested NoticeKind = "approval_requested"
	NoticeApprovalApproved  NoticeKind = "approval_approved"
	NoticeApprovalDenied    NoticeKind = "approval_denied"
	NoticeTaskFailed        NoticeKind = "task_failed"
	NoticeTaskUnverified    NoticeKind = "task_unverified"
	// NoticeRestoreNeeded tells IT that a cancelled case's revocations
	// took effect and access should be restored (see Task.Restore).
	NoticeRestoreNeeded NoticeKind = "restore_needed"
	// Nudges the scheduler sends when nothing moves (see flows/escalate.go).
	NoticeApprovalReminder  NoticeKind = "approval_reminder"
	NoticeApprovalEscalated NoticeKind = "approval_escalated"
	NoticeApprovalStuck     NoticeKind = "approval_stuck" // top level reached and still nobody decided
	NoticeTaskOverdue       NoticeKind = "task_overdue"
	// NoticeTasksUpdated says one department's tasks on a case changed;
	// platforms redraw that card and the case header.
	NoticeTasksUpdated NoticeKind = "tasks_updated"
	// NoticeDigest is the daily digest (see flows/digest.go). It is posted
	// by the schedule straight to chat, never queued by a command.
	NoticeDigest NoticeKind = "digest"
)

// Notice is a neutral chat notification. Platforms render it.
type Notice struct {
	// ID is set by the outbox when it delivers the notice (the job's id):
	// the same on every retry, so a platform can post a message once.
	ID         string     `json:"id,omitempty"`
	Kind       NoticeKind `json:"kind"` // NoticeCaseOpened, NoticeTaskFailed, …
	CaseID     CaseID     `json:"case_id"`
	TaskKey    string     `json:"task_key,omitempty"`
	ApprovalID string     `json:"approval_id,omitempty"`
	Department Department `json:"department,omitempty"`
	// To are emails of people to tell directly, in addition to the room.
	To   []string `json:"to,omitempty"`
	Text string   `json:"text"`
}
