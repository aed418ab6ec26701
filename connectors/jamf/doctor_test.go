package jamf_test

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/jamf"
	"github.com/offboard-dev/offboard/connectors/jamf/jamftest"
)

func TestJamf_Doctor(t *testing.T) {
	s := jamftest.New(t)
	got := jamf.NewJamf(newClient(t, s, jamftest.ClientSecret)).Doctor(context.Background())
	if len(got) != 4 || got[0].Status != offboard.CheckOK || got[1].Status != offboard.CheckOK || got[2].Status != offboard.CheckOK ||
		got[3].Status != offboard.CheckWarn {
		t.Fatalf("checks %+v", got)
	}
	for _, r := range s.Requests() {
		if r.Method != "GET" && !strings.HasSuffix(r.Path, "/oauth/token") {
			t.Fatalf("the doctor wrote: %s %s", r.Method, r.Path)
		}
	}
	s.SetPrivileges(jamf.PrivReadComputers)
	got = jamf.NewJamf(newClient(t, s, jamftest.ClientSecret)).Doctor(context.Background())
	if got[0].Status != offboard.CheckOK || got[1].Status != offboard.CheckFail || !strings.Contains(got[1].Detail, "Read Mobile Devices") ||
		got[2].Status != offboard.CheckFail {
		t.Fatalf("checks with Read Computers only %+v", got)
	}
	got = jamf.NewJamf(newClient(t, s, "wrong")).Doctor(context.Background())
	// One failure, the token's, with the credentials' fix: not three
	// reads blamed on missing privileges.
	if len(got) != 2 || got[0].Name != "Jamf Pro: API client token" || got[0].Status != offboard.CheckFail ||
		!strings.Contains(got[0].Detail, "client secret") || strings.Contains(got[0].Fix, "privileges") || got[1].Status != offboard.CheckWarn {
		t.Fatalf("checks with a wrong secret %+v", got)
	}
}
