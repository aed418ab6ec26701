package google_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// newGoogleWith is the connector with settings against a fake with
// jane@example.com holding licenses.
func newGoogleWith(t *testing.T, s google.Settings, licenses ...string) (*google.Google, *googletest.Server) {
	t.Helper()
	fake := googletest.New(t)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", GivenName: "Jane", FamilyName: "Doe", Licenses: licenses})
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return google.NewGoogle(c, s), fake
}

func TestGoogle_DeactivateRemovesHeldLicenses(t *testing.T) {
	settings := google.Settings{
		Licenses: []google.License{
			{ProductID: "Google-Apps", SKUID: "1010020028", Name: "Business Standard"},
			{ProductID: "101068", SKUID: "1010680001"}, // no name: Google's is used
			{ProductID: "Google-Apps", SKUID: "1010020025", Name: "Business Plus"},
		},
		Prices: map[string]float64{"1010020028": 14, "Gemini Enterprise Business Edition": 21.6},
	}
	// Gemini Security is held but not configured: it stays.
	g, fake := newGoogleWith(t, settings, "Google-Apps/1010020028", "101068/1010680001", "101047/1010470006")
	res, err := runCase(t, g, "google.deactivate", "OFF-0001", offboard.Target{Email: "Jane@Example.com"})
	if err != nil {
		t.Fatal(err)
	}
	jane, _ := fake.User("jane@example.com")
	if !slices.Equal(jane.Licenses, []string{"101047/1010470006"}) {
		t.Fatalf("licenses left %v", jane.Licenses)
	}
	ev := res.Evidence
	if !res.Verified || res.AlreadyDone || res.UserID != jane.ID || ev["licenses"] != "Business Standard, Gemini Enterprise Business Edition" ||
		ev["license_count"] != "2" || ev["monthly_seat_cost"] != "35.60" || ev["read_back"] != "0 of 2 removed licenses still assigned" {
		t.Fatalf("result %+v", res)
	}
	if res.Evidence["vault_hold_check"] != "no open Vault matter offboard OFF-0001 jane@example.com" {
		t.Fatalf("vault check %q", res.Evidence["vault_hold_check"])
	}
	// users.get, a get per configured SKU, the case's Vault matter, a
	// delete and a get per held one.
	var deletes, gets int
	for _, c := range apiCalls(fake, 1) {
		switch {
		case c == "GET /v1/matters":
		case strings.HasPrefix(c, "DELETE /apps/licensing/v1/product/") && strings.HasSuffix(c, "/user/jane@example.com"):
			deletes++
		case strings.HasPrefix(c, "GET /apps/licensing/v1/product/"):
			gets++
		default:
			t.Fatalf("unexpected request %s", c)
		}
	}
	if n := fake.APIRequests(); n != 9 || deletes != 2 || gets != 5 {
		t.Fatalf("%d requests (%d deletes, %d gets): %q", n, deletes, gets, apiCalls(fake, 0))
	}

	// The rerun finds nothing held.
	res, err = run(t, g, "google.deactivate", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": jane.ID}})
	if err != nil || !res.AlreadyDone || !res.Verified || res.Evidence["license_count"] != "0" {
		t.Fatalf("rerun %+v %v", res, err)
	}
}

func TestGoogle_DeactivateNothingHeld(t *testing.T) {
	g, fake := newGoogleWith(t, google.Settings{})
	res, err := run(t, g, "google.deactivate", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.AlreadyDone || !res.Verified || res.Evidence["license_count"] != "0" || res.Evidence["monthly_seat_cost"] != "" {
		t.Fatalf("%+v %v", res, err)
	}
	// One users.get and one get per default SKU; nothing written.
	if n, want := fake.APIRequests(), 1+len(google.DefaultLicenses()); n != want {
		t.Fatalf("%d requests, want %d", n, want)
	}
	for _, c := range apiCalls(fake, 0) {
		if !strings.HasPrefix(c, "GET ") {
			t.Fatalf("wrote: %s", c)
		}
	}
}

func TestGoogle_DeactivateDefaultsCoverWorkspaceEditions(t *testing.T) {
	g, fake := newGoogleWith(t, google.Settings{Prices: map[string]float64{"google_workspace_business_plus": 22}}, "Google-Apps/1010020025")
	res, err := run(t, g, "google.deactivate", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || res.Evidence["licenses"] != "Google Workspace Business Plus" || res.Evidence["monthly_seat_cost"] != "22.00" {
		t.Fatalf("%+v %v", res, err)
	}
	if jane, _ := fake.User("jane@example.com"); len(jane.Licenses) != 0 {
		t.Fatalf("left %v", jane.Licenses)
	}
}

func TestGoogle_DeactivateRefusals(t *testing.T) {
	g, _ := newGoogleWith(t, google.Settings{})
	// An unknown person is not "holds nothing".
	if _, err := run(t, g, "google.deactivate", offboard.Target{Email: "ghost@example.com"}); offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Fatalf("unknown user: %v", err)
	}
	g, fake := newGoogleWith(t, google.Settings{}, "Google-Apps/1010020025")
	var scopes []string
	for _, s := range googlefake.LeastPrivilege {
		if s != google.ScopeLicensing {
			scopes = append(scopes, s)
		}
	}
	fake.Delegate(scopes...)
	_, err := run(t, g, "google.deactivate", offboard.Target{Email: "jane@example.com"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "apps.licensing scope") {
		t.Fatalf("missing scope: %v", err)
	}
	if jane, _ := fake.User("jane@example.com"); len(jane.Licenses) != 1 {
		t.Fatal("a license went without the scope")
	}
}

// Google drops an unlicensed account from its holds: a person the case
// put on hold keeps their licenses.
func TestGoogle_DeactivateKeepsLicensesUnderHold(t *testing.T) {
	g, fake := newGoogleWith(t, google.Settings{}, "Google-Apps/1010020025")
	if _, err := runCase(t, g, "google.hold", "OFF-0001", offboard.Target{Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err := runCase(t, g, "google.deactivate", "OFF-0001", offboard.Target{Email: "jane@example.com"})
	if offboard.ErrorCode(err) != offboard.ECONFLICT || !strings.Contains(err.Error(), "Vault hold") || !strings.Contains(err.Error(), "Archived User") {
		t.Fatalf("err = %v", err)
	}
	if jane, _ := fake.User("jane@example.com"); len(jane.Licenses) != 1 {
		t.Fatalf("licenses removed under a hold: %v", jane.Licenses)
	}
	// Without Vault (no license or role for the admin) there can be no
	// hold of the case: the removal goes on and the evidence says so.
	fake.UpdateUser(googletest.Admin, func(u *googlefake.User) { u.VaultDenied = true })
	res, err := runCase(t, g, "google.deactivate", "OFF-0002", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || !strings.HasPrefix(res.Evidence["vault_hold_check"], "not checked: ") {
		t.Fatalf("%+v %v", res, err)
	}
}
