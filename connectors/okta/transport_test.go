package okta

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestBucketOf(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/users/00u1", "GET /api/v1/users/{id}"},
		{"GET", "/api/v1/users/jane@example.com", "GET /api/v1/users/{id}"},
		{"POST", "/api/v1/users/00u1/lifecycle/suspend", "WRITE /api/v1/users/{id}/lifecycle/suspend"},
		{"DELETE", "/api/v1/groups/00g1/users/00u1", "WRITE /api/v1/groups/{id}/users/{id}"},
		{"GET", "/api/v1/users", "GET /api/v1/users"},
		{"GET", "/api/v1/users/00u1/factors", "GET /api/v1/users/{id}/factors"},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if got := bucketOf(r); got != c.want {
			t.Errorf("bucketOf(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func TestPacerShare(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := &pacer{share: 0.5, now: func() time.Time { return now }, buckets: map[string]*bucketState{}}
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", "100")
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(30*time.Second).Unix(), 10))
	h.Set("X-Rate-Limit-Remaining", "51")
	p.observe("GET /a", h)
	if _, _, blocked := p.blocked(); blocked {
		t.Fatal("blocked with 51 of 100 left and share 0.5")
	}
	p.spend("GET /a") // 50 left: offboard's half is used
	until, which, blocked := p.blocked()
	if !blocked || which != "GET /a" || !until.Equal(now.Add(30*time.Second)) {
		t.Fatalf("blocked = %v %q %v", blocked, which, until)
	}
	// Another bucket with room does not unblock: the outbox pauses all
	// Okta jobs anyway.
	h.Set("X-Rate-Limit-Remaining", "99")
	p.observe("GET /b", h)
	if _, _, blocked := p.blocked(); !blocked {
		t.Fatal("a fresh bucket unblocked the used one")
	}
	// After the reset the reading expires.
	now = now.Add(31 * time.Second)
	if _, _, blocked := p.blocked(); blocked {
		t.Fatal("still blocked after the reset")
	}
	// Missing headers are ignored.
	p.observe("GET /c", http.Header{})
	if len(p.buckets) != 0 {
		t.Fatalf("buckets = %v", p.buckets)
	}
}
