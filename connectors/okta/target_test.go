package okta_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// userReads counts the fake's GET /api/v1/users/{id or login} and
// GET /api/v1/users (search) requests: the lookups a known id saves.
func userReads(srv *oktatest.Server) (byPath map[string]int, total int) {
	byPath = map[string]int{}
	for _, r := range srv.Requests() {
		seg := strings.Split(strings.Trim(strings.TrimPrefix(r.Path, "/api/v1"), "/"), "/")
		if r.Method == "GET" && seg[0] == "users" && len(seg) <= 2 {
			byPath[r.Path]++
			total++
		}
	}
	return byPath, total
}

func TestClient_knownUserID(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	req := jane("jane@example.com")
	req.Target.UserIDs = map[string]string{"okta": u.ID}

	// Actions that need no status before they write go straight to the id.
	for _, action := range []string{"okta.clear_sessions", "okta.reset_factors", "okta.revoke_grants", "okta.remove_groups", "okta.app_report"} {
		before := len(e.srv.Requests())
		res := e.mustRun(action, req)
		if byPath, n := userReads(e.srv); n != 0 {
			t.Fatalf("%s read the user although its id was known: %v", action, byPath)
		}
		if res.UserID != u.ID || res.Evidence["okta_user_id"] != u.ID || res.Evidence["found_by"] == "" || res.Evidence["read_back"] == "" {
			t.Errorf("%s: user id %q, evidence %v", action, res.UserID, res.Evidence)
		}
		if _, ok := res.Evidence["status_before"]; ok {
			t.Errorf("%s claims a status it did not read: %v", action, res.Evidence)
		}
		if !strings.Contains(res.Summary, "jane@example.com") && action != "okta.app_report" {
			t.Errorf("%s summary %q does not name the person", action, res.Summary)
		}
		if len(e.srv.Requests()) == before {
			t.Errorf("%s sent nothing", action)
		}
	}
	got := e.user(u.ID)
	if got.Sessions != 0 || got.OAuthTokens != 0 || len(got.Factors) != 0 || len(got.Grants) != 0 {
		t.Fatalf("Okta user after the actions: %+v", got)
	}
	// Suspend must read the status first: by the known id, not the login.
	res := e.mustRun("okta.suspend", req)
	byPath, n := userReads(e.srv)
	if n != 2 || byPath["/api/v1/users/"+u.ID] != 2 {
		t.Errorf("suspend read the user %v, want by id twice (before and after)", byPath)
	}
	if res.UserID != u.ID || res.Evidence["status_before"] != "ACTIVE" || res.Evidence["status_after"] != "SUSPENDED" || !res.Verified {
		t.Errorf("suspend by known id: %+v", res)
	}
}

func TestClient_staleUserID(t *testing.T) {
	for _, action := range []string{"okta.clear_sessions", "okta.revoke_grants", "okta.suspend"} {
		t.Run(action, func(t *testing.T) {
			e := newEnv(t, nil)
			u := addJane(e.srv)
			req := jane("jane@example.com")
			req.Target.UserIDs = map[string]string{"okta": "00ugoneforgood000000"}
			res := e.mustRun(action, req)
			if res.UserID != u.ID || res.Evidence["okta_user_id"] != u.ID || res.Evidence["found_by"] != "email as login" {
				t.Errorf("after a stale id: user id %q, evidence %v", res.UserID, res.Evidence)
			}
			if n := e.srv.Count("GET", "/api/v1/users/jane@example.com"); n != 1 {
				t.Errorf("looked jane up by email %d times, want 1", n)
			}
			if !strings.Contains(e.logs.String(), "unknown to Okta") {
				t.Error("the stale id was not logged")
			}
		})
	}
}

func TestClient_paramUserNotRecorded(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	svc := e.srv.AddUser(oktatest.User{Login: "svc-jane@example.com", Email: "svc-jane@example.com", Sessions: 1})
	req := jane("jane@example.com")
	req.Target.UserIDs = map[string]string{"okta": u.ID}
	req.Params = map[string]string{"okta_user": svc.ID}
	res := e.mustRun("okta.clear_sessions", req)
	if res.UserID != "" {
		t.Errorf("a user named by okta_user was reported as the employee's id %q", res.UserID)
	}
	if res.Evidence["okta_user_id"] != svc.ID || e.user(svc.ID).Sessions != 0 || e.user(u.ID).Sessions == 0 {
		t.Errorf("okta_user must win over the recorded id: evidence %v", res.Evidence)
	}
	// Found by email, the id is reported for the case.
	if res := e.mustRun("okta.clear_sessions", jane("jane@example.com")); res.UserID != u.ID {
		t.Errorf("found by email: user id %q, want %s", res.UserID, u.ID)
	}
}
