package google_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// hookTransport runs before(n) ahead of the n-th API request (token
// requests are not counted), so that a test can change the fake mid-action.
type hookTransport struct {
	mu     sync.Mutex
	n      int
	before func(n int)
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/token" {
		h.mu.Lock()
		h.n++
		n := h.n
		h.mu.Unlock()
		h.before(n)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// newHooked is the connector against fake, calling before ahead of each
// API request.
func newHooked(t *testing.T, fake *googletest.Server, s google.Settings, before func(n int)) *google.Google {
	t.Helper()
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL,
		Transport: &hookTransport{before: before}})
	if err != nil {
		t.Fatal(err)
	}
	return google.NewGoogle(c, s)
}

// throttleAt makes the fake throttle the at-th API request.
func throttleAt(fake *googletest.Server, at int) func(int) {
	return func(n int) {
		if n == at {
			fake.Throttle(1, http.StatusTooManyRequests, "rateLimitExceeded", 3)
		}
	}
}

var backupCodes = []string{"11112222", "33334444", "55556666"}

func withSecrets(fake *googletest.Server) string {
	u, _ := fake.User("jane@example.com")
	fake.UpdateUser(u.ID, func(u *googlefake.User) {
		u.BackupCodes = append([]string(nil), backupCodes...)
		u.ASPs = []googlefake.ASP{{CodeID: 11, Name: "Thunderbird"}, {CodeID: 12, Name: "Old iPhone mail"}}
		u.Tokens = []googlefake.Token{
			{ClientID: "111.apps.googleusercontent.com", DisplayText: "Slack", Scopes: []string{"email"}},
			{ClientID: "222.apps.googleusercontent.com", DisplayText: "Zoom", Scopes: []string{"calendar"}},
			{ClientID: "333.apps.googleusercontent.com", Scopes: []string{"drive"}},
		}
	})
	return u.ID
}

func TestGoogle_ResetMFA(t *testing.T) {
	g, fake := newGoogle(t)
	id := withSecrets(fake)
	target := offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": id}}
	res, err := run(t, g, "google.reset_mfa", target)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fake.User(id)
	if len(u.BackupCodes) != 0 || len(u.ASPs) != 0 {
		t.Fatalf("left: codes %v asps %v", u.BackupCodes, u.ASPs)
	}
	ev := res.Evidence
	if !res.Verified || res.AlreadyDone || res.UserID != id || ev["backup_codes_before"] != "3" || ev["backup_codes_after"] != "0" ||
		ev["app_passwords_before"] != "2" || ev["app_passwords_after"] != "0" || ev["app_passwords_removed"] != "Thunderbird; Old iPhone mail" {
		t.Fatalf("res = %+v", res)
	}
	// The codes are secrets: the evidence counts them, never quotes them.
	for _, v := range ev {
		for _, c := range backupCodes {
			if strings.Contains(v, c) {
				t.Fatalf("evidence quotes a backup code: %v", ev)
			}
		}
	}
	// codes list, asps list, invalidate, codes list, 2 deletes, asps list.
	if n := fake.APIRequests(); n != 7 {
		t.Fatalf("%d API requests, want 7: %+v", n, fake.Requests())
	}
	res, err = run(t, g, "google.reset_mfa", target)
	if err != nil || !res.AlreadyDone || !res.Verified || res.Evidence["backup_codes_before"] != "0" {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if n := fake.APIRequests(); n != 9 {
		t.Fatalf("rerun made %d API requests, want 2 (the two lists)", n-7)
	}
}

func TestGoogle_ResetMFAOnlyWhatIsThere(t *testing.T) {
	g, fake := newGoogle(t)
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.ASPs = []googlefake.ASP{{CodeID: 5}} })
	res, err := run(t, g, "google.reset_mfa", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || res.Evidence["app_passwords_removed"] != "#5" || res.UserID == "" {
		t.Fatalf("%+v %v", res, err)
	}
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/invalidate") {
			t.Fatal("invalidated codes that were not there")
		}
	}
}

func TestGoogle_ResetMFAStaleIDFallsBackToEmail(t *testing.T) {
	g, fake := newGoogle(t)
	id := withSecrets(fake)
	res, err := run(t, g, "google.reset_mfa", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": "999"}})
	if err != nil || !res.Verified || res.UserID != id {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestGoogle_ResetMFAThrottledMidwayIsSafeToRerun(t *testing.T) {
	// 5 is the first app password's deletion, 6 the second's: the codes
	// are invalidated, the passwords not (all), when Google throttles.
	for _, at := range []int{3, 5, 6, 7} {
		fake := googletest.New(t)
		fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com"})
		withSecrets(fake)
		g := newHooked(t, fake, google.Settings{}, throttleAt(fake, at))
		_, err := run(t, g, "google.reset_mfa", offboard.Target{Email: "jane@example.com"})
		if rl, ok := errors.AsType[*offboard.RateLimitError](err); !ok || rl.API != "google" {
			t.Fatalf("throttle at %d: err = %v", at, err)
		}
		res, err := run(t, g, "google.reset_mfa", offboard.Target{Email: "jane@example.com"})
		u, _ := fake.User("jane@example.com")
		if err != nil || !res.Verified || len(u.BackupCodes) != 0 || len(u.ASPs) != 0 {
			t.Fatalf("rerun after throttle at %d: %+v %v; left %v %v", at, res, err, u.BackupCodes, u.ASPs)
		}
	}
}

func TestGoogle_SecurityActionsNeedTheSecurityScope(t *testing.T) {
	for _, action := range []string{"google.reset_mfa", "google.revoke_grants"} {
		g, fake := newGoogle(t)
		withSecrets(fake)
		var granted []string
		for _, sc := range googlefake.LeastPrivilege {
			if sc != google.ScopeUserSecurity {
				granted = append(granted, sc)
			}
		}
		fake.Delegate(granted...)
		_, err := run(t, g, action, offboard.Target{Email: "jane@example.com"})
		if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "admin.directory.user.security scope") {
			t.Fatalf("%s: err = %v", action, err)
		}
		if u, _ := fake.User("jane@example.com"); len(u.Tokens) != 3 || len(u.ASPs) != 2 || len(u.BackupCodes) != 3 {
			t.Fatalf("%s changed the user without the scope", action)
		}
	}
}

func TestGoogle_SecurityActionsOfAnUnknownUser(t *testing.T) {
	for _, action := range []string{"google.reset_mfa", "google.revoke_grants"} {
		g, _ := newGoogle(t)
		_, err := run(t, g, action, offboard.Target{Email: "nobody@example.com"})
		if offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Fatalf("%s: err = %v", action, err)
		}
	}
}

func TestGoogle_RevokeGrants(t *testing.T) {
	g, fake := newGoogle(t)
	id := withSecrets(fake)
	res, err := run(t, g, "google.revoke_grants", offboard.Target{Email: "jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := fake.User(id); len(u.Tokens) != 0 {
		t.Fatalf("tokens left: %+v", u.Tokens)
	}
	ev := res.Evidence
	if !res.Verified || res.AlreadyDone || res.UserID != id || ev["tokens_before"] != "3" || ev["tokens_after"] != "0" ||
		ev["apps_revoked"] != "Slack; Zoom; 333.apps.googleusercontent.com" {
		t.Fatalf("res = %+v", res)
	}
	// list, 3 deletes, list.
	if n := fake.APIRequests(); n != 5 {
		t.Fatalf("%d API requests, want 5: %+v", n, fake.Requests())
	}
	res, err = run(t, g, "google.revoke_grants", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": id}})
	if err != nil || !res.AlreadyDone || !res.Verified || fake.APIRequests() != 6 {
		t.Fatalf("rerun: %+v %v, %d requests", res, err, fake.APIRequests())
	}
}

func TestGoogle_RevokeGrantsReadBackDecides(t *testing.T) {
	fake := googletest.New(t)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com"})
	withSecrets(fake)
	// The person connects a new app between the deletions and the
	// read-back (request 5): offboard must not claim a clean account.
	g := newHooked(t, fake, google.Settings{}, func(n int) {
		if n == 5 {
			fake.UpdateUser("jane@example.com", func(u *googlefake.User) {
				u.Tokens = append(u.Tokens, googlefake.Token{ClientID: "444", DisplayText: "Dropbox"})
			})
		}
	})
	res, err := run(t, g, "google.revoke_grants", offboard.Target{Email: "jane@example.com"})
	if err != nil || res.Verified || res.Evidence["apps_left"] != "Dropbox" || res.Evidence["tokens_after"] != "1" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestGoogle_RevokeGrantsThrottledMidwayIsSafeToRerun(t *testing.T) {
	fake := googletest.New(t)
	fake.AddUser(googletest.User{PrimaryEmail: "jane@example.com"})
	withSecrets(fake)
	g := newHooked(t, fake, google.Settings{}, throttleAt(fake, 3)) // the second deletion
	_, err := run(t, g, "google.revoke_grants", offboard.Target{Email: "jane@example.com"})
	if _, ok := errors.AsType[*offboard.RateLimitError](err); !ok {
		t.Fatalf("err = %v", err)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Tokens) != 2 {
		t.Fatalf("tokens after the throttle: %+v", u.Tokens)
	}
	res, err := run(t, g, "google.revoke_grants", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || res.Evidence["tokens_before"] != "2" || res.Evidence["apps_revoked"] != "Zoom; 333.apps.googleusercontent.com" {
		t.Fatalf("rerun: %+v %v", res, err)
	}
}
