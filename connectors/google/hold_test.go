package google_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/google/googlefake"
	"github.com/offboard-dev/offboard/connectors/google/googletest"
)

// runCase runs action for a case, as the runner does.
func runCase(t *testing.T, g *google.Google, action string, caseID offboard.CaseID, target offboard.Target) (connectors.Result, error) {
	t.Helper()
	return runRequest(t, g, connectors.Request{JobID: string(caseID) + "/x#1", CaseID: caseID, Action: action, Target: target, Attempt: 1})
}

// apiCalls are the API requests (method and path) served after the
// first skip of them.
func apiCalls(fake *googletest.Server, skip int) []string {
	var out []string
	for _, r := range fake.Requests() {
		if r.Path != "/token" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out[min(skip, len(out)):]
}

func TestGoogle_HoldPlacesAndRerunReuses(t *testing.T) {
	g, fake := newGoogle(t)
	jane, _ := fake.User("jane@example.com")
	res, err := runCase(t, g, "google.hold", "OFF-0007", offboard.Target{Email: "Jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.AlreadyDone || res.UserID != jane.ID {
		t.Fatalf("result %+v", res)
	}
	matters := fake.Matters()
	if len(matters) != 1 || matters[0].Name != "offboard OFF-0007 jane@example.com" || matters[0].State != "OPEN" || len(matters[0].Holds) != 2 {
		t.Fatalf("matters %+v", matters)
	}
	m := matters[0]
	for _, h := range m.Holds {
		if !slices.Equal(h.Accounts, []string{jane.ID}) {
			t.Fatalf("hold %+v does not hold exactly jane", h)
		}
	}
	if m.Holds[0].Corpus != "MAIL" || m.Holds[1].Corpus != "DRIVE" || !m.Holds[1].IncludeSharedDrives {
		t.Fatalf("holds %+v", m.Holds)
	}
	ev := res.Evidence
	if ev["matter_id"] != m.ID || ev["mail_hold_id"] != m.Holds[0].ID || ev["drive_hold_id"] != m.Holds[1].ID ||
		ev["corpus"] != "MAIL, DRIVE" || ev["read_back"] != "MAIL: held, DRIVE: held" {
		t.Fatalf("evidence %v", ev)
	}
	// Find the matter, create it, two holds, read each back.
	want := []string{"GET /v1/matters", "POST /v1/matters", "POST /v1/matters/" + m.ID + "/holds", "POST /v1/matters/" + m.ID + "/holds",
		"GET /v1/matters/" + m.ID + "/holds/" + m.Holds[0].ID + "/accounts", "GET /v1/matters/" + m.ID + "/holds/" + m.Holds[1].ID + "/accounts"}
	if got := apiCalls(fake, 0); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}

	// A rerun (a crash before the result was recorded) finds both.
	res, err = runCase(t, g, "google.hold", "OFF-0007", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": jane.ID}})
	if err != nil || !res.AlreadyDone || !res.Verified || res.Evidence["mail_hold_id"] != m.Holds[0].ID || res.Evidence["matter_created"] != "false" {
		t.Fatalf("rerun: %+v %v", res, err)
	}
	if got := apiCalls(fake, len(want)); !slices.Equal(got, []string{"GET /v1/matters", "GET /v1/matters/" + m.ID + "/holds"}) {
		t.Fatalf("rerun requests %q", got)
	}
	if n := len(fake.Matters()); n != 1 {
		t.Fatalf("%d matters after the rerun", n)
	}

	// Another case of the same person has its own matter; a stale id
	// (Vault refuses it) falls back to the email.
	res, err = runCase(t, g, "google.hold", "OFF-0008", offboard.Target{Email: "jane@example.com", UserIDs: map[string]string{"google": "999"}})
	if err != nil || !res.Verified || res.UserID != jane.ID {
		t.Fatalf("stale id: %+v %v", res, err)
	}
	if n := len(fake.Matters()); n != 2 {
		t.Fatalf("%d matters, want one per case", n)
	}
}

// A matter of the case already there (a crash after a hold was made, or
// Legal made one by hand) is found past the first page and completed.
func TestGoogle_HoldCompletesAnExistingMatter(t *testing.T) {
	g, fake := newGoogle(t)
	bob := fake.AddUser(googletest.User{PrimaryEmail: "bob@example.com"})
	jane, _ := fake.User("jane@example.com")
	for i := range 120 {
		fake.AddMatter(googlefake.VaultMatter{Name: fmt.Sprintf("other matter %d", i)}, googletest.Admin)
	}
	// Same name, but closed, or another admin's: not the case's matter.
	fake.AddMatter(googlefake.VaultMatter{Name: "offboard OFF-0001 jane@example.com", State: "CLOSED"}, googletest.Admin)
	id := fake.AddMatter(googlefake.VaultMatter{Name: "offboard OFF-0001 jane@example.com",
		Holds: []googlefake.VaultHold{{ID: "h-mail", Name: "by hand", Corpus: "MAIL", Accounts: []string{bob}}}}, googletest.Admin)

	res, err := runCase(t, g, "google.hold", "OFF-0001", offboard.Target{Email: "jane@example.com"})
	if err != nil || !res.Verified || res.AlreadyDone || res.Evidence["matter_id"] != id || res.Evidence["mail_hold_id"] != "h-mail" {
		t.Fatalf("%+v %v", res, err)
	}
	var m googlefake.VaultMatter
	for _, x := range fake.Matters() {
		if x.ID == id {
			m = x
		}
	}
	if len(m.Holds) != 2 || !slices.Equal(m.Holds[0].Accounts, []string{bob, jane.ID}) || m.Holds[1].Corpus != "DRIVE" {
		t.Fatalf("matter %+v", m)
	}
	if n := len(fake.Matters()); n != 122 {
		t.Fatalf("%d matters: a second one was made", n)
	}
}

func TestGoogle_HoldWithoutVaultSaysWhatIsMissing(t *testing.T) {
	g, fake := newGoogle(t)
	fake.UpdateUser(googletest.Admin, func(u *googlefake.User) { u.VaultDenied = true })
	_, err := runCase(t, g, "google.hold", "OFF-0001", offboard.Target{Email: "jane@example.com"})
	msg := offboard.ErrorMessage(err)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(msg, "Vault license") ||
		!strings.Contains(msg, "Manage Holds") || !strings.Contains(msg, googletest.Admin) {
		t.Fatalf("err = %v", err)
	}
	if len(fake.Matters()) != 0 {
		t.Fatal("a matter was made")
	}
}

func TestGoogle_HoldRefusals(t *testing.T) {
	g, fake := newGoogle(t)
	if _, err := runCase(t, g, "google.hold", "", offboard.Target{Email: "jane@example.com"}); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Fatalf("no case id: %v", err)
	}
	// Vault refuses an account it does not know; the matter stays for a
	// retry (found again by name).
	_, err := runCase(t, g, "google.hold", "OFF-0002", offboard.Target{Email: "ghost@example.com"})
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "ghost@example.com") {
		t.Fatalf("unknown account: %v", err)
	}
	// A fresh client: a token already issued outlives a delegation change.
	g, fake = newGoogle(t)
	fake.Delegate(googlefake.LeastPrivilege[:5]...) // ediscovery not granted
	_, err = runCase(t, g, "google.hold", "OFF-0003", offboard.Target{Email: "jane@example.com"})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "ediscovery scope") {
		t.Fatalf("missing scope: %v", err)
	}
}
