// Package jamftest is the test-facing face of the fake Jamf Pro server in
// connectors/jamf/jamffake: New starts one that closes with the test. The
// fake itself lives in jamffake so that the demo can run it without
// linking package testing into the production binary.
package jamftest

import (
	"testing"

	"github.com/offboard-dev/offboard/connectors/jamf/jamffake"
)

// The fake's types.
type (
	Server       = jamffake.Server
	Computer     = jamffake.Computer
	MobileDevice = jamffake.MobileDevice
	Command      = jamffake.Command
	Request      = jamffake.Request
)

// The fake API client's credentials.
const (
	ClientID     = jamffake.ClientID
	ClientSecret = jamffake.ClientSecret
)

// LeastPrivilege are the privileges the fake grants by default.
var LeastPrivilege = jamffake.LeastPrivilege

// New starts a fake closed when t's test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := jamffake.NewServer()
	if err != nil {
		t.Fatalf("jamftest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
