package google_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	datatransfer "google.golang.org/api/admin/datatransfer/v1"
	"google.golang.org/api/googleapi"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// handover is a fake with jane@example.com (the leaver, with files and
// events) and bob@example.com (the receiver), and a connector on it.
func handover(t *testing.T) (*google.Google, *googletest.Server) {
	t.Helper()
	g, fake := newGoogle(t)
	fake.UpdateUser("jane@example.com", func(u *googlefake.User) { u.DriveFiles, u.CalendarEvents = 120, 7 })
	fake.AddUser(googletest.User{PrimaryEmail: "bob@example.com", GivenName: "Bob", FamilyName: "Smith", DriveFiles: 3})
	return g, fake
}

// connectorOn is another connector on the same fake: a restarted
// offboard, which remembers nothing of earlier runs.
func connectorOn(t *testing.T, fake *googletest.Server) *google.Google {
	t.Helper()
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	return google.NewGoogle(c, google.Settings{TransferCheckEvery: 2 * time.Minute})
}

// runJob runs action as job with params, and says how many API requests
// it made.
func runJob(t *testing.T, g *google.Google, fake *googletest.Server, job, action string, params map[string]string) (connectors.Result, error, int) {
	t.Helper()
	before := fake.APIRequests()
	res, err := runRequest(t, g, connectors.Request{JobID: job, Action: action, Params: params, Attempt: 1,
		Target: offboard.Target{Email: "jane@example.com"}})
	return res, err, fake.APIRequests() - before
}

var toBob = map[string]string{"to": "Bob@Example.com "}

func TestGoogle_TransferFilesFollowsTheTransferToCompletion(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(2)
	jane, _ := fake.User("jane@example.com")
	bob, _ := fake.User("bob@example.com")

	// Start: the receiver and the leaver read, the pair's transfers
	// listed, the applications looked up, the transfer inserted.
	res, err, n := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil {
		t.Fatal(err)
	}
	trs := fake.Transfers()
	if len(trs) != 1 {
		t.Fatalf("%d transfers, want 1", len(trs))
	}
	tr := trs[0]
	if !res.InProgress || res.Verified || res.CheckAfter != time.Minute || res.UserID != jane.ID ||
		!strings.Contains(res.Summary, "bob@example.com in progress") || !strings.Contains(res.Summary, tr.ID) {
		t.Fatalf("start: %+v", res)
	}
	if n != 5 {
		t.Errorf("start made %d API requests, want 5: %+v", n, fake.Requests())
	}
	// Data Transfer takes profile ids, and every file and room.
	if tr.OldOwnerID != jane.ID || tr.NewOwnerID != bob.ID || len(tr.Apps) != 2 ||
		!slices.Equal(tr.Apps[0].Params["PRIVACY_LEVEL"], []string{"PRIVATE", "SHARED"}) ||
		!slices.Equal(tr.Apps[1].Params["RELEASE_RESOURCES"], []string{"TRUE"}) {
		t.Fatalf("transfer = %+v", tr)
	}

	// Still running: one request, the transfer by its id.
	res, err, n = runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.InProgress || !strings.Contains(res.Summary, "inProgress") || n != 1 {
		t.Fatalf("second check: %+v %v, %d requests", res, err, n)
	}
	if u, _ := fake.User("bob@example.com"); u.DriveFiles != 3 {
		t.Fatalf("files moved before Google said completed: bob has %d", u.DriveFiles)
	}

	res, err, n = runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || res.InProgress || !res.Verified || res.AlreadyDone || n != 1 {
		t.Fatalf("done: %+v %v, %d requests", res, err, n)
	}
	ev := res.Evidence
	if ev["transfer_id"] != tr.ID || ev["status"] != "completed" || ev["drive_and_docs"] != "completed" || ev["calendar"] != "completed" ||
		ev["new_owner"] != "bob@example.com" || !strings.Contains(ev["counts"], "not reported") {
		t.Fatalf("evidence = %v", ev)
	}
	if got := len(fake.Transfers()); got != 1 {
		t.Fatalf("%d transfers after completion, want the one", got)
	}
	jane, _ = fake.User("jane@example.com")
	bob, _ = fake.User("bob@example.com")
	if jane.DriveFiles != 0 || bob.DriveFiles != 123 || bob.CalendarEvents != 7 {
		t.Fatalf("after: jane %d files, bob %d files %d events", jane.DriveFiles, bob.DriveFiles, bob.CalendarEvents)
	}
}

func TestGoogle_TransferFilesRerunFindsTheRunningTransfer(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(10)
	if res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob); err != nil || !res.InProgress {
		t.Fatalf("start: %+v %v", res, err)
	}
	id := fake.Transfers()[0].ID

	// A restarted offboard knows nothing: it finds the transfer by the
	// pair and follows it, with its own check interval.
	restarted := connectorOn(t, fake)
	res, err, n := runJob(t, restarted, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.InProgress || res.Evidence["transfer_id"] != id || res.CheckAfter != 2*time.Minute {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if n != 3 { // receiver, leaver, the pair's transfers
		t.Errorf("rerun made %d API requests, want 3", n)
	}
	// Another job for the same pair does not start a second one either.
	if res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#2", "google.transfer_files", toBob); err != nil || res.Evidence["transfer_id"] != id {
		t.Fatalf("other job: %+v %v", res, err)
	}
	if got := len(fake.Transfers()); got != 1 {
		t.Fatalf("%d transfers, want 1", got)
	}
	// Once done, a restarted offboard reruns to "already done".
	fake.SetTransferPolls(1)
	again := connectorOn(t, fake)
	res, err, _ = runJob(t, again, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.Verified || !res.AlreadyDone || res.Evidence["transfer_id"] != id {
		t.Fatalf("after done: %+v %v", res, err)
	}
	if got := len(fake.Transfers()); got != 1 {
		t.Fatalf("%d transfers after the rerun, want 1", got)
	}
}

func TestGoogle_TransferFilesFailedThenRetryStartsANewOne(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(1)
	fake.FailNextTransfer()
	if res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob); err != nil || !res.InProgress {
		t.Fatalf("start: %+v %v", res, err)
	}
	failed := fake.Transfers()[0].ID
	_, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if offboard.ErrorCode(err) != offboard.EINVALID || connectors.Retryable(err) ||
		!strings.Contains(err.Error(), failed) || !strings.Contains(err.Error(), "ended failed") || !strings.Contains(err.Error(), "Retry") {
		t.Fatalf("failed transfer: err = %v", err)
	}
	if u, _ := fake.User("jane@example.com"); u.DriveFiles != 120 {
		t.Fatalf("a failed transfer moved files: jane has %d", u.DriveFiles)
	}

	// Retry is a new job: a failed transfer is not in progress, so a new
	// one starts, and it completes.
	res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#2", "google.transfer_files", toBob)
	trs := fake.Transfers()
	if err != nil || !res.InProgress || len(trs) != 2 || res.Evidence["transfer_id"] != trs[1].ID || res.Evidence["previous_transfer"] != failed+" failed" {
		t.Fatalf("retry: %+v %v, transfers %+v", res, err, trs)
	}
	res, err, _ = runJob(t, g, fake, "OFF-0001/google_transfer_files#2", "google.transfer_files", toBob)
	if err != nil || !res.Verified {
		t.Fatalf("retry done: %+v %v", res, err)
	}
	if u, _ := fake.User("bob@example.com"); u.DriveFiles != 123 {
		t.Fatalf("bob has %d files", u.DriveFiles)
	}
}

func TestGoogle_TransferFilesRefusesAnUnusableReceiver(t *testing.T) {
	g, fake := handover(t)
	fake.UpdateUser("bob@example.com", func(u *googlefake.User) { u.Suspended = true })
	for _, tc := range []struct {
		params map[string]string
		want   string
		calls  int
	}{
		{nil, "the manager must choose", 0},
		{map[string]string{"to": "  "}, "the manager must choose", 0},
		{toBob, "suspended", 1},
		{map[string]string{"to": "ext@other.org"}, "not a user of this Google Workspace", 1},
		{map[string]string{"to": "jane@example.com"}, "the leaver themself", 2},
	} {
		_, err, n := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", tc.params)
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), tc.want) || n != tc.calls {
			t.Errorf("to=%q: err = %v after %d requests, want EINVALID with %q after %d", tc.params["to"], err, n, tc.want, tc.calls)
		}
	}
	if trs := fake.Transfers(); len(trs) != 0 {
		t.Fatalf("transfers started: %+v", trs)
	}
}

// Google itself refuses a suspended receiver, whoever asks.
func TestServer_TransferToASuspendedUserIsRefused(t *testing.T) {
	_, fake := handover(t)
	fake.UpdateUser("bob@example.com", func(u *googlefake.User) { u.Suspended = true })
	jane, _ := fake.User("jane@example.com")
	bob, _ := fake.User("bob@example.com")
	c, err := google.New(google.Options{ServiceAccountKey: fake.ServiceAccountKey(), AdminEmail: googletest.Admin, APIURL: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := c.DataTransfer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	drive := []*datatransfer.ApplicationDataTransfer{{ApplicationId: googlefake.AppDriveID}}
	for _, tc := range []struct {
		name     string
		old, new string
	}{{"suspended receiver", jane.ID, bob.ID}, {"an email, not an id", jane.ID, "bob@example.com"}, {"the same user", jane.ID, jane.ID}} {
		_, err = svc.Transfers.Insert(&datatransfer.DataTransfer{OldOwnerUserId: tc.old, NewOwnerUserId: tc.new, ApplicationDataTransfers: drive}).Do()
		if gerr, ok := errors.AsType[*googleapi.Error](err); !ok || gerr.Code != http.StatusBadRequest {
			t.Errorf("%s: err = %v, want 400", tc.name, err)
		}
	}
	if len(fake.Transfers()) != 0 {
		t.Fatal("a refused transfer was kept")
	}
}

func TestGoogle_TransferFilesNamesAMissingScope(t *testing.T) {
	g, fake := handover(t)
	var without []string
	for _, sc := range googlefake.LeastPrivilege {
		if sc != google.ScopeDataTransfer {
			without = append(without, sc)
		}
	}
	fake.Delegate(without...)
	_, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "admin.datatransfer scope") {
		t.Fatalf("err = %v", err)
	}
}

func TestGoogle_TransferFilesReadsEveryPageOfThePairsTransfers(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(10)
	jane, _ := fake.User("jane@example.com")
	bob, _ := fake.User("bob@example.com")
	old := time.Now().Add(-40 * 24 * time.Hour)
	// 150 old transfers (two pages of Google's 100), then a running one.
	for i := range 150 {
		fake.AddTransfer(googlefake.Transfer{OldOwnerID: jane.ID, NewOwnerID: bob.ID, Status: googlefake.TransferCompleted,
			RequestTime: old.Add(time.Duration(i) * time.Minute)})
	}
	running := fake.AddTransfer(googlefake.Transfer{OldOwnerID: jane.ID, NewOwnerID: bob.ID, Status: googlefake.TransferInProgress,
		Apps: []googlefake.TransferApp{{ID: googlefake.AppDriveID, Status: googlefake.TransferInProgress}}})
	res, err, n := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.InProgress || res.Evidence["transfer_id"] != running || res.Evidence["drive_and_docs"] != "inProgress" {
		t.Fatalf("%+v %v", res, err)
	}
	if n != 4 { // receiver, leaver, two pages
		t.Errorf("%d API requests, want 4", n)
	}
	if got := len(fake.Transfers()); got != 151 {
		t.Fatalf("%d transfers, want no new one", got)
	}
}

// A completed transfer between the same two people from long ago is not
// this task's: a new one moves what the leaver owns since.
func TestGoogle_TransferFilesStartsAnewAfterAnOldCompletedOne(t *testing.T) {
	g, fake := handover(t)
	jane, _ := fake.User("jane@example.com")
	bob, _ := fake.User("bob@example.com")
	old := fake.AddTransfer(googlefake.Transfer{OldOwnerID: jane.ID, NewOwnerID: bob.ID, Status: googlefake.TransferCompleted,
		RequestTime: time.Now().Add(-30 * 24 * time.Hour)})
	res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.InProgress || res.Evidence["transfer_id"] == old || len(fake.Transfers()) != 2 {
		t.Fatalf("%+v %v, %d transfers", res, err, len(fake.Transfers()))
	}
}

// Google throttling a check pauses the API; the job still follows its
// transfer afterwards.
func TestGoogle_TransferFilesThrottledCheck(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(1)
	if _, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob); err != nil {
		t.Fatal(err)
	}
	fake.Throttle(1, http.StatusForbidden, "userRateLimitExceeded", 0)
	_, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); !ok || rl.API != "google" {
		t.Fatalf("err = %v, want a rate-limit pause", err)
	}
	res, err, n := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || !res.Verified || n != 1 || len(fake.Transfers()) != 1 {
		t.Fatalf("after the pause: %+v %v, %d requests", res, err, n)
	}
}

// Completed overall but not for every application is not verified: the
// task goes to a person rather than claiming the calendars moved.
func TestGoogle_TransferFilesCompletedButNotForEveryApplication(t *testing.T) {
	g, fake := handover(t)
	jane, _ := fake.User("jane@example.com")
	bob, _ := fake.User("bob@example.com")
	fake.AddTransfer(googlefake.Transfer{OldOwnerID: jane.ID, NewOwnerID: bob.ID, Status: googlefake.TransferCompleted,
		Apps: []googlefake.TransferApp{{ID: googlefake.AppDriveID, Status: googlefake.TransferCompleted}, {ID: googlefake.AppCalendarID, Status: googlefake.TransferFailed}}})
	res, err, _ := runJob(t, g, fake, "OFF-0001/google_transfer_files#1", "google.transfer_files", toBob)
	if err != nil || res.Verified || res.AlreadyDone || res.InProgress || res.Evidence["calendar"] != "failed" || !strings.Contains(res.Summary, "calendar failed") {
		t.Fatalf("%+v %v", res, err)
	}
}
