// Package flowstest builds a real engine for the tests of other packages.
// Only cmd/offboard imports flows; a bot, web, connector or runner test
// that needs the engine behind offboard.CaseService gets it here, and
// holds it as the root verbs, as its package's code does.
package flowstest

import (
	"context"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// Engine is the engine as a test holds it: the root verbs, the digest
// that serve's schedule asks for, and reconciliation's pure diff.
type Engine interface {
	offboard.CaseService
	offboard.Reconciliation
	Digest(ctx context.Context, now time.Time) (offboard.Digest, error)
}

// Options, EscalationPolicy and DefaultPlaybookName are the engine's own,
// under this package's name, so that a test sets any engine option
// without importing flows.
type (
	Options          = flows.Options
	EscalationPolicy = flows.EscalationPolicy
)

// DefaultPlaybookName names the playbook a case gets unless it says.
const DefaultPlaybookName = flows.DefaultPlaybookName

// TickBatch is how many due items one Tick advances at most.
const TickBatch = flows.TickBatch

// New builds the engine over o.Store; the test fails if it cannot.
func New(tb testing.TB, o Options) Engine {
	tb.Helper()
	e, err := flows.New(o)
	if err != nil {
		tb.Fatalf("flowstest: %v", err)
	}
	return e
}

// FakeMDM is a test-only device system (an MDM) declared as a connector:
// it locks, retires, wipes and reads devices, as Intune and Jamf do. Its
// actions are the test's to register.
var FakeMDM = offboard.Connector{
	Name: "fakemdm", Label: "Fake MDM",
	Bindings: []offboard.Binding{
		{Capability: offboard.DevicesLock, Action: "fakemdm.lock", Title: "Lock the Fake MDM devices", Button: "Lock now"},
		{Capability: offboard.DevicesRetire, Action: "fakemdm.retire", Title: "Retire the Fake MDM devices"},
		{Capability: offboard.DevicesWipe, Action: "fakemdm.wipe", Title: "Wipe a Fake MDM device", Button: "Wipe"},
		{Capability: offboard.DevicesStatus, Action: "fakemdm.status"},
	},
	Actions: []string{"fakemdm.lock", "fakemdm.retire", "fakemdm.wipe", "fakemdm.status"},
}
