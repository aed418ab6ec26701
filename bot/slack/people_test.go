package slack

import (
	"context"
	"fmt"
	"testing"

	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// People pages through users.list and keeps the members with an email,
// lower-cased; Slackbot (no email) is left out.
func TestPlatform_People(t *testing.T) {
	s := slacktest.New(t)
	for i := range 450 {
		s.AddUser(fmt.Sprintf("U%04d", i), fmt.Sprintf("Person %d", i), fmt.Sprintf("Person.%d@Example.com", i))
	}
	p := digestPlatform(t, s)
	people, err := p.People(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 450 {
		t.Fatalf("%d people, want 450", len(people))
	}
	if people[7].Email != "person.7@example.com" || people[7].Name != "Person 7" {
		t.Errorf("person 7 = %+v", people[7])
	}
	calls := s.Calls("users.list")
	if len(calls) != 3 {
		t.Errorf("%d users.list calls for 451 members at %d a page, want 3", len(calls), usersPage)
	}
	s.FailNext("users.list", 200, `{"ok":false,"error":"missing_scope","needed":"users:read"}`, nil)
	if _, err := p.People(context.Background()); err == nil {
		t.Error("a refused users.list gave no error")
	}
}
