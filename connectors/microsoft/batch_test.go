package microsoft_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// janeWithGrants adds Jane with n delegated permission grants.
func janeWithGrants(s *graphtest.Server, n int) string {
	id := jane(s)
	for range n {
		s.AddGrant(graphtest.Grant{PrincipalID: id, ClientID: "app", Scope: "Mail.Read"})
	}
	return id
}

// unbatchedDeletes are the DELETEs sent alone rather than in a batch.
func unbatchedDeletes(s *graphtest.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == "DELETE" && !r.Batched {
			out = append(out, r.Path)
		}
	}
	return out
}

func TestClient_BatchSplitsBeyondTwenty(t *testing.T) {
	s := graphtest.New(t)
	id := janeWithGrants(s, 45)
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.revoke_grants", janeTarget)
	if err != nil || !res.Verified || res.Evidence["grants_before"] != "45" {
		t.Fatalf("%+v, %v", res, err)
	}
	if left := s.GrantsOf(id); len(left) != 0 {
		t.Fatalf("%d grants left", len(left))
	}
	items, batches := s.BatchedCount()
	if items != 45 || batches != 3 {
		t.Fatalf("%d items in %d batches, want 45 in 3 (20+20+5)", items, batches)
	}
	if d := unbatchedDeletes(s); len(d) != 0 {
		t.Fatalf("deletes sent alone: %v", d)
	}
}

func TestClient_BatchItemThrottled(t *testing.T) {
	s := graphtest.New(t)
	id := janeWithGrants(s, 25)
	reg := newRegistry(t, s, microsoft.Options{})
	// Graph answers the batch 200 and throttles one of its requests.
	s.ThrottleBatched(1, time.Second)
	_, err := run(t, reg, "entra.revoke_grants", janeTarget)
	rl, ok := errors.AsType[*offboard.RateLimitError](err)
	if !ok || rl.API != microsoft.API || time.Until(rl.Reset) <= 0 || time.Until(rl.Reset) > time.Second {
		t.Fatalf("want the client's rate-limit pause from the item's Retry-After, got %v", err)
	}
	// The first batch's other 19 went through; the second was not sent.
	if left := len(s.GrantsOf(id)); left != 6 {
		t.Fatalf("%d grants left, want 6", left)
	}
	if _, batches := s.BatchedCount(); batches != 1 {
		t.Fatalf("%d batches sent while paused", batches)
	}
	time.Sleep(1100 * time.Millisecond)
	res, err := run(t, reg, "entra.revoke_grants", janeTarget)
	if err != nil || !res.Verified || len(s.GrantsOf(id)) != 0 {
		t.Fatalf("after the pause: %+v, %v", res, err)
	}
}

func TestClient_BatchItemForbidden(t *testing.T) {
	s := graphtest.New(t)
	id := janeWithGrants(s, 3)
	s.SetPermissions("User.Read.All", "Directory.Read.All")
	reg := newRegistry(t, s, microsoft.Options{})
	_, err := run(t, reg, "entra.revoke_grants", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "DelegatedPermissionGrant.ReadWrite.All") {
		t.Fatalf("err = %v", err)
	}
	if len(s.GrantsOf(id)) != 3 {
		t.Fatal("grants deleted without the permission")
	}
}

func TestEntra_DeactivateBatchesRemovals(t *testing.T) {
	s := graphtest.New(t)
	deactivationUser(s)
	reg := newRegistry(t, s, microsoft.Options{})
	if _, err := run(t, reg, "entra.deactivate", janeTarget); err != nil {
		t.Fatal(err)
	}
	// The four reads, the three removals (two app assignments and one
	// removable group) and the three read-backs: three batches. With the
	// user's lookup and assignLicense, 5 HTTP requests instead of 13.
	items, batches := s.BatchedCount()
	if items != 10 || batches != 3 {
		t.Fatalf("%d items in %d batches", items, batches)
	}
	requests := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/v1.0/") && !r.Batched {
			requests++
		}
	}
	if requests != 5 {
		t.Fatalf("%d Graph requests for one deactivation", requests)
	}
	if d := unbatchedDeletes(s); len(d) != 0 {
		t.Fatalf("deletes sent alone: %v", d)
	}
}

func TestEntra_ResetMFABatched(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	if res, err := run(t, reg, "entra.reset_mfa", janeTarget); err != nil || !res.Verified {
		t.Fatalf("%+v, %v", res, err)
	}
	if items, batches := s.BatchedCount(); items != 4 || batches != 1 {
		t.Fatalf("%d items in %d batches", items, batches)
	}
}
