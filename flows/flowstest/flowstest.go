// Package flowstest builds a real engine for the tests of other packages.
// Only cmd/offboard imports flows; a bot, web, connector or runner test
// that needs the engine behind offboard.CaseService gets it here, and
// holds it as the root verbs, as its package's code does.
package flowstest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// Engine is the engine as a test holds it: the root verbs, and the
// digest that serve's schedule asks for.
type Engine interface {
	offboard.CaseService
	Digest(ctx context.Context, now time.Time) (offboard.Digest, error)
}

// Options are the engine options tests set; see flows.Options for each.
// Zero values take the engine's defaults.
type Options struct {
	Store       offboard.Store
	Clock       offboard.Clock
	Roles       func(email string) []offboard.Role
	Location    *time.Location
	Lookup      func(email string) offboard.Presence
	NameOf      func(email string) string
	ManagerOf   func(email string) string // for escalations
	MaxAttempts int
	AfterCommit func()
	Logger      *slog.Logger
}

// TickBatch is how many due items one Tick advances at most.
const TickBatch = flows.TickBatch

// New builds the engine over o.Store; the test fails if it cannot.
func New(tb testing.TB, o Options) Engine {
	tb.Helper()
	e, err := flows.New(flows.Options{Store: o.Store, Clock: o.Clock, Roles: o.Roles, Location: o.Location,
		Lookup: o.Lookup, NameOf: o.NameOf, Escalation: flows.EscalationPolicy{ManagerOf: o.ManagerOf},
		MaxAttempts: o.MaxAttempts, AfterCommit: o.AfterCommit, Logger: o.Logger})
	if err != nil {
		tb.Fatalf("flowstest: %v", err)
	}
	return e
}
