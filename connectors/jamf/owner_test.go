package jamf_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/jamf"
	"github.com/offboard-dev/offboard/connectors/jamf/jamftest"
)

// The username fallback finds the email's local part, which someone else
// may hold in another domain: alex@subsidiary.example's lock must not
// reach alex@example.com's Mac.
func TestJamf_LockSkipsSomeoneElsesUsername(t *testing.T) {
	s := jamftest.New(t)
	theirs := s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "ALEX1", Email: "alex@example.com", Username: "alex"})
	c := newClient(t, s, jamftest.ClientSecret)
	list, err := jamf.NewJamf(c).Devices(context.Background(), offboard.Target{Email: "alex@subsidiary.example"})
	if err != nil || len(list) != 0 {
		t.Fatalf("devices of alex@subsidiary.example: %+v, %v", list, err)
	}
	if cmds := s.Commands(theirs.ManagementID); len(cmds) != 0 {
		t.Fatalf("someone else's Mac got %+v", cmds)
	}
	// A Mac with the username and no email still counts as the person's.
	mine := s.AddComputer(jamftest.Computer{Model: "Mac mini", Serial: "ALEX2", Username: "alex"})
	list, err = jamf.NewJamf(c).Devices(context.Background(), offboard.Target{Email: "alex@subsidiary.example"})
	if err != nil || len(list) != 1 || list[0].ID != mine.ManagementID {
		t.Fatalf("devices: %+v, %v", list, err)
	}
}

// Jamf's RSQL == takes * as a wildcard: an email like *@example.com
// lists everyone's devices, and none of them is the person's.
func TestJamf_DevicesWildcardEmail(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/oauth/token"):
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":600}`))
		case strings.HasSuffix(r.URL.Path, "/computers-inventory"):
			// What a wildcard matches: every computer.
			_, _ = w.Write([]byte(`{"totalCount":2,"results":[
				{"id":"1","general":{"name":"Bob's Mac","managementId":"m-bob"},"hardware":{"serialNumber":"BOB1"},"userAndLocation":{"username":"bob","email":"bob@example.com"}},
				{"id":"2","general":{"name":"Eve's Mac","managementId":"m-eve"},"hardware":{"serialNumber":"EVE1"},"userAndLocation":{"username":"*","email":"eve@example.com"}}]}`))
		default:
			_, _ = w.Write([]byte(`{"totalCount":0,"results":[]}`))
		}
	}))
	defer srv.Close()
	c, err := jamf.New(jamf.Options{URL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := jamf.NewJamf(c).Devices(context.Background(), offboard.Target{Email: "*@example.com"})
	if err != nil || len(list) != 0 {
		t.Fatalf("devices of *@example.com: %+v, %v", list, err)
	}
}

// Jamf Pro 11.30 added COMMAND_FORMAT_ERROR: Jamf refused the command and
// the device never gets it, so the lock fails instead of waiting as
// pending, where every retry would send another lock with a new PIN.
func TestJamf_LockCommandFormatError(t *testing.T) {
	posted := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/oauth/token"):
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":600}`))
		case strings.HasSuffix(r.URL.Path, "/computers-inventory"):
			_, _ = w.Write([]byte(`{"totalCount":1,"results":[{"id":"1","general":{"name":"Jane's Mac","managementId":"m-jane"},
				"hardware":{"serialNumber":"C02JANE1"},"userAndLocation":{"username":"jane.doe","email":"jane.doe@example.com"}}]}`))
		case r.URL.Path == "/api/v2/mdm/commands" && r.Method == "POST":
			posted++
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`[{"id":"cmd-1","href":"/api/v2/mdm/commands/cmd-1"}]`))
		case r.URL.Path == "/api/v2/mdm/commands":
			if posted == 0 {
				_, _ = w.Write([]byte(`{"totalCount":0,"results":[]}`))
				return
			}
			_, _ = w.Write([]byte(`{"totalCount":1,"results":[{"uuid":"cmd-1","client":{"managementId":"m-jane","clientType":"COMPUTER"},
				"commandState":"COMMAND_FORMAT_ERROR","commandType":"DEVICE_LOCK","dateSent":"2026-12-06T10:00:00Z"}]}`))
		default:
			_, _ = w.Write([]byte(`{"totalCount":0,"results":[]}`))
		}
	}))
	defer srv.Close()
	c, err := jamf.New(jamf.Options{URL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(t, c, "jamf.lock", nil)
	if !errors.Is(err, connectors.ErrDeviceFailed) || !strings.Contains(err.Error(), "COMMAND_FORMAT_ERROR") {
		t.Fatalf("lock = %+v, %v; want the device failed with Jamf's state", res, err)
	}
}

// A Mac that acknowledged the lock and never checked in since is still
// locked with the PIN IT holds: a retry more than a week later (another
// device of the person still pending) sends it no second lock, and hands
// over no new PIN that would replace the one that unlocks it.
func TestJamf_LockRetryAfterAWeekKeepsAckedPIN(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	other := s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02JANE2", Email: janeEmail})
	res, err := run(t, newClient(t, s, jamftest.ClientSecret), "jamf.lock", nil)
	if err != nil || len(res.Secrets) != 2 {
		t.Fatalf("first lock: %+v, %v", res, err)
	}
	s.CheckIn("C02JANE1") // the first Mac takes the lock; the second stays off
	later, err := jamf.New(jamf.Options{URL: s.URL, ClientID: jamftest.ClientID, ClientSecret: jamftest.ClientSecret,
		Now: func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	res, err = run(t, later, "jamf.lock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Commands(mac.ManagementID)); n != 1 {
		t.Fatalf("%d locks to the locked Mac, want the one it acknowledged", n)
	}
	if _, ok := res.Secrets[offboard.SecretDevicePIN+mac.ManagementID]; ok {
		t.Fatal("a new PIN for the locked Mac would replace the one that unlocks it")
	}
	if n := len(s.Commands(other.ManagementID)); n != 1 {
		t.Fatalf("%d locks to the Mac still pending, want 1", n)
	}
}

// Jamf's FileVault state RESTART_NEEDED (encryption waits for a restart)
// is a disk not yet encrypted: the card says so rather than "unknown".
func TestJamf_FileVaultRestartNeeded(t *testing.T) {
	s := jamftest.New(t)
	s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02FV", Email: janeEmail, FileVault: "RESTART_NEEDED"})
	list, err := jamf.NewJamf(newClient(t, s, jamftest.ClientSecret)).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if err != nil || len(list) != 1 || list[0].Encrypted == nil || *list[0].Encrypted {
		t.Fatalf("devices %+v, %v: want encrypted=false", list, err)
	}
}
