package graphfake

import (
	"net/url"
	"testing"
	"time"
)

func TestRUBucket_Take(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newRUBucket(IdentityRUSmall, 10*time.Second, t0) // 350 RU/s
	for i := range 1750 {
		if ok, _ := b.take(2, t0); !ok {
			t.Fatalf("take %d of a full bucket refused", i)
		}
	}
	ok, wait := b.take(2, t0)
	if ok {
		t.Fatal("an empty bucket took 2 RU")
	}
	// 2 RU at 350 RU/s.
	if want := 2 * time.Second / 350; wait < want-time.Microsecond || wait > want+time.Microsecond {
		t.Errorf("wait = %v, want %v", wait, want)
	}
	// One second refills 350 RU, no more.
	t1 := t0.Add(time.Second)
	for i := range 350 {
		if ok, _ := b.take(1, t1); !ok {
			t.Fatalf("take %d after a 1s refill refused", i)
		}
	}
	if ok, _ := b.take(1, t1); ok {
		t.Error("the refill gave more than 350 RU in 1s")
	}
	// Refill never exceeds the capacity.
	t2 := t1.Add(time.Hour)
	if ok, _ := b.take(IdentityRUSmall, t2); !ok {
		t.Error("a refilled bucket refused its capacity")
	}
	if ok, wait := b.take(IdentityRUSmall, t2); ok || wait != 10*time.Second {
		t.Errorf("after spending the capacity: ok=%v wait=%v, want refused, 10s", ok, wait)
	}
	if b.spent != 1750*2+350+IdentityRUSmall || b.throttled != 3 {
		t.Errorf("spent %d throttled %d", b.spent, b.throttled)
	}
}

func TestIdentityCost(t *testing.T) {
	for _, c := range []struct {
		method, url string
		cost        int
		identity    bool
	}{
		{"GET", "/v1.0/users", 2, true},
		{"GET", "/v1.0/users?$select=id,mail", 1, true},
		{"GET", "/v1.0/users?$select=id&$expand=manager", 2, true},
		{"GET", "/v1.0/users?$top=10", 1, true},
		{"GET", "/v1.0/users/abc", 1, true},
		{"GET", "/v1.0/users/abc?$select=id", 1, true}, // never under 1
		{"PATCH", "/v1.0/users/abc", 1, true},
		{"POST", "/v1.0/users/abc/revokeSignInSessions", 1, true},
		{"GET", "/v1.0/users/abc/memberOf/microsoft.graph.directoryRole", 2, true},
		{"GET", "/v1.0/oauth2PermissionGrants?$filter=principalId eq 'x'", 2, true},
		{"DELETE", "/v1.0/oauth2PermissionGrants/g1", 1, true},
		{"GET", "/v1.0/groups/g/transitiveMembers", 5, true},
		{"GET", "/v1.0/deviceManagement/managedDevices", 0, false},
		{"POST", "/v1.0/$batch", 0, false},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		cost, identity := identityCost(c.method, u)
		if cost != c.cost || identity != c.identity {
			t.Errorf("%s %s: cost %d identity %v, want %d %v", c.method, c.url, cost, identity, c.cost, c.identity)
		}
	}
}
