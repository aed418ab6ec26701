package google_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// The receiver named by an alias: Google's users.get answers the user,
// the transfer goes to its id and the delegate is its primary address
// (Gmail refuses an alias); the leaver's own alias is the leaver. An
// address of another organisation is Google's 403 forbidden, which is
// the manager's choice to change, not a scope to grant.
func TestGoogle_ReceiverByAliasAndOfAnotherOrganisation(t *testing.T) {
	g, fake := handover(t)
	fake.SetTransferPolls(0)
	fake.SetAliases("bob@example.com", "robert@example.com")
	fake.SetAliases("jane@example.com", "jd@example.com")
	bob, _ := fake.User("bob@example.com")

	res, err, _ := runJob(t, g, fake, "OFF-0001/google_files#1", "google.transfer_files", map[string]string{"to": "Robert@example.com"})
	if err != nil || res.Evidence["new_owner"] != "bob@example.com" {
		t.Fatalf("transfer to an alias: %+v %v", res, err)
	}
	if trs := fake.Transfers(); len(trs) != 1 || trs[0].NewOwnerID != bob.ID {
		t.Fatalf("transfers %+v, want one to bob's id", trs)
	}
	res, err, _ = runJob(t, g, fake, mailJob, "google.mail", map[string]string{"to": "robert@example.com"})
	if err != nil || !res.Verified {
		t.Fatalf("delegation to an alias: %+v %v", res, err)
	}
	if u, _ := fake.User("jane@example.com"); len(u.Delegates) != 1 || u.Delegates[0] != "bob@example.com" {
		t.Fatalf("delegates %v, want bob's primary address", u.Delegates)
	}

	for _, action := range []string{"google.transfer_files", "google.mail"} {
		_, err, _ = runJob(t, g, fake, "OFF-0001/x#2", action, map[string]string{"to": "jd@example.com"})
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "the leaver themself") {
			t.Errorf("%s to the leaver's alias: err = %v", action, err)
		}
		_, err, _ = runJob(t, g, fake, "OFF-0001/x#3", action, map[string]string{"to": "mona@other.org"})
		if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "not a user of this Google Workspace") ||
			strings.Contains(err.Error(), "scope") {
			t.Errorf("%s to another organisation: err = %v", action, err)
		}
	}
}
