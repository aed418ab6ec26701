package googlefake_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/google/googlefake"
)

func TestServer_DeletionRoutes(t *testing.T) {
	s, id := newFake(t)
	s.UpdateUser(id, func(u *googlefake.User) { u.Suspended, u.OrgUnitPath = true, "/Sales" })
	usr := client(t, s, scopeUser)
	users := s.URL + "/admin/directory/v1/users"
	if st, reason := do(t, client(t, s, scopeSecurity), "DELETE", users+"/"+id, ""); st != 403 || reason != "insufficientPermissions" {
		t.Fatalf("delete with the security scope: %d %s", st, reason)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		reason             string
	}{
		{"DELETE", "/" + admin, "", 400, "invalid"}, // not oneself
		{"POST", "/" + id + "/undelete", `{"orgUnitPath":"/"}`, 404, "notFound"},
		{"DELETE", "/jane@example.com", "", 204, ""},
		{"GET", "/" + id, "", 404, "notFound"},
		{"GET", "/" + id + "/tokens", "", 403, "insufficientPermissions"},
		{"DELETE", "/" + id, "", 404, "notFound"},
		{"GET", "?showDeleted=true", "", 400, "badRequest"},
		{"GET", "?customer=my_customer&query=email:jane@example.com", "", 400, "invalid"},
		{"GET", "?customer=C999&showDeleted=true", "", 403, "forbidden"},
		{"GET", "?customer=my_customer&showDeleted=true&maxResults=501", "", 400, "invalid"},
		{"POST", "/jane@example.com/undelete", `{"orgUnitPath":"/"}`, 404, "notFound"}, // the id only
		{"POST", "/" + id + "/undelete", `{}`, 400, "invalid"},
		{"POST", "/" + id + "/undelete", `{"orgUnitPath":"/Sales","suspended":false}`, 400, "invalid"},
		{"POST", "/" + id + "/undelete", `{"orgUnitPath":"/Sales"}`, 204, ""},
		{"GET", "/jane@example.com", "", 200, ""},
	} {
		if st, reason := do(t, usr, tc.method, users+tc.path, tc.body); st != tc.status || reason != tc.reason {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, st, reason, tc.status, tc.reason)
		}
	}
	if u, _ := s.User(id); u.Deleted || !u.Suspended || u.OrgUnitPath != "/Sales" {
		t.Fatalf("after undelete: %+v", u)
	}
}

func TestServer_ListDeletedUsers(t *testing.T) {
	s, _ := newFake(t)
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		s.AddUser(googlefake.User{PrimaryEmail: e, Deleted: true, DeletedAt: time.Now()})
	}
	s.AddUser(googlefake.User{PrimaryEmail: "old@example.com", Deleted: true, DeletedAt: time.Now().Add(-googlefake.RestorableFor)})
	usr := client(t, s, scopeUser)
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		resp, err := usr.Get(s.URL + "/admin/directory/v1/users?customer=my_customer&showDeleted=true&maxResults=2&pageToken=" + token)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Users []struct {
				PrimaryEmail string `json:"primaryEmail"`
				DeletionTime string `json:"deletionTime"`
			} `json:"users"`
			NextPageToken string `json:"nextPageToken"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		for _, u := range page.Users {
			if u.DeletionTime == "" {
				t.Fatalf("deleted user without deletionTime: %+v", u)
			}
			got = append(got, u.PrimaryEmail)
		}
		if token = page.NextPageToken; token == "" || pages > 3 {
			break
		}
	}
	// Past Google's 20 days a user is gone; undeleted ones are not listed.
	if strings.Join(got, ",") != "a@example.com,b@example.com,c@example.com" {
		t.Fatalf("deleted users = %v", got)
	}
}
