// Package graphtest is the test-facing face of the fake Microsoft Graph in
// connectors/microsoft/graphfake: New starts one that closes with the test.
// The fake itself lives in graphfake so that the demo can run it without
// linking package testing into the production binary.
package graphtest

import (
	"testing"

	"github.com/offboard-dev/offboard/connectors/microsoft/graphfake"
)

// The fake's types, under the names tests already use.
type (
	Server        = graphfake.Server
	User          = graphfake.User
	Group         = graphfake.Group
	License       = graphfake.License
	AppRole       = graphfake.AppRole
	Method        = graphfake.Method
	Grant         = graphfake.Grant
	Request       = graphfake.Request
	ManagedDevice = graphfake.ManagedDevice
	ActionResult  = graphfake.ActionResult
)

// Fixed identities of the fake tenant.
const (
	TenantID     = graphfake.TenantID
	ClientID     = graphfake.ClientID
	ClientSecret = graphfake.ClientSecret
	// DeletePermission is what entra.delete needs beyond LeastPrivilege.
	DeletePermission = graphfake.DeletePermission
)

// The application permissions the fake grants by default.
var (
	LeastPrivilege       = graphfake.LeastPrivilege
	IntuneLeastPrivilege = graphfake.IntuneLeastPrivilege
)

// New starts a fake closed when t's test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := graphfake.NewServer()
	if err != nil {
		t.Fatalf("graphtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake; call Close when done.
func NewServer() (*Server, error) { return graphfake.NewServer() }
