package jamf_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/jamf"
	"github.com/offboard-dev/offboard/connectors/jamf/jamftest"
)

const janeEmail = "jane.doe@example.com"

func newClient(t *testing.T, s *jamftest.Server, secret string) *jamf.Client {
	t.Helper()
	c, err := jamf.New(jamf.Options{URL: s.URL, ClientID: jamftest.ClientID, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs one of the connector's actions as the runner would.
func run(t *testing.T, c *jamf.Client, action string, params map[string]string) (connectors.Result, error) {
	t.Helper()
	reg := connectors.NewRegistry()
	if err := jamf.NewJamf(c).Register(reg); err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Lookup(action)
	if !ok {
		t.Fatalf("%s not registered", action)
	}
	return a.Run(context.Background(), connectors.Request{JobID: "OFF-0001/" + action, CaseID: "OFF-0001", Action: action,
		Params: params, Target: offboard.Target{Email: janeEmail}, Attempt: 1})
}

func janesMac(s *jamftest.Server) jamftest.Computer {
	return s.AddComputer(jamftest.Computer{Name: "Jane's MacBook", Model: "MacBook Pro (14-inch, 2023)", Serial: "C02JANE1",
		Email: janeEmail, Username: "jane.doe", OSVersion: "14.5", LastContact: time.Now().Add(-3 * time.Hour),
		FileVault: "ENCRYPTED", PurchasePrice: "1,899.00 USD"})
}

func TestJamf_Devices(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	// A second Mac whose inventory has only the username.
	old := s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02OLD", Username: "jane.doe", FileVault: "UNENCRYPTED"})
	phone := s.AddMobileDevice(jamftest.MobileDevice{Name: "Jane's iPhone", Model: "iPhone 15", Serial: "F2JANE", Email: janeEmail, OSVersion: "17.5"})
	s.AddComputer(jamftest.Computer{Model: "Mac mini", Serial: "OTHER", Email: "bob@example.com", Username: "bob"})

	got, err := jamf.NewJamf(newClient(t, s, jamftest.ClientSecret)).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if err != nil {
		t.Fatal(err)
	}
	// The email finds the first Mac, so the username is not asked for
	// computers: the username-only Mac is not listed.
	if len(got) != 2 || got[0].ID != mac.ManagementID || got[1].ID != phone.ManagementID {
		t.Fatalf("devices %+v", got)
	}
	d := got[0]
	if d.Model != mac.Model || d.Serial != "C02JANE1" || d.OS != "macOS" || d.OSVersion != "14.5" || d.Encrypted == nil || !*d.Encrypted ||
		d.Value != "1,899.00 USD" || time.Since(d.LastCheckIn) < 2*time.Hour {
		t.Fatalf("mac %+v", d)
	}
	if got[1].OS != "iOS" || got[1].Serial != "F2JANE" || got[1].Encrypted != nil {
		t.Fatalf("phone %+v", got[1])
	}
	line := d.Line(time.Now())
	if !strings.Contains(line, "serial C02JANE1") || !strings.Contains(line, "encrypted") || strings.Contains(line, "1,899") {
		t.Errorf("line %q", line)
	}

	// No Mac by email: the username finds the old one, FileVault off.
	s2 := jamftest.New(t)
	old = s2.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02OLD", Username: "jane.doe", FileVault: "UNENCRYPTED"})
	got, err = jamf.NewJamf(newClient(t, s2, jamftest.ClientSecret)).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if err != nil || len(got) != 1 || got[0].ID != old.ManagementID || got[0].Encrypted == nil || *got[0].Encrypted {
		t.Fatalf("by username: %+v, %v", got, err)
	}
	var filters []string
	for _, r := range s2.Requests() {
		q, _ := url.ParseQuery(r.Query)
		filters = append(filters, q.Get("filter"))
	}
	want := []string{`userAndLocation.email=="jane.doe@example.com"`, `userAndLocation.username=="jane.doe"`}
	if len(filters) < 2 || filters[1] != want[0] || filters[2] != want[1] {
		t.Errorf("filters %q, want the email then the username", filters)
	}
}

func TestJamf_Status(t *testing.T) {
	s := jamftest.New(t)
	janesMac(s)
	res, err := run(t, newClient(t, s, jamftest.ClientSecret), "jamf.status", nil)
	if err != nil || !res.Verified {
		t.Fatalf("status = %+v, %v", res, err)
	}
	snap, err := offboard.ParseDeviceSnapshot(res.Evidence[offboard.EvidenceDevices])
	if err != nil || snap.System != "jamf" || snap.Label != "Jamf Pro" || len(snap.Devices) != 1 || snap.Devices[0].ManagedBy != "jamf" {
		t.Fatalf("snapshot %+v, %v", snap, err)
	}
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// The lock sends DEVICE_LOCK with a fresh 6-digit PIN per Mac, returned
// only as a secret; the task is unverified until the Mac checks in, a
// re-run sends no second lock, and after the check-in it is done.
func TestJamf_Lock(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	phone := s.AddMobileDevice(jamftest.MobileDevice{Name: "Jane's iPhone", Model: "iPhone 15", Serial: "F2JANE", Email: janeEmail})
	c := newClient(t, s, jamftest.ClientSecret)

	res, err := run(t, c, "jamf.lock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || !strings.Contains(res.Summary, "2 of 2 devices have not acknowledged") {
		t.Fatalf("lock before check-in: %+v", res)
	}
	pin := res.Secrets["device_pin:"+mac.ManagementID]
	if !sixDigits.MatchString(pin) || len(res.Secrets) != 1 {
		t.Fatalf("secrets %v: want one 6-digit PIN for the Mac only", res.Secrets)
	}
	cmds := s.Commands(mac.ManagementID)
	if len(cmds) != 1 || cmds[0].Type != "DEVICE_LOCK" || cmds[0].PIN != pin || cmds[0].State != "PENDING" {
		t.Fatalf("mac commands %+v", cmds)
	}
	if pc := s.Commands(phone.ManagementID); len(pc) != 1 || pc[0].PIN != "" {
		t.Fatalf("phone commands %+v", pc)
	}
	if res.Evidence["pin."+mac.ManagementID] != "set" {
		t.Errorf("evidence %v does not say a PIN was set", res.Evidence)
	}
	for k, v := range res.Evidence {
		if strings.Contains(v, pin) || strings.Contains(k, pin) {
			t.Fatalf("the PIN is in the evidence %s=%s", k, v)
		}
	}
	if strings.Contains(res.Summary, pin) {
		t.Fatal("the PIN is in the summary")
	}

	// Run again while pending: nothing sent, no new PIN.
	res, err = run(t, c, "jamf.lock", nil)
	if err != nil || res.Verified || len(res.Secrets) != 0 || len(s.Commands(mac.ManagementID)) != 1 {
		t.Fatalf("re-run while pending: %+v, %v, commands %+v", res, err, s.Commands(mac.ManagementID))
	}
	if !strings.Contains(res.Evidence["note."+mac.ManagementID], "not sent again") {
		t.Errorf("evidence %v", res.Evidence)
	}

	s.CheckIn("C02JANE1")
	s.CheckIn("F2JANE")
	res, err = run(t, c, "jamf.lock", nil)
	if err != nil || !res.Verified || len(s.Commands(mac.ManagementID)) != 1 {
		t.Fatalf("after check-in: %+v, %v", res, err)
	}
	if !strings.Contains(res.Evidence["device."+mac.ManagementID], "lock done at") {
		t.Errorf("evidence %v", res.Evidence)
	}
}

// Two runs of a lock on two Macs never share a PIN source: each run's
// PIN is drawn afresh (a fixed or sequential PIN would show here).
func TestJamf_LockPINsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 5 {
		s := jamftest.New(t)
		mac := janesMac(s)
		res, err := run(t, newClient(t, s, jamftest.ClientSecret), "jamf.lock", nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[res.Secrets["device_pin:"+mac.ManagementID]] = true
	}
	if len(seen) < 4 {
		t.Fatalf("5 locks drew only %d distinct PINs", len(seen))
	}
}

// A device that refuses the lock at once fails the task with Jamf's
// state; one that reports ERROR at its check-in gets the lock again on
// the retry (with a new PIN), and the evidence keeps the failure.
func TestJamf_LockFailed(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	c := newClient(t, s, jamftest.ClientSecret)
	s.FailOnSend(mac.ManagementID, "DEVICE_LOCK")
	_, err := run(t, c, "jamf.lock", nil)
	if !errors.Is(err, connectors.ErrDeviceFailed) || !strings.Contains(err.Error(), "DEVICE_LOCK command as ERROR") || !connectors.Retryable(err) {
		t.Fatalf("err = %v", err)
	}
	res, err := run(t, c, "jamf.lock", nil)
	if err != nil || res.Verified || !strings.Contains(res.Evidence["note."+mac.ManagementID], "previous DEVICE_LOCK failed") {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	first := res.Secrets["device_pin:"+mac.ManagementID]
	s.FailAtCheckIn("C02JANE1", "DEVICE_LOCK")
	s.CheckIn("C02JANE1")
	res, err = run(t, c, "jamf.lock", nil)
	cmds := s.Commands(mac.ManagementID)
	if err != nil || len(cmds) != 3 || cmds[1].State != "ERROR" || cmds[2].State != "PENDING" || res.Secrets["device_pin:"+mac.ManagementID] == "" ||
		res.Secrets["device_pin:"+mac.ManagementID] != cmds[2].PIN || cmds[1].PIN != first {
		t.Fatalf("after a failed check-in: %+v, %v, commands %+v", res, err, cmds)
	}
}

// The wipe erases only the approved device, and only one of the person's.
func TestJamf_Wipe(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	bobs := s.AddComputer(jamftest.Computer{Model: "Mac mini", Serial: "BOB1", Email: "bob@example.com"})
	c := newClient(t, s, jamftest.ClientSecret)

	for _, id := range []string{"", bobs.ManagementID} {
		_, err := run(t, c, "jamf.wipe", map[string]string{"device_id": id})
		if offboard.ErrorCode(err) != offboard.EINVALID {
			t.Fatalf("wipe %q: %v", id, err)
		}
	}
	if len(s.Commands(bobs.ManagementID)) != 0 {
		t.Fatal("someone else's Mac was wiped")
	}
	res, err := run(t, c, "jamf.wipe", map[string]string{"device_id": mac.ManagementID})
	if err != nil || res.Verified {
		t.Fatalf("wipe: %+v, %v", res, err)
	}
	cmds := s.Commands(mac.ManagementID)
	if len(cmds) != 1 || cmds[0].Type != "ERASE_DEVICE" || !sixDigits.MatchString(cmds[0].PIN) || res.Secrets["device_pin:"+mac.ManagementID] != cmds[0].PIN {
		t.Fatalf("commands %+v, secrets %v", cmds, res.Secrets)
	}
	s.CheckIn("C02JANE1")
	// Named by the serial the card shows (lower case, as typed): the same
	// Mac, its erase found acknowledged, nothing sent again.
	res, err = run(t, c, "jamf.wipe", map[string]string{"device_id": "c02jane1"})
	if err != nil || !res.Verified || len(s.Commands(mac.ManagementID)) != 1 || res.Evidence["device."+mac.ManagementID] == "" {
		t.Fatalf("after check-in: %+v, %v", res, err)
	}
	// A serial two of her devices share is refused rather than guessed.
	s.AddComputer(jamftest.Computer{Model: "MacBook Pro", Serial: "C02JANE1", Email: janeEmail})
	if _, err := run(t, c, "jamf.wipe", map[string]string{"device_id": "C02JANE1"}); offboard.ErrorCode(err) != offboard.EINVALID ||
		!strings.Contains(err.Error(), "management id") {
		t.Fatalf("shared serial: %v", err)
	}
}

// A 401 on an API call fetches a new token and retries once; a token
// Jamf refuses again is EFORBIDDEN naming the API client.
func TestClient_TokenRefresh(t *testing.T) {
	s := jamftest.New(t)
	janesMac(s)
	c := newClient(t, s, jamftest.ClientSecret)
	j := jamf.NewJamf(c)
	if _, err := j.Devices(context.Background(), offboard.Target{Email: janeEmail}); err != nil {
		t.Fatal(err)
	}
	s.ExpireTokens()
	if _, err := j.Devices(context.Background(), offboard.Target{Email: janeEmail}); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := s.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens issued, want 2 (one refresh)", n)
	}
	// Tokens that are dead on arrival: one retry, then a clear refusal.
	s.SetTokenTTL(-time.Minute)
	s.ExpireTokens()
	before := len(s.Requests())
	_, err := j.Devices(context.Background(), offboard.Target{Email: janeEmail})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), jamftest.ClientID) {
		t.Fatalf("err = %v", err)
	}
	api := 0
	for _, r := range s.Requests()[before:] {
		if !strings.HasSuffix(r.Path, "/oauth/token") {
			api++
		}
	}
	if api != 2 {
		t.Fatalf("%d API requests, want the call and one retry", api)
	}
}

func TestClient_WrongSecret(t *testing.T) {
	s := jamftest.New(t)
	_, err := jamf.NewJamf(newClient(t, s, "wrong-secret-value")).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || strings.Contains(err.Error(), "wrong-secret-value") || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("err = %v", err)
	}
}

func TestClient_Forbidden(t *testing.T) {
	s := jamftest.New(t)
	janesMac(s)
	s.SetPrivileges(jamf.PrivReadComputers, jamf.PrivReadMobileDevices, jamf.PrivReadCommands)
	_, err := run(t, newClient(t, s, jamftest.ClientSecret), "jamf.lock", nil)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), `"Send Computer Remote Lock Command"`) {
		t.Fatalf("err = %v", err)
	}
	if !offboard.Permanent(err) {
		t.Error("a missing privilege is retried")
	}
}

// 429 and 503 pause the client until Retry-After without another request.
func TestClient_RateLimit(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		s := jamftest.New(t)
		janesMac(s)
		c := newClient(t, s, jamftest.ClientSecret)
		j := jamf.NewJamf(c)
		s.Inject(status, 1, "7")
		_, err := j.Devices(context.Background(), offboard.Target{Email: janeEmail})
		rl, ok := errors.AsType[*offboard.RateLimitError](err)
		if !ok || rl.API != "jamf" || time.Until(rl.Reset) < 5*time.Second || time.Until(rl.Reset) > 8*time.Second {
			t.Fatalf("%d: err = %v", status, err)
		}
		n := len(s.Requests())
		if _, err := j.Devices(context.Background(), offboard.Target{Email: janeEmail}); err == nil || len(s.Requests()) != n {
			t.Fatalf("%d: paused client sent a request (%v)", status, err)
		}
		if !connectors.Retryable(err) {
			t.Errorf("%d: not retryable", status)
		}
	}
}

// A quote in an email is escaped, so the filter stays one clause.
func TestClient_QuotedEmail(t *testing.T) {
	s := jamftest.New(t)
	_, err := jamf.NewJamf(newClient(t, s, jamftest.ClientSecret)).Devices(context.Background(), offboard.Target{Email: `a"b@example.com`})
	if err != nil {
		t.Fatalf("quoted email: %v", err)
	}
	q, _ := url.ParseQuery(s.Requests()[1].Query)
	if q.Get("filter") != `userAndLocation.email=="a\"b@example.com"` {
		t.Fatalf("filter %q", q.Get("filter"))
	}
}

// The fake refuses what Jamf cannot apply with Jamf's error body, and
// the client maps it to EINVALID with Jamf's words.
func TestServer_RSQL(t *testing.T) {
	s := jamftest.New(t)
	resp, err := http.PostForm(s.URL+"/api/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {jamftest.ClientID}, "client_secret": {jamftest.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	for filter, want := range map[string]int{
		`userAndLocation.email=="a@b"`:                           200,
		`userAndLocation.email!="a@b"`:                           400,
		`userAndLocation.email=="a@b",general.name=="x"`:         400,
		`general.serialNumber=="x"`:                              400,
		`userAndLocation.email=="a@b";hardware.serialNumber==C1`: 200,
	} {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/computers-inventory?filter="+url.QueryEscape(filter), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			HTTPStatus int `json:"httpStatus"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 400 && body.HTTPStatus != 400) {
			t.Errorf("%s: %d (%+v), want %d", filter, resp.StatusCode, body, want)
		}
	}
}

// A redirect is not followed: the token would go with it.
func TestClient_NoRedirect(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed: %s", r.URL)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":600}`))
			return
		}
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer srv.Close()
	c, err := jamf.New(jamf.Options{URL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = jamf.NewJamf(c).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("err = %v", err)
	}
}

// Jamf's error words reach the error, cut to size.
func TestClient_InvalidWords(t *testing.T) {
	long := strings.Repeat("x", 2000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer","expires_in":600}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"httpStatus":400,"errors":[{"code":"INVALID_FIELD","field":"filter","description":"bad ` + long + `"}]}`))
	}))
	defer srv.Close()
	c, _ := jamf.New(jamf.Options{URL: srv.URL, ClientID: "id", ClientSecret: "secret"})
	_, err := jamf.NewJamf(c).Devices(context.Background(), offboard.Target{Email: janeEmail})
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "INVALID_FIELD: bad x") || len(err.Error()) > 800 {
		t.Fatalf("err (%d bytes) = %.200v", len(err.Error()), err)
	}
}

func TestNew_Refuses(t *testing.T) {
	for _, o := range []jamf.Options{
		{URL: "", ClientID: "a", ClientSecret: "b"},
		{URL: "ftp://x", ClientID: "a", ClientSecret: "b"},
		{URL: "https://x.jamfcloud.com", ClientSecret: "b"},
		{URL: "https://x.jamfcloud.com", ClientID: "a"},
	} {
		if _, err := jamf.New(o); offboard.ErrorCode(err) != offboard.EINVALID {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// When one Mac refuses the lock and another took its PIN, the run keeps
// the PIN (an error could not carry it, and the pending lock is not sent
// again): the task is unverified, naming the failed Mac.
func TestJamf_LockKeepsPINsWhenOneFails(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	second := s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02JANE2", Email: janeEmail})
	s.FailOnSend(second.ManagementID, "DEVICE_LOCK")
	res, err := run(t, newClient(t, s, jamftest.ClientSecret), "jamf.lock", nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if res.Verified || !strings.Contains(res.Summary, "failed: "+second.ManagementID) {
		t.Fatalf("result %+v", res)
	}
	if pin := res.Secrets["device_pin:"+mac.ManagementID]; pin == "" || pin != s.Commands(mac.ManagementID)[0].PIN || len(res.Secrets) != 1 {
		t.Fatalf("secrets %v", res.Secrets)
	}
	if res.Evidence["pin."+second.ManagementID] != "" || !strings.Contains(res.Evidence["device."+second.ManagementID], "lock failed") {
		t.Fatalf("evidence %v", res.Evidence)
	}
}

// Jamf throttling the lock of a second Mac after the first took its PIN:
// the run keeps the first PIN and says the second was not locked; the
// retry locks the second without sending the first a second lock.
func TestJamf_LockThrottledMidway(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	second := s.AddComputer(jamftest.Computer{Model: "MacBook Air", Serial: "C02JANE2", Email: janeEmail})
	// Three inventory reads, then the first Mac's lookup, lock and
	// read-back; the second Mac's lookup is throttled.
	s.InjectAfter(6, http.StatusServiceUnavailable, 1, "0")
	c := newClient(t, s, jamftest.ClientSecret)
	res, err := run(t, c, "jamf.lock", nil)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	pin := res.Secrets["device_pin:"+mac.ManagementID]
	if res.Verified || pin == "" || len(s.Commands(second.ManagementID)) != 0 || !strings.Contains(res.Summary, second.ManagementID) {
		t.Fatalf("result %+v", res)
	}
	res, err = run(t, c, "jamf.lock", nil)
	if err != nil || len(s.Commands(mac.ManagementID)) != 1 || len(s.Commands(second.ManagementID)) != 1 ||
		res.Secrets["device_pin:"+second.ManagementID] == "" || res.Secrets["device_pin:"+mac.ManagementID] != "" {
		t.Fatalf("retry: %+v, %v", res, err)
	}
}

// TestJamf_LockSkipsAnUnenrolledMac: an old Mac Jamf knows only from
// inventory (no management id) does not stop the enrolled one being
// locked: it is shown, reported as beyond reach, and a wipe of it is
// refused with what to do.
func TestJamf_LockSkipsAnUnenrolledMac(t *testing.T) {
	s := jamftest.New(t)
	mac := janesMac(s)
	old := s.AddComputer(jamftest.Computer{Name: "Jane's old iMac", Model: "iMac", Serial: "C02OLD", Email: janeEmail, Unenrolled: true})
	c := newClient(t, s, jamftest.ClientSecret)

	res, err := run(t, c, "jamf.lock", nil)
	if err != nil {
		t.Fatalf("one unenrolled Mac failed the whole lock: %v", err)
	}
	if res.Verified || !strings.Contains(res.Summary, "not enrolled") || !sixDigits.MatchString(res.Secrets["device_pin:"+mac.ManagementID]) {
		t.Fatalf("lock = %+v, want unverified naming the unenrolled Mac, with the enrolled Mac's PIN kept", res)
	}
	if cmds := s.Commands(mac.ManagementID); len(cmds) != 1 || cmds[0].Type != "DEVICE_LOCK" {
		t.Fatalf("the enrolled Mac's commands %+v", cmds)
	}
	if !strings.Contains(res.Evidence[offboard.EvidenceDevices], "inventory:"+old.ID) {
		t.Errorf("the unenrolled Mac is not on the card: %s", res.Evidence[offboard.EvidenceDevices])
	}
	_, err = run(t, c, "jamf.wipe", map[string]string{"device_id": "C02OLD"})
	if offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "not enrolled") {
		t.Fatalf("wipe of the unenrolled Mac: %v", err)
	}
}
