package microsoft_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/microsoft"
	"github.com/offboard-dev/offboard/connectors/microsoft/graphtest"
)

// newRegistry builds a secret-authenticated client on the fake and
// registers the Entra ID actions.
func newRegistry(t *testing.T, s *graphtest.Server, o microsoft.Options) *connectors.Registry {
	t.Helper()
	o.TenantID, o.ClientID = graphtest.TenantID, graphtest.ClientID
	o.GraphURL, o.LoginURL = s.URL, s.URL
	if o.ClientSecret == "" && o.Certificate == nil {
		o.ClientSecret = graphtest.ClientSecret
	}
	c, err := microsoft.New(o)
	if err != nil {
		t.Fatal(err)
	}
	reg := connectors.NewRegistry()
	if err := microsoft.NewEntra(c, map[string]float64{"SPE_E3": 36, "ems": 10.6}).Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func run(t *testing.T, reg *connectors.Registry, action string, target offboard.Target) (connectors.Result, error) {
	t.Helper()
	a, ok := reg.Lookup(action)
	if !ok {
		t.Fatalf("%s is not registered", action)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Run(ctx, connectors.Request{JobID: "OFF-0001/x#1", CaseID: "OFF-0001", Action: action, Target: target, Attempt: 1})
}

func jane(s *graphtest.Server) string {
	return s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Mail: "jane@example.com", DisplayName: "Jane Doe",
		AccountEnabled: true, Methods: []graphtest.Method{
			{Type: "microsoftAuthenticatorAuthenticationMethod"}, {Type: "phoneAuthenticationMethod"},
			{Type: "fido2AuthenticationMethod"}, {Type: "softwareOathAuthenticationMethod"},
		}})
}

var janeTarget = offboard.Target{Email: "jane@example.com", Name: "Jane Doe"}

func TestEntra_Suspend(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.suspend", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(id)
	if u.AccountEnabled {
		t.Fatal("the fake still has Jane enabled")
	}
	if !res.Verified || res.AlreadyDone || res.UserID != id || res.Evidence["account_enabled_after"] != "false" {
		t.Fatalf("result = %+v", res)
	}
	// Again: already done, found straight by the id this time.
	again, err := run(t, reg, "entra.suspend", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": id}})
	if err != nil || !again.AlreadyDone || !again.Verified {
		t.Fatalf("second run = %+v, %v", again, err)
	}
	last := s.Requests()[len(s.Requests())-1]
	if last.Path != "/v1.0/users/"+id {
		t.Fatalf("the second run read %s, want the user by id", last.Path)
	}
}

func TestEntra_SuspendByMail(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jdoe@example.onmicrosoft.com", Mail: "jane@example.com", AccountEnabled: true})
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.suspend", janeTarget)
	if err != nil || res.UserID != id || !res.Verified {
		t.Fatalf("result = %+v, %v", res, err)
	}
}

func TestEntra_SuspendNotFound(t *testing.T) {
	s := graphtest.New(t)
	reg := newRegistry(t, s, microsoft.Options{})
	_, err := run(t, reg, "entra.suspend", janeTarget)
	if offboard.ErrorCode(err) != offboard.ENOTFOUND || connectors.Retryable(err) {
		t.Fatalf("err = %v (%s), want permanent not found", err, offboard.ErrorCode(err))
	}
	// A stale id falls back to the email.
	id := jane(s)
	res, err := run(t, reg, "entra.suspend", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": "gone"}})
	if err != nil || res.UserID != id {
		t.Fatalf("stale id: %+v, %v", res, err)
	}
}

func TestEntra_SuspendMissingPermission(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	s.SetPermissions("User.Read.All")
	reg := newRegistry(t, s, microsoft.Options{})
	_, err := run(t, reg, "entra.suspend", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) {
		t.Fatalf("err = %v, want permanent forbidden", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "User.EnableDisableAccount.All") || !strings.Contains(msg, "Authorization_RequestDenied") {
		t.Fatalf("message %q does not name the missing permission", msg)
	}
}

func TestEntra_SuspendPrivileged(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", Mail: "jane@example.com", AccountEnabled: true,
		Roles: []string{"Global Administrator"}})
	reg := newRegistry(t, s, microsoft.Options{})
	_, err := run(t, reg, "entra.suspend", janeTarget)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) {
		t.Fatalf("err = %v, want permanent forbidden", err)
	}
	for _, want := range []string{"privileged user", "Global Administrator", "by hand"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("message %q lacks %q", err, want)
		}
	}
	if u, _ := s.User(id); !u.AccountEnabled {
		t.Fatal("the fake disabled a privileged user for an app without a privileged role")
	}
	// Without the roles read, both causes are named.
	s.SetPermissions("User.Read.All", "User.EnableDisableAccount.All")
	_, err = run(t, reg, "entra.suspend", janeTarget)
	for _, want := range []string{"User.EnableDisableAccount.All", "privileged user", "Directory.Read.All"} {
		if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), want) {
			t.Fatalf("without Directory.Read.All: %v lacks %q", err, want)
		}
	}
	s.SetPermissions(graphtest.LeastPrivilege...)
	// With a privileged role the same call works.
	s.SetPrivilegedRole(true)
	if res, err := run(t, reg, "entra.suspend", janeTarget); err != nil || !res.Verified {
		t.Fatalf("with a privileged role: %+v, %v", res, err)
	}
}

func TestEntra_ClearSessions(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.clear_sessions", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(id)
	if u.SessionsValidFrom.IsZero() || !res.Verified || res.Evidence["sessions_valid_from"] == "" {
		t.Fatalf("result = %+v, fake sessions valid from %v", res, u.SessionsValidFrom)
	}
	if !strings.Contains(res.Evidence["note"], "few minutes") {
		t.Fatalf("the evidence does not say tokens may live a few minutes: %q", res.Evidence["note"])
	}
	s.SetPermissions("User.Read.All")
	if _, err := run(t, reg, "entra.clear_sessions", janeTarget); !strings.Contains(fmtErr(err), "User.RevokeSessions.All") {
		t.Fatalf("missing permission: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestEntra_ResetMFA(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.reset_mfa", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(id)
	if len(u.Methods) != 0 || !res.Verified || res.Evidence["methods_removed"] != "4" || res.Evidence["methods_after"] != "password only" {
		t.Fatalf("result = %+v, methods left %v", res, u.Methods)
	}
	var deletes []string
	for _, r := range s.Requests() {
		if r.Method == "DELETE" {
			deletes = append(deletes, strings.Split(r.Path, "/")[5])
		}
	}
	if strings.Join(deletes, ",") != "microsoftAuthenticatorMethods,phoneMethods,fido2Methods,softwareOathMethods" {
		t.Fatalf("deleted through %v", deletes)
	}
	again, err := run(t, reg, "entra.reset_mfa", janeTarget)
	if err != nil || !again.AlreadyDone {
		t.Fatalf("second run: %+v, %v", again, err)
	}
}

func TestEntra_ResetMFAUnknownType(t *testing.T) {
	s := graphtest.New(t)
	s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", AccountEnabled: true,
		Methods: []graphtest.Method{{Type: "phoneAuthenticationMethod"}, {Type: "platformCredentialAuthenticationMethod"}}})
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.reset_mfa", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || res.Evidence["methods_after"] != "platformCredential" || !strings.Contains(res.Summary, "admin center") {
		t.Fatalf("a method Graph cannot delete must leave the task unverified: %+v", res)
	}
}

func TestEntra_RevokeGrants(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	other := s.AddUser(graphtest.User{UserPrincipalName: "sam@example.com", AccountEnabled: true})
	s.AddGrant(graphtest.Grant{PrincipalID: id, ClientID: "app-1", Scope: "Mail.Read"})
	s.AddGrant(graphtest.Grant{PrincipalID: id, ClientID: "app-2", Scope: "Files.Read"})
	s.AddGrant(graphtest.Grant{PrincipalID: other, ClientID: "app-1", Scope: "Mail.Read"})
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.revoke_grants", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.GrantsOf(id)) != 0 || len(s.GrantsOf(other)) != 1 || !res.Verified || res.Evidence["grants_before"] != "2" {
		t.Fatalf("result = %+v; jane %v, other %v", res, s.GrantsOf(id), s.GrantsOf(other))
	}
	again, err := run(t, reg, "entra.revoke_grants", janeTarget)
	if err != nil || !again.AlreadyDone {
		t.Fatalf("second run: %+v, %v", again, err)
	}
}

func TestEntra_Restore(t *testing.T) {
	s := graphtest.New(t)
	id := s.AddUser(graphtest.User{UserPrincipalName: "jane@example.com", AccountEnabled: false})
	reg := newRegistry(t, s, microsoft.Options{})
	res, err := run(t, reg, "entra.restore", janeTarget)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(id); !u.AccountEnabled || !res.Verified || res.Evidence["not_restored"] == "" {
		t.Fatalf("result = %+v", res)
	}
}

func TestEntra_Throttled(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	s.Throttle(1, 7*time.Second)
	start := time.Now()
	_, err := run(t, reg, "entra.suspend", janeTarget)
	rl, ok := errors.AsType[*offboard.RateLimitError](err)
	if !ok || rl.API != microsoft.API || !connectors.Retryable(err) {
		t.Fatalf("err = %v, want a rate limit of %q", err, microsoft.API)
	}
	if d := rl.Reset.Sub(start); d < 6*time.Second || d > 9*time.Second {
		t.Fatalf("reset in %s, want Retry-After's 7s", d)
	}
	// The client holds the pause: no request reaches Graph until then.
	n := len(s.Requests())
	if _, err := run(t, reg, "entra.clear_sessions", janeTarget); !isRateLimit(err) {
		t.Fatalf("during the pause: %v", err)
	}
	if len(s.Requests()) != n {
		t.Fatal("a request reached Graph during the pause")
	}
}

func isRateLimit(err error) bool {
	_, ok := errors.AsType[*offboard.RateLimitError](err)
	return ok
}

func TestEntra_AccountStatus(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	c, err := microsoft.New(microsoft.Options{TenantID: graphtest.TenantID, ClientID: graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret, GraphURL: s.URL, LoginURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := microsoft.NewEntra(c, nil)
	st, err := e.AccountStatus(context.Background(), "jane@example.com")
	if err != nil || !st.Found || !st.Active || st.Status != "enabled" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	st, err = e.AccountStatus(context.Background(), "nobody@example.com")
	if err != nil || st.Found {
		t.Fatalf("unknown = %+v, %v", st, err)
	}
}

func TestEntra_Unavailable(t *testing.T) {
	s := graphtest.New(t)
	jane(s)
	reg := newRegistry(t, s, microsoft.Options{})
	s.Unavailable(1, 0)
	_, err := run(t, reg, "entra.suspend", janeTarget)
	if isRateLimit(err) || !connectors.Retryable(err) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("503 without Retry-After: %v, want a retryable error", err)
	}
	s.Unavailable(1, 3*time.Second)
	if _, err := run(t, reg, "entra.suspend", janeTarget); !isRateLimit(err) {
		t.Fatalf("503 with Retry-After: %v, want a rate limit", err)
	}
}

// The actions after suspend get the Entra id on their target: they act on
// it without reading the user first, and a stale id (the user deleted
// and re-created) falls back to the email.
func TestEntra_KnownIDIsNotReadAgain(t *testing.T) {
	s := graphtest.New(t)
	id := jane(s)
	s.AddGrant(graphtest.Grant{PrincipalID: id, ClientID: "app-1", Scope: "Mail.Read"})
	reg := newRegistry(t, s, microsoft.Options{})
	known := offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": id}}
	for _, action := range []string{"entra.clear_sessions", "entra.reset_mfa", "entra.revoke_grants"} {
		n := len(s.Requests())
		res, err := run(t, reg, action, known)
		if err != nil || !res.Verified || res.UserID != id {
			t.Fatalf("%s: %+v, %v", action, res, err)
		}
		for _, r := range s.Requests()[n:] {
			if r.Method == "GET" && r.Path == "/v1.0/users/"+id && action != "entra.clear_sessions" {
				t.Errorf("%s read the user it already knew: %s %s", action, r.Method, r.Path)
			}
		}
		if res.Evidence["user_id"] != id {
			t.Errorf("%s evidence %v", action, res.Evidence)
		}
	}
	// clear_sessions reads the user once: its read-back, not a lookup.
	gets := 0
	for _, r := range s.Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/v1.0/users/"+id) && !strings.Contains(r.Path, "/authentication/") {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d reads of the user, want the one read-back of clear_sessions", gets)
	}
	// A stale id: found again by email (Graph lists no grant for an
	// unknown principal id, which must not pass for "none left").
	for _, action := range []string{"entra.clear_sessions", "entra.reset_mfa", "entra.revoke_grants"} {
		res, err := run(t, reg, action, offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"entra": "gone"}})
		if err != nil || res.UserID != id || !res.Verified {
			t.Fatalf("%s with a stale id: %+v, %v", action, res, err)
		}
	}
}
