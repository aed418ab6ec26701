package okta_test

import (
	"context"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

func TestUserStatus(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.AddUser(oktatest.User{Login: "jane@example.com", Email: "jane@example.com", Status: "ACTIVE"})
	e.srv.AddUser(oktatest.User{Login: "jdoe", Email: "john@example.com", Status: "SUSPENDED"})
	e.srv.AddUser(oktatest.User{Login: "twin1", Email: "twin@example.com"})
	e.srv.AddUser(oktatest.User{Login: "twin2", Email: "twin@example.com"})
	ctx := context.Background()
	for _, tc := range []struct {
		email, status string
		found         bool
	}{
		{"jane@example.com", "ACTIVE", true},
		{"john@example.com", "SUSPENDED", true}, // by profile.email search
		{"nobody@example.com", "", false},
	} {
		st, found, err := e.c.UserStatus(ctx, tc.email)
		if err != nil || st != tc.status || found != tc.found {
			t.Errorf("UserStatus(%s) = %q, %v, %v; want %q, %v", tc.email, st, found, err, tc.status, tc.found)
		}
	}
	if _, _, err := e.c.UserStatus(ctx, "twin@example.com"); offboard.ErrorCode(err) != offboard.ECONFLICT {
		t.Errorf("two users with one email: %v, want ECONFLICT", err)
	}
	if n := e.srv.Count("POST", "/api/v1/users"); n != 0 {
		t.Errorf("UserStatus wrote to Okta %d times", n)
	}
}
