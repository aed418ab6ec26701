package teams_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/offboard-dev/offboard/bot/teams/teamstest"
)

// People pages through the team's members (pagedmembers) and keeps their
// emails, lower-cased, with names.
func TestPlatform_People(t *testing.T) {
	w := newWorld(t)
	for i := range 1200 {
		w.conn.AddMember(teamstest.Member{ID: fmt.Sprintf("29:p%04d", i), AADObjectID: fmt.Sprintf("aad-p%04d", i),
			Email: fmt.Sprintf("Person.%d@Example.com", i), Name: fmt.Sprintf("Person %d", i)})
	}
	people, err := w.p.People(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 1204 { // the four of the fake tenant too
		t.Fatalf("%d people, want 1204", len(people))
	}
	byEmail := map[string]string{}
	for _, p := range people {
		byEmail[p.Email] = p.Name
	}
	if byEmail["person.7@example.com"] != "Person 7" || byEmail[mona.Email] != mona.Name {
		t.Errorf("person 7 = %q, mona = %q", byEmail["person.7@example.com"], byEmail[mona.Email])
	}
	// A throttled read fails, so the directory keeps its last list.
	w.conn.Throttle(1)
	if _, err := w.p.People(context.Background()); err == nil {
		t.Error("a throttled read gave no error")
	}
}
