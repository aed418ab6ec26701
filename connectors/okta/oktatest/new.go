// Package oktatest is the test-facing face of the fake Okta in
// connectors/okta/oktafake: New starts one that closes with the test. The
// fake itself lives in oktafake so that the demo can run it without
// linking package testing into the production binary.
package oktatest

import (
	"testing"

	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// The fake's types and constants, under the names tests already use.
type (
	Server     = oktafake.Server
	User       = oktafake.User
	Factor     = oktafake.Factor
	App        = oktafake.App
	Group      = oktafake.Group
	Request    = oktafake.Request
	ServiceApp = oktafake.ServiceApp
)

// Token is the API token the fake accepts.
const Token = oktafake.Token

// Rate-limit buckets of the fake (see oktafake.BucketOf).
const (
	BucketToken     = oktafake.BucketToken
	BucketUsers     = oktafake.BucketUsers
	BucketGetUser   = oktafake.BucketGetUser
	BucketUserWrite = oktafake.BucketUserWrite
	BucketGroups    = oktafake.BucketGroups
	BucketGroup     = oktafake.BucketGroup
	BucketApps      = oktafake.BucketApps
	BucketApp       = oktafake.BucketApp
	BucketLogs      = oktafake.BucketLogs
	BucketEvents    = oktafake.BucketEvents
	BucketOther     = oktafake.BucketOther
)

// DocumentedLimit is a bucket's per-minute limit in Okta's documentation.
func DocumentedLimit(bucket string) int { return oktafake.DocumentedLimit(bucket) }

// BucketOf names the rate-limit bucket a request falls in.
func BucketOf(method, path string) string { return oktafake.BucketOf(method, path) }

// New starts a fake Okta server closed when t's test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := oktafake.NewServer()
	if err != nil {
		t.Fatalf("oktatest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake Okta server; call Close when done.
func NewServer() (*Server, error) { return oktafake.NewServer() }
