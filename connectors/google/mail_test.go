package google_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

const mailJob = "OFF-0001/google_mail#1"

func TestGoogle_MailDelegatesAsTheLeaver(t *testing.T) {
	g, fake := handover(t)
	jane, _ := fake.User("jane@example.com")
	res, err, n := runJob(t, g, fake, mailJob, "google.mail", toBob)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.AlreadyDone || res.UserID != jane.ID || res.Evidence["delegate"] != "bob@example.com" ||
		res.Evidence["verification_status"] != "accepted" || res.Evidence["mailbox"] != "jane@example.com" {
		t.Fatalf("%+v", res)
	}
	if u, _ := fake.User("jane@example.com"); !slices.Equal(u.Delegates, []string{"bob@example.com"}) {
		t.Fatalf("delegates = %v", u.Delegates)
	}
	// The receiver and the leaver from the Directory, then Gmail's answer
	// is the read-back.
	if n != 3 {
		t.Errorf("%d API requests, want 3: %+v", n, fake.Requests())
	}
	// Gmail was asked as the mailbox owner, the Directory as the admin.
	for _, r := range fake.Requests() {
		want := googletest.Admin
		if strings.HasPrefix(r.Path, "/gmail/") {
			want = "jane@example.com"
		}
		if r.Path != "/token" && r.Subject != want {
			t.Errorf("%s %s acted as %q, want %q", r.Method, r.Path, r.Subject, want)
		}
	}

	// A rerun finds the delegate there.
	res, err, _ = runJob(t, g, fake, mailJob, "google.mail", toBob)
	if err != nil || !res.AlreadyDone || !res.Verified || !strings.Contains(res.Summary, "already a delegate") {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Delegates) != 1 {
		t.Fatalf("delegates after rerun = %v", u.Delegates)
	}
}

func TestGoogle_MailToASuspendedMailboxSaysWhatToDo(t *testing.T) {
	g, fake := handover(t)
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.Suspended = true })
	_, err, n := runJob(t, g, fake, mailJob, "google.mail", toBob)
	if offboard.ErrorCode(err) != offboard.EINVALID || connectors.Retryable(err) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"Gmail accepts a delegate only while the mailbox is active", "jane@example.com is suspended",
		"suspended before the mail handover was approved", "unsuspend it in the Google Admin console", "bob@example.com",
		"suspend it again", "Google Vault", "mark the task done"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if n != 2 {
		t.Errorf("%d API requests, want the two Directory reads", n)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Delegates) != 0 {
		t.Fatalf("delegates = %v", u.Delegates)
	}
}

// suspendAfterRead suspends jane in the fake once the Directory has
// answered about her: someone suspended her in the Admin console between
// offboard's read and its Gmail call.
type suspendAfterRead struct {
	fake *googletest.Server
	done bool
}

func (s *suspendAfterRead) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && !s.done && r.URL.Path == "/admin/directory/v1/users/jane@example.com" {
		s.done = true
		s.fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.Suspended = true })
	}
	return resp, err
}

// Google refuses a token to act as a suspended mailbox (invalid_grant):
// the connector reads the account again and gives the same advice as
// when the Directory shows it suspended.
func TestGoogle_MailTokenRefusedForASuspendedMailbox(t *testing.T) {
	_, fake := handover(t)
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL,
		Transport: &suspendAfterRead{fake: fake}})
	if err != nil {
		t.Fatal(err)
	}
	_, err, _ = runJob(t, google.NewGoogle(c, google.Settings{}), fake, mailJob, "google.mail", toBob)
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "Gmail accepts a delegate only while the mailbox is active") {
		t.Fatalf("err = %v", err)
	}
	var token googlefake.Request
	for _, r := range fake.Requests() {
		if r.Path == "/token" {
			token = r
		}
	}
	if token.Status != http.StatusBadRequest {
		t.Fatalf("last token request answered %d, want Google's 400 invalid_grant", token.Status)
	}
}

func TestGoogle_MailRefusals(t *testing.T) {
	g, fake := handover(t)
	fake.AddUser(googletest.User{PrimaryEmail: "gone@example.com", Archived: true})
	for _, tc := range []struct {
		params map[string]string
		want   string
	}{
		{nil, "the manager must choose"},
		{map[string]string{"to": "ext@other.org"}, "not a user of this Google Workspace"},
		{map[string]string{"to": "gone@example.com"}, "archived"},
		{map[string]string{"to": "jane@example.com"}, "the leaver themself"},
	} {
		_, err, _ := runJob(t, g, fake, mailJob, "google.mail", tc.params)
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("to=%q: err = %v, want EINVALID with %q", tc.params["to"], err, tc.want)
		}
	}
	// Gmail's own limit: 25 delegates a mailbox.
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) {
		for i := range googlefake.MaxDelegates {
			u.Delegates = append(u.Delegates, fmt.Sprintf("d%d@example.com", i))
		}
	})
	_, err, _ := runJob(t, g, fake, mailJob, "google.mail", toBob)
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "limit of delegates") || !strings.Contains(err.Error(), "jane@example.com") {
		t.Fatalf("26th delegate: err = %v", err)
	}
}

func TestGoogle_MailNamesAMissingScope(t *testing.T) {
	g, fake := handover(t)
	var without []string
	for _, sc := range googlefake.LeastPrivilege {
		if sc != google.ScopeGmailSharing {
			without = append(without, sc)
		}
	}
	fake.Delegate(without...)
	_, err, _ := runJob(t, g, fake, mailJob, "google.mail", toBob)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "gmail.settings.sharing scope") {
		t.Fatalf("err = %v", err)
	}
}

// The fake answers as Google documents: a delegate is named by its
// primary address, and reading delegates needs a read scope that
// gmail.settings.sharing is not.
func TestServer_GmailDelegates(t *testing.T) {
	_, fake := handover(t)
	if !fake.SetAliases("bob@example.com", "Robert@example.com") {
		t.Fatal("no bob")
	}
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc, err := c.Gmail(ctx, "jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	code := func(err error) (int, string) {
		if gerr, ok := errors.AsType[*googleapi.Error](err); ok {
			reason := ""
			if len(gerr.Errors) > 0 {
				reason = gerr.Errors[0].Reason
			}
			return gerr.Code, reason
		}
		return 0, fmt.Sprint(err)
	}
	create := func(mailbox, delegate string) error {
		_, err := svc.Users.Settings.Delegates.Create(mailbox, &gmail.Delegate{DelegateEmail: delegate}).Do()
		return err
	}
	for _, tc := range []struct {
		name, mailbox, delegate string
		status                  int
		reason                  string
	}{
		{"alias", "me", "robert@example.com", http.StatusBadRequest, "invalidArgument"},
		{"outside the organisation", "me", "bob@other.org", http.StatusBadRequest, "invalidArgument"},
		{"another mailbox than the token's", "admin@example.com", "bob@example.com", http.StatusForbidden, "forbidden"},
		{"primary", "me", "bob@example.com", http.StatusOK, ""},
		{"again", "jane@example.com", "bob@example.com", http.StatusConflict, "alreadyExists"},
	} {
		st, reason := code(create(tc.mailbox, tc.delegate))
		if tc.status == http.StatusOK {
			if st != 0 {
				t.Errorf("%s: %d %s", tc.name, st, reason)
			}
			continue
		}
		if st != tc.status || reason != tc.reason {
			t.Errorf("%s: %d %s, want %d %s", tc.name, st, reason, tc.status, tc.reason)
		}
	}
	if _, err := svc.Users.Settings.Delegates.Get("me", "bob@example.com").Do(); func() bool { st, r := code(err); return st != 403 || r != "insufficientPermissions" }() {
		t.Errorf("delegates.get with gmail.settings.sharing: err = %v, want 403 insufficientPermissions", err)
	}
	if err := svc.Users.Settings.Delegates.Delete("me", "bob@example.com").Do(); err != nil {
		t.Fatal(err)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Delegates) != 0 {
		t.Fatalf("delegates after delete = %v", u.Delegates)
	}
}

// pendingDelegate rewrites Gmail's answer to a delegate it has not
// accepted, as a mailbox whose delegation still waits for the delegate
// would show.
type pendingDelegate struct{}

func (pendingDelegate) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/gmail/") {
		return resp, err
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(`{"delegateEmail":"bob@example.com","verificationStatus":"pending"}`))
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

func TestGoogle_MailNotAcceptedIsNotVerified(t *testing.T) {
	_, fake := handover(t)
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL,
		Transport: pendingDelegate{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err, _ := runJob(t, google.NewGoogle(c, google.Settings{}), fake, mailJob, "google.mail", toBob)
	if err != nil || res.Verified || res.Evidence["verification_status"] != "pending" || !strings.Contains(res.Summary, "pending") {
		t.Fatalf("%+v %v", res, err)
	}
}
