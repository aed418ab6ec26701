package google_test

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

func doctorClient(t *testing.T, fake *googletest.Server) *google.Client {
	t.Helper()
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checksByName(rs []offboard.CheckResult) map[string]offboard.CheckResult {
	m := map[string]offboard.CheckResult{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

func TestClient_Doctor(t *testing.T) {
	_, fake := newGoogle(t)
	got := checksByName(doctorClient(t, fake).Doctor(context.Background(), "jane@example.com"))
	for _, name := range []string{"Google: token for admin.directory.user", "Google: token for admin.directory.user.security",
		"Google: token for admin.datatransfer", "Google: token for gmail.settings.sharing", "Google: token for apps.licensing",
		"Google: token for ediscovery", "Google: read a user", "Google: Vault matters", "Google: license assignments"} {
		if r, ok := got[name]; !ok || r.Status != offboard.CheckOK {
			t.Fatalf("%s: %+v (all: %+v)", name, r, got)
		}
	}
	if d := got["Google: license assignments"].Detail; !strings.Contains(d, "jane@example.com does not hold") {
		t.Fatalf("license check %q", d)
	}
	// The Data Transfer routes belong to another part of googlefake:
	// here only that the doctor asked the right question.
	if _, ok := got["Google: Data Transfer applications"]; !ok || len(got) != 10 {
		t.Fatalf("checks %+v", got)
	}
	asked := false
	for _, r := range fake.Requests() {
		if r.Method != "GET" && r.Path != "/token" {
			t.Fatalf("the doctor wrote: %s %s", r.Method, r.Path)
		}
		asked = asked || r.Path == "/admin/datatransfer/v1/applications"
	}
	if !asked {
		t.Fatalf("the doctor did not list the Data Transfer applications: %+v", fake.Requests())
	}
}

func TestClient_DoctorMissingScope(t *testing.T) {
	_, fake := newGoogle(t)
	var scopes []string
	for _, s := range googlefake.LeastPrivilege {
		if s != google.ScopeVault {
			scopes = append(scopes, s)
		}
	}
	fake.Delegate(scopes...)
	got := checksByName(doctorClient(t, fake).Doctor(context.Background(), ""))
	tok := got["Google: token for ediscovery"]
	if tok.Status != offboard.CheckFail || !strings.Contains(tok.Detail, "ediscovery scope") ||
		!strings.Contains(tok.Fix, "Domain Wide Delegation") || !strings.Contains(tok.Fix, googlefake.ClientID) ||
		!strings.Contains(tok.Fix, google.ScopeVault) {
		t.Fatalf("token check %+v", tok)
	}
	if v := got["Google: Vault matters"]; v.Status != offboard.CheckWarn || !strings.Contains(v.Detail, "not tried") {
		t.Fatalf("vault check %+v", v)
	}
	if u := got["Google: read a user"]; u.Status != offboard.CheckOK || !strings.Contains(u.Detail, googletest.Admin) {
		t.Fatalf("user check %+v", u)
	}
}

func TestClient_DoctorVaultDenied(t *testing.T) {
	_, fake := newGoogle(t)
	fake.UpdateUser(googletest.Admin, func(u *googlefake.User) { u.VaultDenied = true })
	v := checksByName(doctorClient(t, fake).Doctor(context.Background(), ""))["Google: Vault matters"]
	if v.Status != offboard.CheckFail || !strings.Contains(v.Fix, "Vault license") || !strings.Contains(v.Fix, "Manage Holds") {
		t.Fatalf("vault check %+v", v)
	}
}
