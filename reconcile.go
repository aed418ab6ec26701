package offboard

import "context"

// AccountStatus is what an identity system says about one person.
type AccountStatus struct {
	// Found is false when the system has no one with the email.
	Found bool
	// Active is true while the person can still sign in.
	Active bool
	// Status is the system's own word for it ("ACTIVE"), for people.
	Status string
}

// IdentityStatusSource is the identity capability reconciliation reads:
// a person's status by email. It only reads.
type IdentityStatusSource interface {
	// IdentityLabel names the system for people ("Okta").
	IdentityLabel() string
	AccountStatus(ctx context.Context, email string) (AccountStatus, error)
}

// ReconcileFinding is what a reconciliation run knows about one
// termination an HR source reported.
type ReconcileFinding struct {
	HR       HRSystem
	Identity string // the identity system's label
	// Termination is as the HR source reported it.
	Termination Termination
	// Status is the identity system's answer for the termination's
	// email; nil until it was asked.
	Status *AccountStatus
	// Today is the company's date, "2006-01-02".
	Today string
}

// ReconcileDecision is what one finding asks for. At most one field is
// set; none means nothing is to be done.
type ReconcileDecision struct {
	// Check asks for the identity system's status of the termination's
	// email, then for a decision again with it.
	Check bool
	// Problem says why the termination could not be checked; it names
	// the employee by HR id, never by email.
	Problem string
	// Open opens (or, when its dedupe key or the person has a case
	// already, adds the finding to) the case of someone terminated but
	// still active.
	Open *OpenCase
}

// ReconcileSource is the source, and the system actor, of the cases
// reconciliation against the HR source named hr opens.
func ReconcileSource(hr string) string { return "reconcile:" + hr }

// Reconciliation is the diff of an HR source against an identity
// system, one termination at a time. It is pure: it reads and writes
// nothing, so the caller gathers the findings before and applies the
// decisions after.
type Reconciliation interface {
	ReconcileTermination(f ReconcileFinding) ReconcileDecision
}

// Ref names the finding's employee for problems and logs: by HR id,
// never by email ("BambooHR employee 4242").
func (f ReconcileFinding) Ref() string { return f.HR.Label + " employee " + f.Termination.EmployeeID }

// ActionReconcileRan is the audit action of one reconciliation run
// (RecordReconciliation).
const ActionReconcileRan = "reconcile.ran"
