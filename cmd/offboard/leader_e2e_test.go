package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// heldElection is a campaigner whose lead the test grants, as the etcd
// election would: serve starts its Run, and its runner and schedule wait
// on Lead.
type heldElection struct {
	offboard.Terms
	mu      sync.Mutex
	end     context.CancelFunc
	running chan struct{} // closed once serve runs the campaign
	once    sync.Once
}

func newHeldElection() *heldElection {
	return &heldElection{running: make(chan struct{})}
}

func (h *heldElection) Run(ctx context.Context) {
	h.once.Do(func() { close(h.running) })
	<-ctx.Done()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.end != nil {
		h.end()
	}
}

func (h *heldElection) grant() {
	h.mu.Lock()
	defer h.mu.Unlock()
	var term context.Context
	term, h.end = context.WithCancel(context.Background())
	h.Set(term)
}

// A follower serves intake (ready, cases open through the API) but runs
// no job until it leads: then the revocation goes out. /metrics says
// which it is.
func TestServe_Follower(t *testing.T) {
	fake := oktatest.New(t)
	fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe"})
	fake.AddUser(oktatest.User{Login: "mona.manager@example.com", Email: "mona.manager@example.com", FirstName: "Mona", LastName: "Manager"})
	cfgPath := writeConfig(t, t.TempDir(), fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
metrics:
  token: %q
`, fake.URL(), oktatest.Token, metricsToken))
	election := newHeldElection()
	app := startApp(t, cfgPath, wireOptions{leadership: election})

	eventually(t, "readyz on a follower", func() bool { return call(t, "GET", app.url+"/readyz", "", "").status == http.StatusOK })
	select {
	case <-election.running:
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not start the campaign")
	}
	if got := metricValue(string(scrapeMetrics(t, app.url, metricsToken).body), "offboard_leader"); got != "0" {
		t.Errorf("offboard_leader on a follower = %q, want 0", got)
	}
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != http.StatusCreated {
		t.Fatalf("create on a follower = %d %s", r.status, r.body)
	}
	time.Sleep(500 * time.Millisecond)
	if u, _ := fake.User("jane.doe@example.com"); u.Status != "ACTIVE" {
		t.Fatalf("a follower ran the suspension: Jane is %s", u.Status)
	}

	election.grant()
	eventually(t, "the leader suspends Jane", func() bool {
		u, _ := fake.User("jane.doe@example.com")
		return u.Status == "SUSPENDED"
	})
	if got := metricValue(string(scrapeMetrics(t, app.url, metricsToken).body), "offboard_leader"); got != "1" {
		t.Errorf("offboard_leader on the leader = %q, want 1", got)
	}
}

// eachTerm (the reconciliation at start, the erasure loop) runs its work
// only once this replica leads, again for each new term, and returns when
// its context ends, even while a term lasts.
func TestApp_eachTerm(t *testing.T) {
	election := newHeldElection()
	a := &app{leadership: election}
	ctx, cancel := context.WithCancel(context.Background())
	terms := make(chan context.Context, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.eachTerm(ctx, func(term context.Context) { terms <- term })
	}()
	select {
	case <-terms:
		t.Fatal("work ran before this replica led")
	case <-time.After(200 * time.Millisecond):
	}
	for i := range 2 {
		election.grant()
		var term context.Context
		select {
		case term = <-terms:
		case <-time.After(5 * time.Second):
			t.Fatalf("term %d: the work did not run", i+1)
		}
		election.mu.Lock()
		election.end()
		election.mu.Unlock()
		<-term.Done()
	}
	election.grant()
	<-terms
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("eachTerm did not return once its context ended during a term")
	}
}
