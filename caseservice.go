package offboard

import (
	"context"
	"time"
)

// CaseService is the one way in to cases: the engine in flows implements
// it, and chat, the web console, the REST API, the HR intake and the job
// runner use it without importing the engine. Errors are *Error; besides
// the codes each method names, a failing store gives EINTERNAL or
// EUNAVAILABLE.
type CaseService interface {
	CaseReader
	// Apply authorizes and applies one command in one store transaction.
	// A refusal — EINVALID, ENOTFOUND, EFORBIDDEN or ECONFLICT — changes
	// nothing except an audit entry that records the attempt.
	Apply(ctx context.Context, cmd Command) (*Result, error)
}

// CaseReader is the read half of CaseService, for those that must not
// change anything: the assistant, whose tools a language model calls,
// cannot hold a method that changes a case. Every query returns only
// what the actor may see (CanViewCase).
type CaseReader interface {
	// GetCase returns one case if the actor may see it: EINVALID for
	// something that is not a case id, ENOTFOUND, EFORBIDDEN.
	GetCase(ctx context.Context, actor Actor, id CaseID) (*CaseView, error)
	// ListCases returns the cases with a status that the actor may see,
	// newest first, at most limit (0 means 100).
	ListCases(ctx context.Context, actor Actor, status CaseStatus, limit int) ([]*CaseView, error)
	// FindCases finds cases by case id, by email or by name, newest first,
	// that the actor may see: EINVALID for an empty query; for a case id,
	// GetCase's codes.
	FindCases(ctx context.Context, actor Actor, query string) ([]*CaseView, error)
	// CaseSummaries returns the cases with a status (any when empty) that
	// the actor may see, newest first, each with its Summary and without
	// tasks; with since set it stops at cases created before since; limit
	// 0 or less means all.
	CaseSummaries(ctx context.Context, actor Actor, status CaseStatus, since time.Time, limit int) ([]*Case, error)
	// CasesOpened returns the cases the actor may see that were opened in
	// [from, to), newest first, without tasks or approvals.
	CasesOpened(ctx context.Context, actor Actor, from, to time.Time) ([]*Case, error)
}
