package offboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// ApproverITTwo is the approval kind "two distinct people of IT": a
// device wipe destroys what cannot come back, so one person's click is not
// enough. Neither may be the person who asked nor the person leaving.
const ApproverITTwo = "it_two"

// ApproverLegal is the approval kind "one person of Legal": whether a
// legal hold applies is Legal's call. Neither the person who asked nor
// the person leaving may answer it, and a no skips the task (no hold is
// needed) rather than leaving it waiting.
const ApproverLegal = "legal"

// ApproverManagerFinance is the approval kind "the departing person's
// manager AND one person of Finance": writing off equipment that never
// came back is a loss the manager vouches for and Finance books. Two
// yeses from two people, one of each side; neither the person who asked
// nor the person leaving may give one.
const ApproverManagerFinance = "manager_finance"

// Sides of a manager_finance approval, recorded on each Decision.
const (
	SideManager = "manager"
	SideFinance = "finance"
)

// ApprovalKinds are the approval kinds a playbook task may name.
var ApprovalKinds = []string{ApproverManager, ApproverITTwo, ApproverLegal, ApproverManagerFinance}

// ApprovalRule is who decides an approval of a kind: a role whose holders
// decide (none for the manager kind, where one named person does) and
// how many distinct yeses it needs. For the legal kind the role is the
// standard one; the engine uses the configured Legal department's role.
func ApprovalRule(kind string) (role Role, needed int) {
	switch kind {
	case ApproverITTwo:
		return RoleIT, 2
	case ApproverLegal:
		return RoleLegal, 1
	case ApproverManagerFinance:
		// The role is Finance's half; the manager is named on the approval.
		return RoleFinance, 2
	}
	return "", 1
}

// DeniedSkips reports whether a no to an approval of kind settles its
// task as skipped: "is there a legal hold?" answered no means nothing is
// to be done, where a manager's no leaves the task for people to resolve
// (ask someone else, or skip it).
func DeniedSkips(kind string) bool { return kind == ApproverLegal }

// Decision is one person's answer to an approval.
type Decision struct {
	By      string    `json:"by"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
	// As is the side the person decided for on a manager_finance approval
	// (SideManager or SideFinance); empty for every other kind.
	As string `json:"as,omitempty"`
}

// Approval gates a task on a person's yes, bound to exact parameters.
type Approval struct {
	ID      string `json:"id"`
	CaseID  CaseID `json:"case_id"`
	TaskKey string `json:"task_key"`
	// Kind is set for a manager_finance approval (ApproverManagerFinance),
	// where a named manager and a role decide together; for every other
	// kind Role and Approver say it all.
	Kind string `json:"kind,omitempty"`
	// Approver is the email of the person asked; ApproverName their name
	// as the directory knew it when they were asked ("" when unknown), so
	// cards and refusals name a person, not an address.
	Approver     string `json:"approver"`
	ApproverName string `json:"approver_name,omitempty"`
	// Role, when set, is the role whose holders decide (any of them, not
	// one named person), and Needed how many distinct yeses it takes;
	// zero means one. Each yes is a Decision.
	Role     Role   `json:"role,omitempty"`
	Needed   int    `json:"needed,omitempty"`
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

// Deciders says who decides, for lists: the approver's email, or for an
// approval a role decides "2 different people with the it role (1 of 2
// approved)"; "" when nobody is named (see ApproverOrNobody).
func (a *Approval) Deciders() string {
	if a.Kind == ApproverManagerFinance {
		return fmt.Sprintf("%s and one person with the %s role (%d of 2 approved)", ApproverOrNobody(a.Approver), a.Role, a.Yeses())
	}
	if a.Role == "" {
		return a.Approver
	}
	if a.Required() == 1 {
		return fmt.Sprintf("one person with the %s role", a.Role)
	}
	return fmt.Sprintf("%d different people with the %s role (%d of %d approved)", a.Required(), a.Role, a.Yeses(), a.Required())
}

// Required is how many distinct yeses the approval needs.
func (a *Approval) Required() int { return max(a.Needed, 1) }

// Yeses counts the distinct people who approved.
func (a *Approval) Yeses() int {
	var seen []string
	for _, d := range a.Decisions {
		if d.Approve && !slices.Contains(seen, strings.ToLower(d.By)) {
			seen = append(seen, strings.ToLower(d.By))
		}
	}
	return len(seen)
}

// Granted reports whether the yeses given are enough: for a
// manager_finance approval one yes of each side (by two people, which
// CanApprove enforces), otherwise Required distinct yeses.
func (a *Approval) Granted() bool {
	if a.Kind == ApproverManagerFinance {
		return a.sideApproved(SideManager) && a.sideApproved(SideFinance)
	}
	return a.Yeses() >= a.Required()
}

// sideApproved reports whether someone said yes for side.
func (a *Approval) sideApproved(side string) bool {
	return slices.ContainsFunc(a.Decisions, func(d Decision) bool { return d.Approve && d.As == side })
}

// DecidedBy reports whether actor already gave a decision.
func (a *Approval) DecidedBy(actor Actor) bool {
	return slices.ContainsFunc(a.Decisions, func(d Decision) bool {
		return recordedAs(actor, d.By)
	})
}

// CanApprove decides whether actor may decide approval a on case c: the
// named approver, one of their delegates, anyone the approval was
// escalated to (a.EscalatedTo), or an admin; for an approval a role
// decides (a.Role: a wipe's two people of IT), a holder of the role who
// has not decided it yet — never the person who asked for it and never
// the departing employee, whatever else holds.
func CanApprove(actor Actor, c *Case, a *Approval, delegates []string) error {
	if actor.SamePerson(c.Employee.Email) || isLeaverByUserID(actor, c) {
		return Errorf(EFORBIDDEN, "%s is the person leaving and cannot decide approvals on their own case", actor)
	}
	if recordedAs(actor, a.RequestedBy) {
		return Errorf(EFORBIDDEN, "%s asked for this approval, so someone else decides it: %s", actor, a.WhoDecides())
	}
	if a.Kind == ApproverManagerFinance {
		_, err := managerFinanceSide(actor, a, delegates)
		return err
	}
	if a.Role != "" {
		return canApproveAsRole(actor, a)
	}
	if speaksForApprover(actor, a, delegates) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s", a.WhoDecides())
}

// WhoDecides says who may decide a, for a refusal: "only Mona Manager or
// their delegates can decide this (or an admin)".
func (a *Approval) WhoDecides() string {
	switch {
	case a.Kind == ApproverManagerFinance:
		return fmt.Sprintf("only %s or their delegates, together with one person with the %s role, can decide this (or an admin)",
			a.ApproverWords(), a.Role)
	case a.Role != "":
		return fmt.Sprintf("only people with the %s role can decide this (%s, each once)", a.Role, Count(a.Required(), "person", "people"))
	case a.Approver == "":
		return "only an admin can decide this: no manager is known (or ask someone with Ask again…)"
	}
	return fmt.Sprintf("only %s or their delegates can decide this (or an admin)", a.ApproverWords())
}

// ApproverWords names the approver for people: their name when known,
// else their email, else "nobody yet …" (ApproverOrNobody).
func (a *Approval) ApproverWords() string {
	if a.Approver == "" {
		return ApproverOrNobody("")
	}
	return PersonWords(a.ApproverName, a.Approver)
}

// ApprovalSide is the side actor decides a manager_finance approval for
// (SideManager or SideFinance), after CanApprove's checks; "" for every
// other kind.
func ApprovalSide(actor Actor, c *Case, a *Approval, delegates []string) (string, error) {
	if err := CanApprove(actor, c, a, delegates); err != nil {
		return "", err
	}
	if a.Kind != ApproverManagerFinance {
		return "", nil
	}
	return managerFinanceSide(actor, a, delegates)
}

// speaksForApprover reports whether actor may answer for the named
// approver: the approver, an admin, a delegate, or someone escalation
// reached.
func speaksForApprover(actor Actor, a *Approval, delegates []string) bool {
	if actor.SamePerson(a.Approver) || actor.IsAdmin() {
		return true
	}
	for _, d := range delegates {
		if actor.SamePerson(d) {
			return true
		}
	}
	for _, e := range a.EscalatedTo {
		if actor.SamePerson(e) {
			return true
		}
	}
	return false
}

// managerFinanceSide picks the side actor answers a manager_finance
// approval for: the manager's (the manager, a delegate, someone
// escalation reached, an admin) while it has no yes, else Finance's
// (holders of a.Role) while it has none. Each person decides once, so a
// manager who is also in Finance cannot fill both sides.
func managerFinanceSide(actor Actor, a *Approval, delegates []string) (string, error) {
	if a.DecidedBy(actor) {
		return "", Errorf(EFORBIDDEN, "%s already decided this approval; it needs the manager and one person of %s, two different people", actor, a.Role)
	}
	manager, finance := speaksForApprover(actor, a, delegates), actor.Has(a.Role)
	switch {
	case manager && !a.sideApproved(SideManager):
		return SideManager, nil
	case finance && !a.sideApproved(SideFinance):
		return SideFinance, nil
	case manager || finance:
		return "", Errorf(EFORBIDDEN, "the side %s can decide for already approved; it waits for %s", actor, a.Awaiting())
	}
	return "", Errorf(EFORBIDDEN, "%s", a.WhoDecides())
}

// Awaiting says who a manager_finance approval still waits for: "the
// manager b@x", "one person with the finance role", or both.
func (a *Approval) Awaiting() string {
	switch {
	case !a.sideApproved(SideManager) && !a.sideApproved(SideFinance):
		return fmt.Sprintf("%s and one person with the %s role", ApproverOrNobody(a.Approver), a.Role)
	case !a.sideApproved(SideManager):
		return "the manager " + ApproverOrNobody(a.Approver)
	}
	return fmt.Sprintf("one person with the %s role", a.Role)
}

// recordedAs reports whether by, as an approval records who asked or
// decided, is actor: their email, their id, or for an actor without an
// email "kind:id" (as the engine records them).
func recordedAs(actor Actor, by string) bool {
	return actor.SamePerson(by) || strings.EqualFold(by, actor.ID) ||
		actor.Email == "" && strings.EqualFold(by, string(actor.Kind)+":"+actor.ID)
}

// isLeaverByUserID reports whether the actor's chat platform id is one
// of the leaver's user ids the case's connectors found (a Teams sender's
// Entra object id): the leaver clicking under another address.
func isLeaverByUserID(actor Actor, c *Case) bool {
	if actor.PlatformUserID == "" {
		return false
	}
	for _, id := range c.UserIDs {
		if strings.EqualFold(id, actor.PlatformUserID) {
			return true
		}
	}
	return false
}

// canApproveAsRole is CanApprove for an approval its role's holders
// decide: holders of the role, each once. An admin or someone escalation
// reached counts only if they hold the role too, so "two of IT" stays
// two of IT; escalation still chases them to find one.
func canApproveAsRole(actor Actor, a *Approval) error {
	if a.DecidedBy(actor) {
		return Errorf(EFORBIDDEN, "%s already decided this approval; it needs %d different people", actor, a.Required())
	}
	if actor.Has(a.Role) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s", a.WhoDecides())
}
