package okta_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

func TestClient_People(t *testing.T) {
	e := newEnv(t, nil)
	boss := e.srv.AddUser(oktatest.User{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", EmployeeNumber: "E1", TimeZone: "Europe/Berlin"})
	e.srv.AddUser(oktatest.User{Email: "byid@example.com", ManagerID: boss.ID})
	e.srv.AddUser(oktatest.User{Email: "bylogin@example.com", ManagerID: "ADA@example.com", TimeZone: "America/Los_Angeles"})
	e.srv.AddUser(oktatest.User{Email: "bynumber@example.com", ManagerID: "E1"})
	e.srv.AddUser(oktatest.User{Email: "outside@example.com", ManagerID: "boss@elsewhere.example"})
	e.srv.AddUser(oktatest.User{Email: "nomatch@example.com", ManagerID: "Ada Lovelace"})
	e.srv.AddUser(oktatest.User{Email: "gone@example.com", Status: "DEPROVISIONED", ManagerID: "E1"})
	// Enough people for two pages, so the cursor is followed.
	for i := range 205 {
		e.srv.AddUser(oktatest.User{Email: fmt.Sprintf("p%03d@example.com", i), ManagerID: "E1"})
	}

	people, err := e.c.People(context.Background())
	if err != nil {
		t.Fatalf("People: %v", err)
	}
	got := map[string]offboard.Person{}
	for _, p := range people {
		got[p.Email] = p
	}
	if len(got) != 6+205 {
		t.Fatalf("%d people, want %d (all pages, no deprovisioned)", len(got), 6+205)
	}
	want := map[string]offboard.Person{
		"ada@example.com":      {Email: "ada@example.com", Name: "Ada Lovelace", TimeZone: "Europe/Berlin"},
		"byid@example.com":     {Email: "byid@example.com", ManagerEmail: "ada@example.com"},
		"bylogin@example.com":  {Email: "bylogin@example.com", ManagerEmail: "ada@example.com", TimeZone: "America/Los_Angeles"},
		"bynumber@example.com": {Email: "bynumber@example.com", ManagerEmail: "ada@example.com"},
		"outside@example.com":  {Email: "outside@example.com", ManagerEmail: "boss@elsewhere.example"},
		"nomatch@example.com":  {Email: "nomatch@example.com"},
		"p204@example.com":     {Email: "p204@example.com", ManagerEmail: "ada@example.com"},
	}
	for email, w := range want {
		if got[email] != w {
			t.Errorf("%s = %+v, want %+v", email, got[email], w)
		}
	}
	if _, ok := got["gone@example.com"]; ok {
		t.Error("a deprovisioned user is in the directory")
	}
	pages := 0
	for _, r := range e.srv.Requests() {
		if r.Method == "GET" && r.Path == "/api/v1/users" {
			pages++
			if !strings.Contains(r.Query, "limit=200") {
				t.Errorf("page asked with %q, want limit=200", r.Query)
			}
		}
	}
	if pages != 2 {
		t.Errorf("%d list requests, want 2 pages", pages)
	}
}
