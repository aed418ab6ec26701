package googlefake_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/vault/v1"

	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// vaultClient acts as admin against a fake with jane@example.com.
func vaultClient(t *testing.T, admin string) (*google.Client, *googletest.Server, string) {
	t.Helper()
	fake := googletest.New(t)
	jane := fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com", GivenName: "Jane", FamilyName: "Doe"})
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, jane
}

func status(err error) int {
	if e, ok := errors.AsType[*googleapi.Error](err); ok {
		return e.Code
	}
	return 0
}

func TestServer_VaultHolds(t *testing.T) {
	c, fake, jane := vaultClient(t, googletest.Admin)
	ctx := context.Background()
	svc, err := c.Vault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := svc.Matters.Create(&vault.Matter{Name: "case"}).Do()
	if err != nil || m.State != "OPEN" || m.MatterId == "" {
		t.Fatalf("%+v %v", m, err)
	}
	account := []*vault.HeldAccount{{Email: "JANE@example.com"}}
	for name, bad := range map[string]*vault.Hold{
		"query of another corpus": {Name: "h", Corpus: "MAIL", Accounts: account, Query: &vault.CorpusQuery{DriveQuery: &vault.HeldDriveQuery{IncludeSharedDriveFiles: true}}},
		"no accounts":             {Name: "h", Corpus: "MAIL"},
		"no corpus":               {Name: "h", Accounts: account},
		"unknown account":         {Name: "h", Corpus: "MAIL", Accounts: []*vault.HeldAccount{{Email: "ghost@example.com"}}},
	} {
		if _, err := svc.Matters.Holds.Create(m.MatterId, bad).Do(); status(err) != 400 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	h, err := svc.Matters.Holds.Create(m.MatterId, &vault.Hold{Name: "h", Corpus: "MAIL", Accounts: account}).Do()
	if err != nil || len(h.Accounts) != 1 || h.Accounts[0].AccountId != jane || h.Accounts[0].Email != "jane@example.com" {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := svc.Matters.Holds.Accounts.Create(m.MatterId, h.HoldId, &vault.HeldAccount{AccountId: jane}).Do(); status(err) != 409 {
		t.Fatalf("second add: %v", err)
	}
	basic, err := svc.Matters.Holds.List(m.MatterId).View("BASIC_HOLD").Do()
	if err != nil || len(basic.Holds) != 1 || basic.Holds[0].Accounts != nil {
		t.Fatalf("basic view %+v %v", basic, err)
	}
	full, err := svc.Matters.Holds.Get(m.MatterId, h.HoldId).Do() // unspecified is FULL_HOLD
	if err != nil || len(full.Accounts) != 1 {
		t.Fatalf("full view %+v %v", full, err)
	}
	if _, err := svc.Matters.Holds.Get(m.MatterId, "nope").Do(); status(err) != 404 {
		t.Fatalf("unknown hold: %v", err)
	}

	// Another admin does not see the matter.
	other := fake.AddUser(googletest.User{PrimaryEmail: "it@example.com", IsAdmin: true})
	c2, _ := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: "it@example.com", APIURL: fake.URL})
	svc2, _ := c2.Vault(ctx)
	if list, err := svc2.Matters.List().Do(); err != nil || len(list.Matters) != 0 {
		t.Fatalf("%s lists %+v %v", other, list, err)
	}
	if _, err := svc2.Matters.Get(m.MatterId).Do(); status(err) != 404 {
		t.Fatalf("another admin's matter: %v", err)
	}
	fake.UpdateUser("it@example.com", func(u *googlefake.User) { u.VaultDenied = true })
	if _, err := svc2.Matters.List().Do(); status(err) != 403 {
		t.Fatalf("without Vault: %v", err)
	}
}

func TestServer_VaultMattersPage(t *testing.T) {
	c, fake, _ := vaultClient(t, googletest.Admin)
	for range 150 {
		fake.AddMatter(googlefake.VaultMatter{Name: "m"}, googletest.Admin)
	}
	fake.AddMatter(googlefake.VaultMatter{Name: "closed", State: "CLOSED"}, googletest.Admin)
	svc, _ := c.Vault(context.Background())
	first, err := svc.Matters.List().State("OPEN").Do()
	if err != nil || len(first.Matters) != 100 || first.NextPageToken == "" {
		t.Fatalf("first page: %d %q %v", len(first.Matters), first.NextPageToken, err)
	}
	second, err := svc.Matters.List().State("OPEN").PageToken(first.NextPageToken).Do()
	if err != nil || len(second.Matters) != 50 || second.NextPageToken != "" {
		t.Fatalf("second page: %d %q %v", len(second.Matters), second.NextPageToken, err)
	}
	if _, err := svc.Matters.List().PageToken("forged").Do(); status(err) != 400 {
		t.Fatalf("forged token: %v", err)
	}
}

func TestServer_Licensing(t *testing.T) {
	c, fake, _ := vaultClient(t, googletest.Admin)
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.Licenses = []string{"Google-Apps/1010020025"} })
	svc, _ := c.Licensing(context.Background())
	a, err := svc.LicenseAssignments.Get("Google-Apps", "1010020025", "jane@example.com").Do()
	if err != nil || a.SkuName != "Google Workspace Business Plus" || a.UserId != "jane@example.com" {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := svc.LicenseAssignments.Get("Google-Apps", "1010020028", "jane@example.com").Do(); status(err) != 404 {
		t.Fatalf("not held: %v", err)
	}
	if _, err := svc.LicenseAssignments.Get("Google-Apps", "999", "jane@example.com").Do(); status(err) != 400 {
		t.Fatalf("unknown SKU: %v", err)
	}
	if _, err := svc.LicenseAssignments.Delete("Google-Apps", "1010020025", "jane@example.com").Do(); err != nil {
		t.Fatal(err)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Licenses) != 0 {
		t.Fatalf("still %v", u.Licenses)
	}
	if _, err := svc.LicenseAssignments.Delete("Google-Apps", "1010020025", "jane@example.com").Do(); status(err) != 404 {
		t.Fatalf("second delete: %v", err)
	}
	// Only an administrator reaches the Licensing API.
	c2, _ := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: "jane@example.com", APIURL: fake.URL})
	svc2, _ := c2.Licensing(context.Background())
	if _, err := svc2.LicenseAssignments.Get("Google-Apps", "1010020025", "jane@example.com").Do(); status(err) != 403 {
		t.Fatalf("non-admin: %v", err)
	}
}
