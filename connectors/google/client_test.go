package google_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// newGoogle is the connector against a fake with jane@example.com.
func newGoogle(t *testing.T) (*google.Google, *googletest.Server) {
	t.Helper()
	fake := googletest.New(t)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", GivenName: "Jane", FamilyName: "Doe"})
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return google.NewGoogle(c, google.Settings{}), fake
}

func run(t *testing.T, g *google.Google, action string, target offboard.Target) (connectors.Result, error) {
	t.Helper()
	return runRequest(t, g, connectors.Request{JobID: "OFF-0001/x#1", Action: action, Target: target, Attempt: 1})
}

// runRequest runs req's action through the registry, as the runner does.
func runRequest(t *testing.T, g *google.Google, req connectors.Request) (connectors.Result, error) {
	t.Helper()
	reg := connectors.NewRegistry()
	if err := g.Register(reg); err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Lookup(req.Action)
	if !ok {
		t.Fatalf("no action %s", req.Action)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Run(ctx, req)
}

func TestNew_RefusesABadKeyWithoutQuotingIt(t *testing.T) {
	_, err := google.New(google.Options{ServiceAccountKey: []byte(`{"type":"service_account","private_key":"SECRET-PART"`), AdminEmail: "a@example.com"})
	if err == nil || strings.Contains(err.Error(), "SECRET-PART") {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_SuspendReadsBackFromTheAnswer(t *testing.T) {
	g, fake := newGoogle(t)
	res, err := run(t, g, "google.suspend", offboard.Target{Email: "Jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fake.User("jane@example.com")
	if !u.Suspended || !res.Verified || res.UserID != u.ID || res.Evidence["suspended"] != "true" {
		t.Fatalf("suspended=%v res=%+v", u.Suspended, res)
	}
	// One API request: the update's answer is the read-back.
	if n := fake.APIRequests(); n != 1 {
		t.Fatalf("%d API requests, want 1: %+v", n, fake.Requests())
	}
	res, err = run(t, g, "google.restore", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": u.ID}})
	if err != nil || !res.Verified {
		t.Fatalf("restore: %+v %v", res, err)
	}
	if u, _ := fake.User(u.ID); u.Suspended {
		t.Fatal("still suspended after restore")
	}
}

func TestGoogle_SignOut(t *testing.T) {
	g, fake := newGoogle(t)
	if _, err := run(t, g, "google.sign_out", offboard.Target{Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := fake.User("jane@example.com"); u.SignOuts != 1 {
		t.Fatalf("sign-outs = %d", u.SignOuts)
	}
}

func TestGoogle_UnknownUserIsNotFound(t *testing.T) {
	g, _ := newGoogle(t)
	_, err := run(t, g, "google.suspend", offboard.Target{Email: "nobody@example.com"})
	if offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_StaleIDFallsBackToEmail(t *testing.T) {
	g, fake := newGoogle(t)
	res, err := run(t, g, "google.suspend", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": "999"}})
	if err != nil || !res.Verified {
		t.Fatalf("%+v %v", res, err)
	}
	if u, _ := fake.User("jane@example.com"); !u.Suspended {
		t.Fatal("not suspended")
	}
}

func TestGoogle_MissingDelegatedScopeIsNamed(t *testing.T) {
	g, fake := newGoogle(t)
	fake.Delegate(googlefake.LeastPrivilege[1:]...) // admin.directory.user not granted
	_, err := run(t, g, "google.suspend", offboard.Target{Email: "jane@example.com"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "admin.directory.user scope") {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_ThrottleIsARateLimitPause(t *testing.T) {
	for _, tc := range []struct {
		status int
		reason string
	}{{429, "rateLimitExceeded"}, {403, "userRateLimitExceeded"}, {403, "rateLimitExceeded"}} {
		g, fake := newGoogle(t)
		fake.Throttle(1, tc.status, tc.reason, 7)
		before := time.Now()
		_, err := run(t, g, "google.suspend", offboard.Target{Email: "jane@example.com"})
		rl, ok := errors.AsType[*offboard.RateLimitError](err)
		if !ok || rl.API != "google" || rl.Reset.Before(before.Add(6*time.Second)) {
			t.Fatalf("%d %s: err = %v", tc.status, tc.reason, err)
		}
	}
}

func TestGoogle_NonAdminSubjectIsForbidden(t *testing.T) {
	fake := googletest.New(t)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com"})
	fake.AddUser(googletest.User{PrimaryEmail: "bob@example.com"})
	c, _ := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: "bob@example.com", APIURL: fake.URL})
	_, err := run(t, google.NewGoogle(c, google.Settings{}), "google.suspend", offboard.Target{Email: "jane@example.com"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "bob@example.com") {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_AccountStatus(t *testing.T) {
	g, fake := newGoogle(t)
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.Suspended = true })
	st, err := g.AccountStatus(context.Background(), "jane@example.com")
	if err != nil || !st.Found || st.Active || st.Status != "suspended" {
		t.Fatalf("%+v %v", st, err)
	}
	st, err = g.AccountStatus(context.Background(), "gone@example.com")
	if err != nil || st.Found {
		t.Fatalf("%+v %v", st, err)
	}
}
