package okta_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// runParallel runs action for each request at once and returns the errors.
func (e *env) runParallel(action string, reqs []connectors.Request) []error {
	e.t.Helper()
	a, ok := e.reg.Lookup(action)
	if !ok {
		e.t.Fatalf("action %s not registered", action)
	}
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		req.Action, req.Attempt, req.JobID = action, 1, fmt.Sprintf("OFF-%04d/%s#1", i+1, action)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, errs[i] = a.Run(ctx, req)
		})
	}
	wg.Wait()
	return errs
}

// okta.max_concurrent caps the requests in flight, whatever the callers.
func TestClient_MaxConcurrent(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.MaxConcurrent = 2; o.Config.RateShare = 1 })
	var reqs []connectors.Request
	for i := range 10 {
		email := fmt.Sprintf("p%d@example.com", i)
		e.srv.AddUser(oktatest.User{Login: email, Email: email})
		reqs = append(reqs, jane(email))
	}
	e.srv.Latency(30 * time.Millisecond)
	for i, err := range e.runParallel("okta.suspend", reqs) {
		if err != nil {
			t.Errorf("suspend p%d: %v", i, err)
		}
	}
	if got := e.srv.MaxInFlight(); got > 2 {
		t.Errorf("%d requests in flight at once, want at most okta.max_concurrent = 2", got)
	}
	if n := e.srv.ConcurrencyRejections(); n != 0 {
		t.Errorf("%d requests over Okta's concurrent limit", n)
	}
}

// A 429 for Okta's concurrent limit is retried once after Okta's short
// estimate and never closes the request's bucket: the next request to the
// same bucket goes out at once.
func TestClient_ConcurrentLimitIsNotABucket(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.RateShare = 1 })
	addJane(e.srv)
	e.srv.AddUser(oktatest.User{Login: "joe@example.com", Email: "joe@example.com"})
	// Readings of the buckets first, as in any running org.
	if _, err := e.run("okta.suspend", jane("joe@example.com")); err != nil {
		t.Fatal(err)
	}
	e.srv.Concurrency(1)
	// Someone else's slow request holds the org's only slot for 3 s.
	e.srv.Latency(3 * time.Second)
	blocker := make(chan struct{})
	go func() {
		defer close(blocker)
		r, _ := http.NewRequest("GET", e.srv.URL()+"/api/v1/users?limit=1", nil)
		r.Header.Set("Authorization", "SSWS "+oktatest.Token)
		if resp, err := http.DefaultClient.Do(r); err == nil {
			resp.Body.Close()
		}
	}()
	for e.srv.InFlight() < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	e.srv.Latency(0)
	started := time.Now()
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) || rl.API != "okta" {
		t.Fatalf("err = %v, want an okta RateLimitError", err)
	}
	// Up to 2 s for the retry (Okta's estimate is rounded up to a whole
	// second) and 2 s more for the second refusal's: 5 s leaves a loaded
	// machine its latency, and is far from the bucket's minute.
	if d := rl.Reset.Sub(started); d > 5*time.Second {
		t.Errorf("paused %v for a concurrent limit, want Okta's estimate of a second or two, not the bucket's window", d)
	}
	if n := e.srv.ConcurrencyRejections(); n != 2 {
		t.Errorf("%d concurrent refusals, want 2 (the request and its one retry)", n)
	}
	<-blocker
	e.srv.Concurrency(0)
	sent := len(e.srv.Requests())
	if _, err := e.run("okta.suspend", jane("jane@example.com")); err != nil {
		t.Fatalf("after the concurrent limit cleared: %v (the bucket was taken for spent)", err)
	}
	if len(e.srv.Requests()) == sent {
		t.Error("no request went out after the concurrent limit cleared")
	}
}

// With the slot freed within Okta's estimate, the one retry succeeds and
// the caller never sees the 429.
func TestClient_ConcurrentLimitRetried(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.RateShare = 1 })
	addJane(e.srv)
	e.srv.AddUser(oktatest.User{Login: "joe@example.com", Email: "joe@example.com"})
	if _, err := e.run("okta.suspend", jane("joe@example.com")); err != nil {
		t.Fatal(err)
	}
	e.srv.Concurrency(1)
	e.srv.Latency(300 * time.Millisecond)
	go func() {
		r, _ := http.NewRequest("GET", e.srv.URL()+"/api/v1/users?limit=1", nil)
		r.Header.Set("Authorization", "SSWS "+oktatest.Token)
		if resp, err := http.DefaultClient.Do(r); err == nil {
			resp.Body.Close()
		}
	}()
	for e.srv.InFlight() < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	e.srv.Latency(0)
	if _, err := e.run("okta.suspend", jane("jane@example.com")); err != nil {
		t.Fatalf("suspend: %v, want it done after one retry", err)
	}
	if n := e.srv.ConcurrencyRejections(); n != 1 {
		t.Errorf("%d concurrent refusals, want 1", n)
	}
	if u, _ := e.srv.User("jane@example.com"); u.Status != "SUSPENDED" {
		t.Errorf("status %s", u.Status)
	}
}

func TestNew_MaxConcurrent(t *testing.T) {
	for _, n := range []int{-1, 1001} {
		_, err := okta.New(context.Background(), okta.Options{Config: config.Okta{
			OrgURL: "https://example.okta.com", APIToken: config.Secret("t"), MaxConcurrent: n,
		}})
		if offboard.ErrorCode(err) != offboard.EINVALID {
			t.Errorf("max_concurrent %d: err = %v, want EINVALID", n, err)
		}
	}
}
