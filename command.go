package offboard

import "time"

// Command is a request to change state, sent to CaseService.Apply. Every
// command names its actor. The commands are the domain's verbs; they live
// here, not with the engine, so that every surface speaks them without
// importing the engine.
type Command interface {
	// Actor is who sends the command.
	Actor() Actor
	// Name is the command's audit name ("open_case").
	Name() string
}

// OpenCase opens a case for a departing employee.
type OpenCase struct {
	By       Actor
	Employee Employee
	Kind     DepartureKind
	// LastDay "2006-01-02" in the employee's time zone. Required for
	// voluntary exits; an involuntary exit defaults to today.
	LastDay string
	// LastTime "15:04" is when access goes on the last day; empty means
	// the configured revocation time.
	LastTime string
	// EffectiveAt is HR's effective termination time, when known.
	EffectiveAt time.Time
	// Confidential overrides the default (on for involuntary exits).
	Confidential *bool
	// Playbook overrides the playbook chosen by departure kind.
	Playbook  string
	Source    string
	SourceRef string
	// Batch names the delivery the notice came in with others (one
	// `cases import`, one API client's batch): chat announces a batch
	// once per department instead of once per case.
	Batch string
	// DedupeKey makes delivery idempotent: a second OpenCase with the same
	// key returns the first case (Result.Duplicate).
	DedupeKey string
	Notes     string
	// ConfirmUnknown: the sender confirms the emails although no
	// directory knows them (someone outside the identity system and the HRIS); without
	// it such an email is refused with the nearest known one.
	ConfirmUnknown bool
}

// CancelCase stops a case; tasks not yet running are skipped.
type CancelCase struct {
	By     Actor
	CaseID CaseID
	Reason string
}

// StartTask runs an automated task now (early, or again after a failure),
// or claims a manual task for the actor.
type StartTask struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
	// Override runs an automated task before the tasks it waits for
	// (After) are settled; it needs a Reason, and both are audited.
	Override bool
	Reason   string
}

// RevokeNow runs every revocation of a case that has not run yet, at
// once: IT's answer to a voluntary exit that cannot wait for the last day.
type RevokeNow struct {
	By     Actor
	CaseID CaseID
	Reason string
}

// CompleteTask marks a manual task done, or confirms by hand an automated
// task whose action failed or could not be verified.
type CompleteTask struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
	Note    string
}

// SkipTask marks a task as not needed. A reason is required.
type SkipTask struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
	Reason  string
}

// RequestApproval asks (again) for the approval gating a task, with the
// given parameters. Any earlier approval for the task becomes void.
type RequestApproval struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
	Params  map[string]string
	// Approver overrides the default approver (the manager), by email.
	Approver string
}

// DecideApproval approves or denies an approval.
type DecideApproval struct {
	By         Actor
	ApprovalID string
	Approve    bool
	Comment    string
	// ParamsHash, when set, must match the approval's: the person decided
	// on exactly what they saw.
	ParamsHash string
}

// RecordDeviceReturn records how a device comes back, on a task that
// tracks a return (TrackDeviceReturn): what is known so far; the task is
// done once Received and Wiped are both recorded.
type RecordDeviceReturn struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
	Return  DeviceReturn
}

// ActionSucceeded reports that a job's action ran.
type ActionSucceeded struct {
	By    Actor
	JobID string
	// Verified is true when the connector read the target back and it
	// agrees; false makes the task "unverified".
	Verified    bool
	AlreadyDone bool
	Summary     string
	Evidence    map[string]string
	// UserID is the employee's user id in the action's system when the
	// connector found them (not when a task parameter named another
	// user); the engine records it on the case and on the case's queued
	// jobs of that system.
	UserID string
	// InProgress says the action started something the outside system
	// finishes later (a data transfer): the task stays running, Summary
	// shows as its progress, and the same job runs again after
	// CheckAfter (see CheckDelay) without counting an attempt.
	InProgress bool
	CheckAfter time.Duration
	// Secrets are values only those who may run the task may see (a lock
	// PIN), by name. The engine keeps them on the task, merged by name
	// (a new value replaces the old one), and never puts them in the audit
	// chain or a view; a value found in Summary or Evidence is blanked.
	Secrets Secrets
}

// RevealSecrets asks for the secrets a task holds (a lock PIN). Only those
// who may run the task get them (CanRunTask), each name audited as
// "secret.viewed" without its value; the values come back in
// Result.Secrets, for a private answer to the person who asked.
type RevealSecrets struct {
	By      Actor
	CaseID  CaseID
	TaskKey string
}

// RecordReconciliation records one reconciliation run in the audit chain,
// clean or not, so evidence can tell "ran and found nothing" from "never
// ran". Only offboard itself sends it. It holds counts, never names or
// emails: problems are counted, their texts stay in the log.
type RecordReconciliation struct {
	By Actor
	// HR and Identity are the systems compared, by label ("BambooHR", "Okta").
	HR, Identity string
	// The run's figures (runner.Report).
	Terminated, Checked, StillActive, Opened, Flagged, Problems int
	// Failed says why the HR system could not be read; nothing was checked.
	Failed string
}

// How soon an action in progress is checked again: CheckAfter, or
// DefaultCheckAfter when it is not set, and never later than
// MaxCheckAfter, so a connector's odd answer cannot park a task for days.
const (
	DefaultCheckAfter = time.Minute
	MaxCheckAfter     = time.Hour
)

// CheckDelay is when an action in progress runs again: d, with the
// default for zero or less and the cap applied.
func CheckDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultCheckAfter
	}
	return min(d, MaxCheckAfter)
}

// ActionFailed reports that a job's action failed.
type ActionFailed struct {
	By    Actor
	JobID string
	Error string
	// Retryable failures run again at RetryAt until attempts run out.
	Retryable bool
	RetryAt   time.Time
	// RateLimited defers the job to RetryAt without counting an attempt.
	RateLimited bool
}

// RecordRoom records where a chat platform shows a case: its room and the
// ids of the messages it posted. Fields left empty keep their stored
// value; Messages are merged. Only offboard itself sends it.
type RecordRoom struct {
	By     Actor
	CaseID CaseID
	Room   RoomRef
}

// Tick runs what has come due: scheduled tasks, and tasks whose wait for
// others has run out. Now zero means the engine's clock.
type Tick struct {
	By  Actor
	Now time.Time
}

func (c OpenCase) Actor() Actor           { return c.By }
func (c CancelCase) Actor() Actor         { return c.By }
func (c StartTask) Actor() Actor          { return c.By }
func (c CompleteTask) Actor() Actor       { return c.By }
func (c SkipTask) Actor() Actor           { return c.By }
func (c RequestApproval) Actor() Actor    { return c.By }
func (c DecideApproval) Actor() Actor     { return c.By }
func (c ActionSucceeded) Actor() Actor    { return c.By }
func (c ActionFailed) Actor() Actor       { return c.By }
func (c Tick) Actor() Actor               { return c.By }
func (c RecordRoom) Actor() Actor         { return c.By }
func (c RevokeNow) Actor() Actor          { return c.By }
func (c RecordDeviceReturn) Actor() Actor { return c.By }
func (c RevealSecrets) Actor() Actor      { return c.By }
func (c RecordReconciliation) Actor() Actor {
	return c.By
}

func (OpenCase) Name() string           { return "open_case" }
func (CancelCase) Name() string         { return "cancel_case" }
func (StartTask) Name() string          { return "start_task" }
func (CompleteTask) Name() string       { return "complete_task" }
func (SkipTask) Name() string           { return "skip_task" }
func (RequestApproval) Name() string    { return "request_approval" }
func (DecideApproval) Name() string     { return "decide_approval" }
func (ActionSucceeded) Name() string    { return "action_succeeded" }
func (ActionFailed) Name() string       { return "action_failed" }
func (Tick) Name() string               { return "tick" }
func (RecordRoom) Name() string         { return "record_room" }
func (RevokeNow) Name() string          { return "revoke_now" }
func (RecordDeviceReturn) Name() string { return "record_device_return" }
func (RevealSecrets) Name() string      { return "reveal_secrets" }
func (RecordReconciliation) Name() string {
	return "record_reconciliation"
}

// Result is what a command did.
type Result struct {
	Case      *Case
	Tasks     []*Task
	Approvals []*Approval
	// Departments is the configured set the case's cards are drawn by.
	Departments Departments
	// Duplicate is set when OpenCase matched an earlier delivery, and
	// when EraseCase found the case erased already (nothing was done).
	Duplicate bool
	// Erasure is what EraseCase did.
	Erasure *Erasure
	// Message says in one line what happened, for chat replies.
	Message string
	// JobsQueued counts the jobs this command queued.
	JobsQueued int
	// Advanced counts the jobs a Tick queued.
	Advanced int
	// More is set when a Tick took a full batch of due tasks: tick again.
	More bool
	// Secrets are the values RevealSecrets asked for, only on its result;
	// printed or marshalled they show their names only.
	Secrets Secrets
}
