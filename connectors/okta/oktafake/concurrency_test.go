package oktafake_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// Beyond its concurrent limit the fake answers 429 at once, with the
// concurrent limit in the rate-limit headers and a reset a second or two
// ahead, and the refused request does not spend its per-minute bucket.
func TestServer_Concurrency(t *testing.T) {
	s := newFake(t)
	u := s.AddUser(oktafake.User{Login: "jane@example.com"})
	if time.Now().Second() >= 57 { // keep the run inside one bucket minute
		time.Sleep(4 * time.Second)
	}
	s.Concurrency(2)
	s.Latency(300 * time.Millisecond)
	var wg sync.WaitGroup
	results := make([]resp, 4)
	for i := range results {
		wg.Go(func() { results[i] = do(t, s, "GET", "/api/v1/users/"+u.ID) })
	}
	wg.Wait()
	refused := 0
	for _, r := range results {
		if r.status != http.StatusTooManyRequests {
			continue
		}
		refused++
		if r.header.Get("X-Rate-Limit-Limit") != "2" || r.header.Get("X-Rate-Limit-Remaining") != "0" {
			t.Errorf("concurrent 429 headers %v", r.header)
		}
		reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
		if d := time.Until(time.Unix(reset, 0)); d < 0 || d > 3*time.Second {
			t.Errorf("concurrent reset %v away, want a second or two", d)
		}
	}
	if refused != 2 || s.ConcurrencyRejections() != 2 {
		t.Fatalf("refused %d (fake counted %d), want 2 of 4 at once with a limit of 2", refused, s.ConcurrencyRejections())
	}
	if got := s.MaxInFlight(); got < 3 {
		t.Errorf("MaxInFlight %d, want at least the 2 served and a refused one", got)
	}
	// The two served requests spent the bucket; the refused two did not.
	s.Latency(0)
	r := do(t, s, "GET", "/api/v1/users/"+u.ID)
	if rem, _ := strconv.Atoi(r.header.Get("X-Rate-Limit-Remaining")); rem != 2000-3 {
		t.Errorf("remaining %d after 3 served requests, want %d", rem, 2000-3)
	}
	if s.Violations() != 0 {
		t.Errorf("concurrent refusals counted as violations: %d", s.Violations())
	}
	s.Concurrency(0)
	if do(t, s, "GET", "/api/v1/users/"+u.ID).status != 200 {
		t.Error("default concurrency refused a lone request")
	}
}

// A request to a bucket after its 429 and before the reset that 429 gave
// is a violation; a request to another bucket is not, nor one after the
// reset.
func TestServer_Violations(t *testing.T) {
	s := newFake(t)
	u := s.AddUser(oktafake.User{Login: "jane@example.com"})
	s.BucketWindow(2 * time.Second)
	// Start at the beginning of a window so that all of it fits.
	time.Sleep(time.Until(time.Now().Truncate(2 * time.Second).Add(2 * time.Second)))
	s.BucketLimit(oktafake.BucketGetUser, 1)
	wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 200)
	r := do(t, s, "GET", "/api/v1/users/"+u.ID)
	wantStatus(t, r, http.StatusTooManyRequests)
	if s.Violations() != 0 {
		t.Fatalf("the first 429 counted as a violation")
	}
	reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
	if d := time.Until(time.Unix(reset, 0)); d <= 0 || d > 2*time.Second {
		t.Fatalf("reset %v away, want within the compressed 2 s window", d)
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend"), 200)
	if s.Violations() != 0 {
		t.Fatalf("a request to another bucket counted as a violation")
	}
	do(t, s, "GET", "/api/v1/users/"+u.ID)
	if s.Violations() != 1 {
		t.Fatalf("violations %d, want 1 after a request before the reset", s.Violations())
	}
	time.Sleep(time.Until(time.Unix(reset, 0)) + 10*time.Millisecond)
	wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 200)
	if s.Violations() != 1 {
		t.Errorf("a request after the reset counted as a violation")
	}
}
