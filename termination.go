package offboard

import (
	"context"
	"time"
)

// TerminationNotice is an outside system's word that someone leaves: an
// HR system's webhook, or reconciliation. Connectors build it; the engine
// turns it into a case (or updates the person's open case).
type TerminationNotice struct {
	// By is the system that sent it, e.g. System("hris:bamboohr").
	By       Actor
	Employee Employee
	Kind     DepartureKind
	// LastDay "2006-01-02"; may be empty for involuntary exits.
	LastDay string
	// EffectiveAt is HR's effective termination time, when known.
	EffectiveAt time.Time
	Source      string
	SourceRef   string
	// DedupeKey makes a redelivered notice change nothing.
	DedupeKey string
	Notes     string
}

// TerminationOutcome is what came of a notice.
type TerminationOutcome struct {
	CaseID CaseID
	// Duplicate is set when the notice matched an earlier one or updated
	// the person's open case instead of opening another.
	Duplicate bool
	Message   string
}

// CaseOpener takes termination notices; the engine implements it, so
// connectors reach it without importing the engine.
type CaseOpener interface {
	OpenFromNotice(ctx context.Context, n TerminationNotice) (TerminationOutcome, error)
}
