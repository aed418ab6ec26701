package okta_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// specOperation is one operation of testdata/okta-management-users-groups.json,
// derived from Okta's published management OpenAPI spec (see testdata/NOTICE).
type specOperation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	} `json:"parameters"`
}

func loadSpec(t *testing.T) map[string]map[string]specOperation {
	t.Helper()
	b, err := os.ReadFile("testdata/okta-management-users-groups.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]specOperation `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Paths
}

// matchTemplate matches a request path against a spec path template; a
// literal segment beats a parameter, so /users/{id}/lifecycle/suspend is
// not taken for a template with a parameter there.
func matchTemplate(template, path string) (score int, ok bool) {
	ts, ps := strings.Split(strings.Trim(template, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return 0, false
	}
	for i := range ts {
		switch {
		case strings.HasPrefix(ts[i], "{"):
		case ts[i] == ps[i]:
			score++
		default:
			return 0, false
		}
	}
	return score, true
}

// Every Okta route the connector calls, while running its whole action
// set, its directory read, its status check and its ping against the fake,
// exists in Okta's published spec with that method, and sends every
// required query parameter and no undeclared one.
func TestClient_RoutesMatchOktaSpec(t *testing.T) {
	spec := loadSpec(t)
	e := newEnv(t, nil)
	addJane(e.srv)
	e.srv.AddUser(oktatest.User{Login: "sam.login@corp.example", Email: "sam@example.com",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"okta.users.read"}, Sessions: 1})
	for _, a := range []string{"okta.app_report", "okta.suspend", "okta.clear_sessions", "okta.reset_factors",
		"okta.revoke_grants", "okta.remove_groups", "okta.deactivate", "okta.restore"} {
		e.mustRun(a, jane("jane@example.com"))
	}
	// An email that is not the login: found by a search.
	e.mustRun("okta.suspend", jane("sam@example.com"))
	e.mustRun("okta.restore", jane("sam@example.com"))
	if _, err := e.c.People(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.c.UserStatus(context.Background(), "jane@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for _, r := range e.srv.Requests() {
		best, bestScore := "", -1
		for template := range spec {
			if s, ok := matchTemplate(template, r.Path); ok && s > bestScore {
				best, bestScore = template, s
			}
		}
		if best == "" {
			t.Errorf("%s %s: no such path in Okta's spec", r.Method, r.Path)
			continue
		}
		op, ok := spec[best][r.Method]
		if !ok {
			t.Errorf("%s %s: %s has no %s in Okta's spec", r.Method, r.Path, best, r.Method)
			continue
		}
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Errorf("%s %s: bad query %q", r.Method, r.Path, r.Query)
		}
		declared := map[string]bool{}
		for _, p := range op.Parameters {
			if p.In != "query" {
				continue
			}
			declared[p.Name] = true
			if p.Required && !q.Has(p.Name) {
				t.Errorf("%s %s (%s): required query parameter %q missing", r.Method, r.Path, op.OperationID, p.Name)
			}
		}
		for name := range q {
			if !declared[name] {
				t.Errorf("%s %s (%s): query parameter %q is not in Okta's spec", r.Method, r.Path, op.OperationID, name)
			}
		}
		seen[r.Method+" "+best] = true
	}
	var routes []string
	for k := range seen {
		routes = append(routes, k)
	}
	sort.Strings(routes)
	t.Logf("routes called: %s", strings.Join(routes, ", "))
	// The action set must have exercised the writes it exists for, or the
	// test checked nothing.
	for _, want := range []string{"POST /api/v1/users/{id}/lifecycle/suspend", "POST /api/v1/users/{id}/lifecycle/reset_factors",
		"DELETE /api/v1/users/{userId}/sessions", "DELETE /api/v1/users/{userId}/grants",
		"DELETE /api/v1/groups/{groupId}/users/{userId}", "POST /api/v1/users/{id}/lifecycle/deactivate",
		"POST /api/v1/users/{id}/lifecycle/unsuspend", "POST /api/v1/users/{id}/lifecycle/activate", "GET /api/v1/users"} {
		if !seen[want] {
			t.Errorf("route %s not exercised", want)
		}
	}
}
