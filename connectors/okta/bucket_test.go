package okta_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// Okta's limits differ per endpoint family: when the user-write bucket is
// used up, the connector pauses until that bucket's reset without
// sending the write, whatever the other buckets still allow.
func TestClient_PerEndpointBucket(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.RateShare = 1 })
	u := addJane(e.srv)
	if time.Now().Second() >= 55 { // keep the run inside one clock minute
		time.Sleep(6 * time.Second)
	}
	e.srv.BucketLimit(oktatest.BucketUserWrite, 2)
	windowEnd := time.Now().Truncate(time.Minute).Add(time.Minute)
	// Two writes: suspend, then clear sessions, which leaves the bucket
	// at Remaining 0. Reads have their own, larger bucket.
	for _, a := range []string{"okta.suspend", "okta.clear_sessions"} {
		if _, err := e.run(a, jane("jane@example.com")); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	sent := len(e.srv.Requests())
	gets := e.srv.Count("GET", "/api/v1/users/jane@example.com")
	var err error
	_, err = e.run("okta.reset_factors", jane("jane@example.com"))
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) || rl.API != userWriteAPI {
		t.Fatalf("err = %v, want an okta RateLimitError", err)
	}
	if d := rl.Reset.Sub(windowEnd); d < -time.Second || d > 2*time.Second {
		t.Errorf("Reset %v, want the bucket's window end %v", rl.Reset, windowEnd)
	}
	// The action needs the spent bucket: not even its lookup went out,
	// which would be made again when the deferred job runs.
	if n := len(e.srv.Requests()); n != sent {
		t.Errorf("%d requests sent by an action whose bucket is used up", n-sent)
	}
	// A read of the user is another bucket: it goes out.
	st, err := e.c.AccountStatus(context.Background(), "jane@example.com")
	if err != nil || st.Status != "SUSPENDED" {
		t.Errorf("status read with the update bucket spent: %+v, %v", st, err)
	}
	if n := e.srv.Count("GET", "/api/v1/users/jane@example.com"); n != gets+1 {
		t.Errorf("%d lookups of the user, want %d: a spent bucket held back another", n, gets+1)
	}
	if e.srv.Violations() != 0 {
		t.Errorf("%d requests reached a bucket before the reset its 429 gave", e.srv.Violations())
	}
	if got, _ := e.srv.User(u.ID); got.Status != "SUSPENDED" {
		t.Errorf("status %s", got.Status)
	}
}

// With the user-update bucket spent, a new access token is still fetched
// and the user still looked up: the token endpoint and the reads of one
// user are buckets of their own.
func TestClient_SpentBucketLeavesTokenEndpoint(t *testing.T) {
	e := newOAuthEnv(t, false)
	c, err := e.client(pkcs8PEM(t, e.key), "auto")
	if err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	windowEnd := clearOfMinute()
	e.srv.BucketLimit(oktatest.BucketUserWrite, 1)
	if _, err := run(t, reg, "okta.suspend"); err != nil { // spends the one user update
		t.Fatalf("suspend: %v", err)
	}
	sent := len(e.srv.Requests())
	_, err = run(t, reg, "okta.clear_sessions")
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("clear_sessions: %v, want a rate limit from the spent bucket", err)
	}
	if d := rl.Reset.Sub(windowEnd); d < -time.Second || d > 2*time.Second {
		t.Errorf("Reset %v, want the bucket's window end %v", rl.Reset, windowEnd)
	}
	if n := len(e.srv.Requests()); n != sent {
		t.Errorf("%d requests sent by an action whose bucket is used up", n-sent)
	}
	// The reconciler's read of the user needs a new token and a read of
	// one user: neither bucket is the spent one.
	e.srv.ExpireTokens()
	st, err := c.AccountStatus(context.Background(), "jane@example.com")
	if err != nil || st.Status != "SUSPENDED" {
		t.Fatalf("status read with the update bucket spent: %+v, %v", st, err)
	}
	if n := e.srv.TokensIssued(); n != 2 {
		t.Errorf("tokens issued %d, want 2: the spent user bucket held back the token endpoint", n)
	}
	buckets := map[string]int{}
	for _, r := range e.srv.Requests()[sent:] {
		buckets[oktatest.BucketOf(r.Method, r.Path)]++
	}
	// The expired token's first read is answered 401 and sent again with
	// the new token: two reads.
	if buckets[oktatest.BucketToken] != 1 || buckets[oktatest.BucketGetUser] == 0 || buckets[oktatest.BucketUserWrite] != 0 {
		t.Errorf("requests by bucket after the user bucket was spent: %v, want a token request, the user read, no update", buckets)
	}
}

// userWriteAPI is the RateLimitError.API of the connector's user-update
// bucket.
var userWriteAPI = okta.BucketAPI("users: update, delete, sub-resources")
