package okta_test

import (
	"context"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

func TestClient_IdentityStatus(t *testing.T) {
	e := newEnv(t, nil)
	for login, status := range map[string]string{"active": "ACTIVE", "suspended": "SUSPENDED", "gone": "DEPROVISIONED",
		"staged": "STAGED", "locked": "LOCKED_OUT"} {
		e.srv.AddUser(oktatest.User{Login: login + "@example.com", Email: login + "@example.com", Status: status})
	}
	e.srv.AddUser(oktatest.User{Login: "twin1", Email: "twin@example.com"})
	e.srv.AddUser(oktatest.User{Login: "twin2", Email: "twin@example.com"})
	ctx := context.Background()
	for _, tc := range []struct {
		email string
		want  offboard.AccountStatus
	}{
		{"active@example.com", offboard.AccountStatus{Found: true, Active: true, Status: "ACTIVE"}},
		{"locked@example.com", offboard.AccountStatus{Found: true, Active: true, Status: "LOCKED_OUT"}},
		{"staged@example.com", offboard.AccountStatus{Found: true, Active: true, Status: "STAGED"}},
		{"suspended@example.com", offboard.AccountStatus{Found: true, Status: "SUSPENDED"}},
		{"gone@example.com", offboard.AccountStatus{Found: true, Status: "DEPROVISIONED"}},
		{"nobody@example.com", offboard.AccountStatus{}},
	} {
		got, err := e.c.AccountStatus(ctx, tc.email)
		if err != nil || got != tc.want {
			t.Errorf("AccountStatus(%s) = %+v, %v; want %+v", tc.email, got, err, tc.want)
		}
	}
	if _, err := e.c.AccountStatus(ctx, "twin@example.com"); offboard.ErrorCode(err) != offboard.ECONFLICT {
		t.Errorf("two users with one email: %v, want ECONFLICT", err)
	}
	if e.c.IdentityLabel() != "Okta" {
		t.Errorf("label %q", e.c.IdentityLabel())
	}
}
