package googlefake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	googleauth "golang.org/x/oauth2/google"

	"github.com/offboard-dev/offboard/connectors/google/googlefake"
)

const (
	scopeUser     = "https://www.googleapis.com/auth/admin.directory.user"
	scopeSecurity = "https://www.googleapis.com/auth/admin.directory.user.security"
	admin         = "admin@example.com"
)

// newFake is a fake with an admin and jane@example.com, closed with the
// test.
func newFake(t *testing.T) (*googlefake.Server, string) {
	t.Helper()
	s, err := googlefake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddUser(googlefake.User{PrimaryEmail: admin, IsAdmin: true})
	return s, s.AddUser(googlefake.User{PrimaryEmail: "jane@example.com"})
}

// client is an HTTP client acting as the admin with scope, through the
// fake's token endpoint.
func client(t *testing.T, s *googlefake.Server, scope string) *http.Client {
	t.Helper()
	conf, err := googleauth.JWTConfigFromJSON(s.ServiceAccountKey(), scope)
	if err != nil {
		t.Fatal(err)
	}
	conf.Subject = admin
	return conf.Client(context.Background())
}

// do sends a request and returns the status and Google's error reason
// ("" on success).
func do(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct {
			Errors []struct{ Reason string } `json:"errors"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if len(e.Error.Errors) > 0 {
		return resp.StatusCode, e.Error.Errors[0].Reason
	}
	return resp.StatusCode, ""
}

func TestServer_SecurityRoutes(t *testing.T) {
	s, id := newFake(t)
	s.UpdateUser(id, func(u *googlefake.User) {
		u.Tokens = []googlefake.Token{{ClientID: "111", DisplayText: "Slack"}}
		u.ASPs = []googlefake.ASP{{CodeID: 7, Name: "mail"}}
		u.BackupCodes = []string{"12345678"}
	})
	sec := client(t, s, scopeSecurity)
	base := s.URL + "/admin/directory/v1/users/jane@example.com"
	for _, tc := range []struct {
		method, path, body string
		status             int
		reason             string
	}{
		{"DELETE", "/tokens/999", "", 404, "notFound"},
		{"DELETE", "/asps/abc", "", 400, "invalid"},
		{"DELETE", "/asps/8", "", 404, "notFound"},
		{"POST", "/verificationCodes/invalidate", `{"x":1}`, 400, "invalid"},
		{"GET", "/tokens/111", "", 200, ""},
		{"GET", "/asps/7", "", 200, ""},
		{"DELETE", "/tokens/111", "", 204, ""},
		{"DELETE", "/tokens/111", "", 404, "notFound"},
		{"DELETE", "/asps/7", "", 204, ""},
		{"POST", "/verificationCodes/invalidate", "", 204, ""},
	} {
		if st, reason := do(t, sec, tc.method, base+tc.path, tc.body); st != tc.status || reason != tc.reason {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, st, reason, tc.status, tc.reason)
		}
	}
	if u, _ := s.User(id); len(u.Tokens)+len(u.ASPs)+len(u.BackupCodes) != 0 {
		t.Fatalf("left: %+v", u)
	}
	// The security resources answer only to the security scope.
	if st, reason := do(t, client(t, s, scopeUser), "GET", base+"/tokens", ""); st != 403 || reason != "insufficientPermissions" {
		t.Fatalf("tokens with the user scope: %d %s", st, reason)
	}
}
