package google_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// People walks every page of users.list and reads each manager relation;
// a suspended or archived manager, or a relation that names a person
// rather than an address, gives no manager.
func TestGoogle_People(t *testing.T) {
	g, fake := newGoogle(t)
	fake.AddUser(googletest.User{PrimaryEmail: "mona@example.com", GivenName: "Mona", FamilyName: "Manager"})
	fake.AddUser(googletest.User{PrimaryEmail: "old.boss@example.com", GivenName: "Old", FamilyName: "Boss", Suspended: true})
	fake.AddUser(googletest.User{PrimaryEmail: "arch@example.com", Archived: true})
	fake.UpdateUser("jane@example.com", func(u *googletest.User) { u.Manager = "Mona@Example.com" })
	fake.AddUser(googletest.User{PrimaryEmail: "sam@example.com", GivenName: "Sam", Manager: "old.boss@example.com"})
	fake.AddUser(googletest.User{PrimaryEmail: "ria@example.com", GivenName: "Ria", Manager: "arch@example.com"})
	fake.AddUser(googletest.User{PrimaryEmail: "noel@example.com", GivenName: "Noel", Manager: "Mona Manager"})
	// Enough people for a second page (500 a page).
	for i := range 520 {
		fake.AddUser(googletest.User{PrimaryEmail: fmt.Sprintf("p%03d@example.com", i), GivenName: "P", FamilyName: fmt.Sprint(i), Manager: "mona@example.com"})
	}
	before := fake.APIRequests()
	people, err := g.People(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]offboard.Person{}
	for _, p := range people {
		by[p.Email] = p
	}
	if len(people) != 528 { // 520 + jane, mona, old.boss, arch, sam, ria, noel, the admin
		t.Fatalf("%d people, want 528", len(people))
	}
	if p := by["jane@example.com"]; p.Name != "Jane Doe" || p.ManagerEmail != "mona@example.com" {
		t.Errorf("jane = %+v", p)
	}
	if p := by["p519@example.com"]; p.ManagerEmail != "mona@example.com" {
		t.Errorf("the second page: %+v", p)
	}
	for _, who := range []string{"sam@example.com", "ria@example.com", "noel@example.com"} {
		if m := by[who].ManagerEmail; m != "" {
			t.Errorf("%s has manager %q, want none (inactive, or not an address)", who, m)
		}
	}
	if _, ok := by["old.boss@example.com"]; !ok {
		t.Error("a suspended user is not listed")
	}
	if n := fake.APIRequests() - before; n != 2 {
		t.Errorf("%d requests, want 2 pages", n)
	}
	for _, r := range fake.Requests()[len(fake.Requests())-2:] {
		if !strings.Contains(r.Query, "customer=my_customer") || !strings.Contains(r.Query, "maxResults=500") {
			t.Errorf("list query %q", r.Query)
		}
	}
}
