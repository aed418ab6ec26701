package google_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

var deleting = google.Settings{DeleteAfter: 30 * 24 * time.Hour}

// newDeleting is the connector with deletion configured, against a fake
// with jane@example.com suspended in /Sales.
func newDeleting(t *testing.T) (*google.Google, *googletest.Server, string) {
	t.Helper()
	fake := googletest.New(t)
	id := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Suspended: true, OrgUnitPath: "/Sales"})
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return google.NewGoogle(c, deleting), fake, id
}

func janeByID(id string) offboard.Target {
	return offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": id}}
}

func TestGoogle_DeleteRegisteredOnlyWithDeleteAfter(t *testing.T) {
	g, _ := newGoogle(t)
	reg := connectors.NewRegistry()
	if err := g.Register(reg); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Lookup("google.delete"); ok {
		t.Fatal("google.delete registered without delete_after")
	}
	for _, b := range google.DeclarationFor(0).Bindings {
		if b.Capability == offboard.IdentityDelete {
			t.Fatalf("binding %+v without delete_after", b)
		}
	}
	i := slices.IndexFunc(google.DeclarationFor(deleting.DeleteAfter).Bindings, func(b offboard.Binding) bool { return b.Action == "google.delete" })
	if i < 0 || !strings.Contains(google.DeclarationFor(deleting.DeleteAfter).Bindings[i].Title, "20 days") {
		t.Fatalf("no google.delete binding naming Google's 20-day window")
	}
}

func TestGoogle_Delete(t *testing.T) {
	g, fake, id := newDeleting(t)
	before := time.Now()
	res, err := run(t, g, "google.delete", offboard.Target{Email: "jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fake.User(id)
	if !u.Deleted || !res.Verified || res.AlreadyDone || res.UserID != id {
		t.Fatalf("deleted=%v res=%+v", u.Deleted, res)
	}
	at, err1 := time.Parse(time.RFC3339, res.Evidence["deleted_at"])
	until, err2 := time.Parse(time.RFC3339, res.Evidence["restorable_until"])
	if err1 != nil || err2 != nil || at.Before(before.Add(-time.Second)) || until.Sub(at) != 20*24*time.Hour {
		t.Fatalf("evidence = %v", res.Evidence)
	}
	// get, delete, get (404).
	if n := fake.APIRequests(); n != 3 {
		t.Fatalf("%d API requests, want 3: %+v", n, fake.Requests())
	}
	// A rerun (a crash after Google deleted) finds the recorded id among
	// the deleted users.
	res, err = run(t, g, "google.delete", janeByID(id))
	if err != nil || !res.AlreadyDone || !res.Verified || res.UserID != id || res.Evidence["restorable_until"] == "" {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if n := fake.APIRequests() - 3; n != 2 {
		t.Fatalf("rerun made %d API requests, want 2 (get, list deleted)", n)
	}
}

func TestGoogle_DeleteRefusesAnActiveAccount(t *testing.T) {
	g, fake, id := newDeleting(t)
	fake.UpdateUser(id, func(u *googlefake.User) { u.Suspended = false })
	_, err := run(t, g, "google.delete", janeByID(id))
	if offboard.ErrorCode(err) != offboard.ECONFLICT || !strings.Contains(err.Error(), "suspend it first") {
		t.Fatalf("err = %v", err)
	}
	if u, _ := fake.User(id); u.Deleted {
		t.Fatal("deleted an active account")
	}
}

func TestGoogle_DeleteNeverDeletesANewAccountWithTheEmail(t *testing.T) {
	g, fake, id := newDeleting(t)
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	// The address is given to someone new (a rehire, a namesake).
	newID := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Suspended: true})
	res, err := run(t, g, "google.delete", janeByID(id))
	if err != nil || !res.AlreadyDone || res.UserID != id {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	// Past Google's window the old account is gone for good: still the
	// new one is left alone.
	fake.UpdateUser(id, func(u *googlefake.User) { u.DeletedAt = u.DeletedAt.Add(-21 * 24 * time.Hour) })
	_, err = run(t, g, "google.delete", janeByID(id))
	if offboard.ErrorCode(err) != offboard.ENOTFOUND || !strings.Contains(err.Error(), id) {
		t.Fatalf("err = %v", err)
	}
	if u, _ := fake.User(newID); u.Deleted {
		t.Fatal("deleted the new account holding the address")
	}
}

func TestGoogle_DeleteUnknownUser(t *testing.T) {
	g, _, _ := newDeleting(t)
	_, err := run(t, g, "google.delete", offboard.Target{Email: "nobody@example.com"})
	if offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_DeleteMissingScope(t *testing.T) {
	g, fake, id := newDeleting(t)
	fake.Delegate(googlefake.LeastPrivilege[1:]...) // admin.directory.user not granted
	_, err := run(t, g, "google.delete", janeByID(id))
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "admin.directory.user scope") {
		t.Fatalf("err = %v", err)
	}
	if u, _ := fake.User(id); u.Deleted {
		t.Fatal("deleted without the scope")
	}
}

func TestGoogle_DeleteThrottledIsSafeToRerun(t *testing.T) {
	// 2 throttles the deletion itself, 3 the read-back after Google
	// deleted.
	for _, at := range []int{2, 3} {
		fake := googletest.New(t)
		id := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Suspended: true})
		g := newHooked(t, fake, deleting, throttleAt(fake, at))
		_, err := run(t, g, "google.delete", janeByID(id))
		if _, ok := errors.AsType[*offboard.RateLimitError](err); !ok {
			t.Fatalf("throttle at %d: err = %v", at, err)
		}
		if u, _ := fake.User(id); u.Deleted != (at == 3) {
			t.Fatalf("throttle at %d: deleted = %v", at, u.Deleted)
		}
		res, err := run(t, g, "google.delete", janeByID(id))
		if u, _ := fake.User(id); err != nil || !res.Verified || !u.Deleted || res.AlreadyDone != (at == 3) {
			t.Fatalf("rerun after throttle at %d: %+v %v", at, res, err)
		}
	}
}

func TestGoogle_DeleteFindsTheRecordedIDOnALaterPage(t *testing.T) {
	g, fake, id := newDeleting(t)
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	// 500 deletions sorted before jane: she is on the second page.
	for i := range 500 {
		fake.AddUser(googletest.User{PrimaryEmail: fmt.Sprintf("a%03d@example.com", i), Deleted: true, DeletedAt: time.Now()})
	}
	res, err := run(t, g, "google.delete", janeByID(id))
	if err != nil || !res.AlreadyDone {
		t.Fatalf("%+v %v", res, err)
	}
	lists := 0
	for _, r := range fake.Requests() {
		if r.Path == "/admin/directory/v1/users" {
			lists++
		}
	}
	if lists != 2 {
		t.Fatalf("%d list pages read, want 2", lists)
	}
}

func TestGoogle_RestoreUndeletes(t *testing.T) {
	g, fake, id := newDeleting(t)
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	n0 := fake.APIRequests()
	res, err := run(t, g, "google.restore", janeByID(id))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fake.User(id)
	if u.Deleted || u.Suspended || u.OrgUnitPath != "/Sales" {
		t.Fatalf("after restore: %+v", u)
	}
	if !res.Verified || res.Evidence["undeleted"] != "true" || res.Evidence["org_unit_path"] != "/Sales" || res.UserID != id ||
		!strings.Contains(res.Summary, "undeleted") || res.Evidence["not_restored"] == "" {
		t.Fatalf("res = %+v", res)
	}
	// update (404), list deleted, undelete, update.
	if n := fake.APIRequests() - n0; n != 4 {
		t.Fatalf("%d API requests, want 4: %+v", n, fake.Requests()[n0:])
	}
	// A rerun is an ordinary unsuspension: one request.
	res, err = run(t, g, "google.restore", janeByID(id))
	if err != nil || !res.Verified || res.Evidence["undeleted"] != "" || fake.APIRequests()-n0 != 5 {
		t.Fatalf("rerun: %+v %v", res, err)
	}
}

func TestGoogle_RestoreByEmailUndeletesTheLatestDeletion(t *testing.T) {
	g, fake, id := newDeleting(t)
	older := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Deleted: true, DeletedAt: time.Now().Add(-10 * 24 * time.Hour)})
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	res, err := run(t, g, "google.restore", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || res.UserID != id {
		t.Fatalf("%+v %v", res, err)
	}
	if u, _ := fake.User(older); !u.Deleted {
		t.Fatal("undeleted the older account")
	}
}

func TestGoogle_RestoreAfterGooglesWindowIsNotFound(t *testing.T) {
	g, fake, id := newDeleting(t)
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	fake.UpdateUser(id, func(u *googlefake.User) { u.DeletedAt = u.DeletedAt.Add(-21 * 24 * time.Hour) })
	_, err := run(t, g, "google.restore", janeByID(id))
	if offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_RestoreWhenTheAddressIsTaken(t *testing.T) {
	g, fake, id := newDeleting(t)
	if _, err := run(t, g, "google.delete", janeByID(id)); err != nil {
		t.Fatal(err)
	}
	newID := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Suspended: true})
	_, err := run(t, g, "google.restore", janeByID(id))
	if offboard.ErrorCode(err) != offboard.ECONFLICT {
		t.Fatalf("err = %v", err)
	}
	// Neither account changed: the old one stays deleted, the new one is
	// not unsuspended in its place.
	if u, _ := fake.User(id); !u.Deleted {
		t.Fatal("old account undeleted")
	}
	if u, _ := fake.User(newID); !u.Suspended {
		t.Fatal("unsuspended the new account holding the address")
	}
}

func TestGoogle_RestoreThrottledAfterUndeleteIsSafeToRerun(t *testing.T) {
	fake := googletest.New(t)
	id := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", Suspended: true, Deleted: true, DeletedAt: time.Now()})
	g := newHooked(t, fake, deleting, throttleAt(fake, 4)) // the unsuspension after the undelete
	_, err := run(t, g, "google.restore", janeByID(id))
	if _, ok := errors.AsType[*offboard.RateLimitError](err); !ok {
		t.Fatalf("err = %v", err)
	}
	res, err := run(t, g, "google.restore", janeByID(id))
	if u, _ := fake.User(id); err != nil || !res.Verified || u.Deleted || u.Suspended {
		t.Fatalf("rerun: %+v %v", res, err)
	}
}
