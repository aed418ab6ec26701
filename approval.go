package offboard

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// ApprovalStatus is where an approval stands.
type ApprovalStatus string

// Approval statuses.
const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved"
	ApprovalDenied   ApprovalStatus = "denied"
	// ApprovalVoid means the parameters it was granted for changed.
	ApprovalVoid ApprovalStatus = "void"
)

// ApproverManager is the approval kind "the departing person's manager".
const ApproverManager = "manager"

// Decision is one person's answer to an approval.
type Decision struct {
	By      string    `json:"by"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Approval gates a task on a person's yes, bound to exact parameters.
type Approval struct {
	ID      string `json:"id"`
	CaseID  CaseID `json:"case_id"`
	TaskKey string `json:"task_key"`
	// Approver is the email of the person asked.
	Approver string `json:"approver"`
	Question string `json:"question"`
	// Params are what is approved (e.g. transfer_to); ParamsHash binds the
	// approval to them so a changed target needs a new yes.
	Params      map[string]string `json:"params,omitempty"`
	ParamsHash  string            `json:"params_hash"`
	RequestedBy string            `json:"requested_by"`
	Status      ApprovalStatus    `json:"status"`
	Decisions   []Decision        `json:"decisions,omitempty"`
	// Escalation bookkeeping for the scheduler.
	EscalationLevel int        `json:"escalation_level"`
	Reminders       int        `json:"reminders"`
	LastNudgeAt     *time.Time `json:"last_nudge_at,omitempty"`
	// EscalatedTo are the people escalation added as deciders, in order.
	EscalatedTo []string `json:"escalated_to,omitempty"`
	// Paged is set once HR was told the approval is stuck at the top
	// escalation level.
	Paged     bool       `json:"paged,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// HashParams returns a stable hash of a parameter map.
func HashParams(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(p[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CoversParams reports whether an approved approval was granted for
// exactly these parameters.
func (a *Approval) CoversParams(p map[string]string) bool {
	return a.Status == ApprovalApproved && a.ParamsHash == HashParams(p)
}

// CanApprove decides whether actor may decide approval a on case c: the
// named approver, one of their delegates, anyone the approval was
// escalated to (a.EscalatedTo), or an admin — never the person who asked
// for it and never the departing employee, whatever else holds.
func CanApprove(actor Actor, c *Case, a *Approval, delegates []string) error {
	if actor.SamePerson(c.Employee.Email) {
		return Errorf(EFORBIDDEN, "%s is the person leaving and cannot decide approvals on their own case", actor)
	}
	if strings.EqualFold(actor.ID, a.RequestedBy) || actor.SamePerson(a.RequestedBy) {
		return Errorf(EFORBIDDEN, "%s asked for this approval and cannot approve their own request", actor)
	}
	if actor.SamePerson(a.Approver) || actor.IsAdmin() {
		return nil
	}
	for _, d := range delegates {
		if actor.SamePerson(d) {
			return nil
		}
	}
	for _, e := range a.EscalatedTo {
		if actor.SamePerson(e) {
			return nil
		}
	}
	return Errorf(EFORBIDDEN, "only %s (or their delegate, or an admin) can decide this approval", a.Approver)
}
