package microsoft_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// deletingRegistry registers Entra ID configured to delete users 30 days
// after the revocation point, on a fake granting the delete permission.
func deletingRegistry(t *testing.T, s *graphtest.Server) *connectors.Registry {
	t.Helper()
	s.SetPermissions(append(slices.Clone(graphtest.LeastPrivilege), graphtest.DeletePermission, "User.DeleteRestore.All")...)
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	if err := microsoft.NewEntra(c, nil).DeleteAfter(30 * 24 * time.Hour).Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// disabledJane is Jane as deactivation leaves her: disabled.
func disabledJane(s *graphtest.Server) string {
	return s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Mail: "jane@example.com", DisplayName: "Jane Doe"})
}

func TestEntra_Delete(t *testing.T) {
	s := graphtest.New(t)
	id := disabledJane(s)
	reg := deletingRegistry(t, s)
	before := time.Now().UTC().Add(-time.Second)
	res, err := run(t, reg, "entra.delete", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	if _, still := s.User(id); still || !s.Deleted(id) {
		t.Fatalf("the fake has Jane among users=%t, in deleted items=%t", still, s.Deleted(id))
	}
	if !res.Verified || res.AlreadyDone || res.UserID != id {
		t.Fatalf("result = %+v", res)
	}
	at, err := time.Parse(time.RFC3339, res.Evidence["deleted_at"])
	if err != nil || at.Before(before.Truncate(time.Second)) {
		t.Fatalf("deleted_at = %q (%v)", res.Evidence["deleted_at"], err)
	}
	if want := at.Add(30 * 24 * time.Hour).Format(time.RFC3339); res.Evidence["restorable_until"] != want {
		t.Fatalf("restorable_until = %q, want %q", res.Evidence["restorable_until"], want)
	}
	if res.Evidence["user_principal_name"] != "jane@example.com" || !strings.Contains(res.Summary, "jane@example.com deleted") {
		t.Fatalf("evidence names %q, summary %q: want the name people know", res.Evidence["user_principal_name"], res.Summary)
	}
	if !strings.Contains(res.Summary, "restorable from deleted items until "+at.Add(30*24*time.Hour).Format("2006-01-02")) ||
		!strings.Contains(res.Evidence["note"], "30 days") {
		t.Fatalf("summary %q / note %q do not say it is restorable for 30 days", res.Summary, res.Evidence["note"])
	}
	// The read-back: a GET of the user answered 404 after the DELETE.
	reqs := s.Requests()
	i := slices.IndexFunc(reqs, func(r graphtest.Request) bool { return r.Method == "DELETE" })
	if i < 0 || !slices.ContainsFunc(reqs[i+1:], func(r graphtest.Request) bool {
		return r.Method == "GET" && r.Path == "/v1.0/users/"+id && r.Status == 404
	}) {
		t.Fatalf("no 404 read-back of the user after the DELETE: %+v", reqs)
	}

	// Again, with the id the first run found: already done, same evidence.
	again, err := run(t, reg, "entra.delete", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": id}})
	if err != nil || !again.AlreadyDone || !again.Verified || again.Evidence["deleted_at"] != res.Evidence["deleted_at"] ||
		again.Evidence["user_principal_name"] != "jane@example.com" {
		t.Fatalf("second run = %+v, %v", again, err)
	}
}

func TestEntra_DeleteStillEnabled(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	reg := deletingRegistry(t, s)
	_, err := run(t, reg, "entra.delete", janeTarget)
	if offboard.ErrorCode(err) != offboard.ECONFLICT || !strings.Contains(err.Error(), "still enabled") {
		t.Fatalf("err = %v, want a conflict saying the account is still enabled", err)
	}
	if _, ok := s.User(id); !ok || s.Deleted(id) {
		t.Fatal("an enabled user was deleted")
	}
}

func TestEntra_DeleteMissingPermission(t *testing.T) {
	s := graphtest.New(t)
	id := disabledJane(s)
	reg := deletingRegistry(t, s)
	s.SetPermissions(graphtest.LeastPrivilege...) // as registered from the README without delete_after
	_, err := run(t, reg, "entra.delete", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) {
		t.Fatalf("err = %v, want permanent forbidden", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "User.ReadWrite.All") || !strings.Contains(msg, "Authorization_RequestDenied") {
		t.Fatalf("message %q does not name the missing permission", msg)
	}
	if _, ok := s.User(id); !ok {
		t.Fatal("the user was deleted without the permission")
	}
}

func TestEntra_DeleteNotConfigured(t *testing.T) {
	s := graphtest.New(t)
	reg := newRegistry(t, s, microsoft.Options{})
	if _, ok := reg.Lookup("entra.delete"); ok {
		t.Fatal("entra.delete is registered without delete_after")
	}
	if _, ok := microsoft.Declaration().Binding(offboard.IdentityDelete); ok {
		t.Fatal("the default declaration binds identity.delete")
	}
	b, ok := microsoft.DeclarationFor(45 * 24 * time.Hour).Binding(offboard.IdentityDelete)
	if !ok || b.When != "45d" || b.Action != "entra.delete" {
		t.Fatalf("binding = %+v, %t", b, ok)
	}
}

func TestEntra_RestoreDeleted(t *testing.T) {
	s := graphtest.New(t)
	id := disabledJane(s)
	reg := deletingRegistry(t, s)
	if _, err := run(t, reg, "entra.delete", janeTarget); err != nil {
		t.Fatal(err)
	}
	target := offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": id}}
	res, err := run(t, reg, "entra.restore", target)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := s.User(id)
	if !ok || s.Deleted(id) || !u.AccountEnabled || u.UserPrincipalName != "jane@example.com" {
		t.Fatalf("after restore: user=%t enabled=%t still deleted=%t", ok, u.AccountEnabled, s.Deleted(id))
	}
	if !res.Verified || res.AlreadyDone || res.Evidence["restored_from_deleted_items"] != "true" || res.Evidence["account_enabled_after"] != "true" {
		t.Fatalf("result = %+v", res)
	}
}

func TestEntra_RestoreDeletedMissingPermission(t *testing.T) {
	s := graphtest.New(t)
	id := disabledJane(s)
	reg := deletingRegistry(t, s)
	if _, err := run(t, reg, "entra.delete", janeTarget); err != nil {
		t.Fatal(err)
	}
	s.SetPermissions(graphtest.LeastPrivilege...)
	_, err := run(t, reg, "entra.restore", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": id}})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) || !strings.Contains(err.Error(), "User.DeleteRestore.All") {
		t.Fatalf("err = %v, want a permanent refusal naming User.DeleteRestore.All", err)
	}
	if !s.Deleted(id) {
		t.Fatal("the user left deleted items without the permission")
	}
}

func TestEntra_DeletePrivileged(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Mail: "jane@example.com", Roles: []string{"Global Administrator"}})
	reg := deletingRegistry(t, s)
	_, err := run(t, reg, "entra.delete", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "privileged user (Global Administrator)") {
		t.Fatalf("err = %v, want the privileged-user refusal", err)
	}
	if _, ok := s.User(id); !ok {
		t.Fatal("a privileged user was deleted without a privileged role")
	}
}
