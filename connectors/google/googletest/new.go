// Package googletest is the test-facing face of the fake Google APIs in
// connectors/google/googlefake: New starts one that closes with the test.
// The fake itself lives in googlefake so that the demo can run it without
// linking package testing into the production binary.
package googletest

import (
	"testing"

	"github.com/offboard-dev/offboard/connectors/google/googlefake"
)

// The fake's types, under short names for tests.
type (
	Server  = googlefake.Server
	User    = googlefake.User
	Token   = googlefake.Token
	ASP     = googlefake.ASP
	Request = googlefake.Request
)

// Admin is the administrator New adds, whom the service account acts as.
const Admin = "admin@" + googlefake.Domain

// New starts a fake with an administrator (Admin), closed when t's test
// ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := googlefake.NewServer()
	if err != nil {
		t.Fatalf("googletest: %v", err)
	}
	t.Cleanup(s.Close)
	s.AddUser(googlefake.User{PrimaryEmail: Admin, GivenName: "Ada", FamilyName: "Admin", IsAdmin: true})
	return s
}
