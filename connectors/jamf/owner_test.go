package jamf_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
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
