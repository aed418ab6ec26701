package metered_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/internal/metered"
)

type seen struct {
	system string
	status int
	err    error
}

type recorder struct {
	mu   sync.Mutex
	seen []seen
}

func (r *recorder) CasesChanged()                 {}
func (r *recorder) Revoked(time.Duration)         {}
func (r *recorder) ChatAck(string, time.Duration) {}
func (r *recorder) APIRequest(system string, status int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, seen{system, status, err})
}

func TestClient_Do(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-down" {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := &recorder{}
	hc := metered.Client(&http.Client{Timeout: 7 * time.Second}, "jamf", rec)
	if hc.Timeout != 7*time.Second {
		t.Errorf("timeout lost: %s", hc.Timeout)
	}
	for _, p := range []string{"/ok", "/slow-down"} {
		resp, err := hc.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	if _, err := hc.Get(srv.URL + "/gone"); err == nil {
		t.Fatal("a closed server answered")
	}
	if len(rec.seen) != 3 {
		t.Fatalf("seen %+v, want 3 requests", rec.seen)
	}
	if s := rec.seen[0]; s.system != "jamf" || s.status != 204 || s.err != nil {
		t.Errorf("first request seen as %+v", s)
	}
	if s := rec.seen[1]; s.status != http.StatusTooManyRequests {
		t.Errorf("429 seen as %+v", s)
	}
	if s := rec.seen[2]; s.status != 0 || s.err == nil {
		t.Errorf("refused connection seen as %+v", s)
	}
	// No metrics: the transport is untouched.
	if metered.Transport(http.DefaultTransport, "jamf", nil) != http.DefaultTransport {
		t.Error("a nil Metrics wrapped the transport")
	}
}
