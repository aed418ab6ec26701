package oktafake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/connectors/okta/oktafake"
)

// newFake starts a fake closed when t's test ends (oktatest.New, which
// imports this package, cannot be used from here).
func newFake(t *testing.T) *oktafake.Server {
	t.Helper()
	s, err := oktafake.NewServer()
	if err != nil {
		t.Fatalf("oktafake: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, s *oktafake.Server, method, path string) resp {
	t.Helper()
	return doAuth(t, s, method, path, "SSWS "+oktafake.Token)
}

func doAuth(t *testing.T, s *oktafake.Server, method, path, auth string) resp {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{r.StatusCode, r.Header, b}
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

type oktaErr struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorLink    string `json:"errorLink"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []any  `json:"errorCauses"`
}

func wantErr(t *testing.T, r resp, status int, code string) oktaErr {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	var e oktaErr
	r.decode(t, &e)
	if e.ErrorCode != code || e.ErrorSummary == "" || e.ErrorLink == "" || e.ErrorID == "" || e.ErrorCauses == nil {
		t.Fatalf("error body = %s, want code %s with all fields", r.body, code)
	}
	return e
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
}

func newUser(s *oktafake.Server) *oktafake.User {
	return s.AddUser(oktafake.User{
		Login: "jane@example.com", FirstName: "Jane", LastName: "Doe",
		Factors:  []oktafake.Factor{{FactorType: "push"}, {ID: "ufsSMS", FactorType: "sms"}},
		Grants:   []string{"okta.users.read"},
		Sessions: 2, OAuthTokens: 3,
		Groups: []string{"00gEng", "00gApp", "00gEveryone"},
		Apps:   []oktafake.App{{ID: "0oaSlack", Label: "Slack", AppName: "slack"}},
	})
}

func TestAddUserDefaultsAndGet(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	if len(u.ID) != 20 || !strings.HasPrefix(u.ID, "00u") || u.Status != "ACTIVE" || u.Email != "jane@example.com" {
		t.Fatalf("defaults: %+v", u)
	}
	if u.Factors[0].ID == "" {
		t.Fatal("factor id not filled")
	}
	for _, key := range []string{u.ID, "jane@example.com", "JANE@example.com", url.PathEscape("jane@example.com")} {
		r := do(t, s, "GET", "/api/v1/users/"+key)
		wantStatus(t, r, 200)
		var got struct {
			ID, Status, Created, LastUpdated string
			Type                             struct{ ID string }
			Profile                          map[string]string
		}
		r.decode(t, &got)
		if got.ID != u.ID || got.Status != "ACTIVE" || got.Profile["login"] != "jane@example.com" || got.Profile["firstName"] != "Jane" || got.Type.ID != "oty1" {
			t.Fatalf("GET %s = %s", key, r.body)
		}
		if _, err := time.Parse(time.RFC3339, got.Created); err != nil {
			t.Fatalf("created %q: %v", got.Created, err)
		}
	}
	// Snapshot is a copy.
	snap, ok := s.User(u.ID)
	if !ok {
		t.Fatal("User not found")
	}
	snap.Factors[0].FactorType = "changed"
	again, _ := s.User("jane@example.com")
	if again.Factors[0].FactorType != "push" {
		t.Fatal("User returned shared state")
	}
}

func TestNotFoundBody(t *testing.T) {
	s := newFake(t)
	r := do(t, s, "GET", "/api/v1/users/nobody@example.com")
	e := wantErr(t, r, 404, "E0000007")
	if e.ErrorSummary != "Not found: Resource not found: nobody@example.com (User)" {
		t.Fatalf("summary %q", e.ErrorSummary)
	}
	if r.header.Get("X-Okta-Request-Id") == "" {
		t.Fatal("no request id")
	}
}

func TestAuthRequired(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	for _, auth := range []string{"", "SSWS wrong", "Bearer nope"} {
		wantErr(t, doAuth(t, s, "GET", "/api/v1/users/"+u.ID, auth), 401, "E0000011")
	}
	wantStatus(t, doAuth(t, s, "GET", "/api/v1/users/"+u.ID, "Bearer "+oktafake.Token), 200)
	// An unauthorized lifecycle call changes nothing.
	doAuth(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend", "")
	if got, _ := s.User(u.ID); got.Status != "ACTIVE" {
		t.Fatalf("status %s", got.Status)
	}
}

func TestHeadersOnEveryResponse(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	seen := map[string]bool{}
	for _, r := range []resp{
		do(t, s, "GET", "/api/v1/users/"+u.ID),
		do(t, s, "GET", "/api/v1/users/missing"),
		do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/sessions"),
		doAuth(t, s, "GET", "/api/v1/users/"+u.ID, ""),
	} {
		for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "Date", "X-Okta-Request-Id"} {
			if r.header.Get(h) == "" {
				t.Fatalf("missing %s on %d", h, r.status)
			}
		}
		if _, err := http.ParseTime(r.header.Get("Date")); err != nil {
			t.Fatal(err)
		}
		if _, err := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64); err != nil {
			t.Fatal(err)
		}
		id := r.header.Get("X-Okta-Request-Id")
		if seen[id] {
			t.Fatalf("duplicate request id %s", id)
		}
		seen[id] = true
	}
}

func TestLifecycle(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	base := "/api/v1/users/" + u.ID + "/lifecycle/"
	status := func() string { got, _ := s.User(u.ID); return got.Status }

	wantErr(t, do(t, s, "POST", base+"unsuspend"), 400, "E0000001")
	r := do(t, s, "POST", base+"suspend")
	wantStatus(t, r, 200)
	if len(r.body) != 0 {
		t.Fatalf("lifecycle body must be empty for the SDK, got %s", r.body)
	}
	if status() != "SUSPENDED" {
		t.Fatal(status())
	}
	e := wantErr(t, do(t, s, "POST", base+"suspend"), 400, "E0000001")
	if !strings.Contains(e.ErrorSummary, "Cannot suspend a user that is not active") {
		t.Fatal(e.ErrorSummary)
	}
	wantStatus(t, do(t, s, "POST", base+"unsuspend"), 200)
	if status() != "ACTIVE" {
		t.Fatal(status())
	}
	wantStatus(t, do(t, s, "POST", base+"suspend"), 200)

	// Deactivate from SUSPENDED; apps cleared, groups kept.
	wantStatus(t, do(t, s, "POST", base+"deactivate?sendEmail=false"), 200)
	got, _ := s.User(u.ID)
	if got.Status != "DEPROVISIONED" || len(got.Apps) != 0 || len(got.Groups) != 3 {
		t.Fatalf("after deactivate %+v", got)
	}
	if len(s.SentEmails()) != 0 {
		t.Fatal("email sent despite sendEmail=false")
	}
	wantErr(t, do(t, s, "POST", base+"deactivate"), 400, "E0000001")
	wantErr(t, do(t, s, "POST", base+"suspend"), 400, "E0000001")
	wantErr(t, do(t, s, "POST", base+"nonsense"), 404, "E0000007")
	wantErr(t, do(t, s, "POST", "/api/v1/users/missing/lifecycle/suspend"), 404, "E0000007")

	v := s.AddUser(oktafake.User{Login: "v@example.com"})
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+v.ID+"/lifecycle/deactivate?sendEmail=true"), 200)
	if em := s.SentEmails(); len(em) != 1 || em[0] != v.ID {
		t.Fatalf("emails %v", em)
	}
}

func TestSessions(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/sessions"), 204)
	got, _ := s.User(u.ID)
	if got.Sessions != 0 || got.OAuthTokens != 3 {
		t.Fatalf("%+v", got)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/sessions?oauthTokens=true"), 204)
	got, _ = s.User(u.ID)
	if got.OAuthTokens != 0 {
		t.Fatalf("%+v", got)
	}
	// Convergent: repeat is fine.
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/sessions?oauthTokens=true"), 204)
}

func TestFactors(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	var fs []struct{ ID, FactorType, Provider, Status string }
	do(t, s, "GET", "/api/v1/users/"+u.ID+"/factors").decode(t, &fs)
	if len(fs) != 2 || fs[1].ID != "ufsSMS" || fs[1].FactorType != "sms" || fs[0].Provider != "OKTA" || fs[0].Status != "ACTIVE" {
		t.Fatalf("%+v", fs)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/factors/ufsSMS"), 204)
	wantErr(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/factors/ufsSMS"), 404, "E0000007")
	if got, _ := s.User(u.ID); len(got.Factors) != 1 {
		t.Fatalf("%+v", got.Factors)
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/reset_factors"), 200)
	got, _ := s.User(u.ID)
	if len(got.Factors) != 0 || got.Status != "ACTIVE" {
		t.Fatalf("%+v", got)
	}
	r := do(t, s, "GET", "/api/v1/users/"+u.ID+"/factors")
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("empty list body %s", r.body)
	}
	// Repeat on a user without factors is harmless.
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/reset_factors"), 200)
}

func TestGrants(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	var gs []struct{ ID, ScopeID, UserID, Status string }
	do(t, s, "GET", "/api/v1/users/"+u.ID+"/grants").decode(t, &gs)
	if len(gs) != 1 || gs[0].ScopeID != "okta.users.read" || gs[0].UserID != u.ID || gs[0].ID == "" {
		t.Fatalf("%+v", gs)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/grants"), 204)
	gs = nil
	do(t, s, "GET", "/api/v1/users/"+u.ID+"/grants").decode(t, &gs)
	if len(gs) != 0 {
		t.Fatalf("%+v", gs)
	}
}

func TestGroups(t *testing.T) {
	s := newFake(t)
	s.AddGroup(oktafake.Group{ID: "00gEng", Name: "Engineering", Type: "OKTA_GROUP"})
	s.AddGroup(oktafake.Group{ID: "00gApp", Name: "AD Group", Type: "APP_GROUP"})
	s.AddGroup(oktafake.Group{ID: "00gEveryone", Name: "Everyone", Type: "BUILT_IN"})
	u := newUser(s)
	var gs []struct {
		ID, Type string
		Profile  struct{ Name string }
	}
	do(t, s, "GET", "/api/v1/users/"+u.ID+"/groups").decode(t, &gs)
	if len(gs) != 3 || gs[0].Profile.Name != "Engineering" || gs[1].Type != "APP_GROUP" || gs[2].Type != "BUILT_IN" {
		t.Fatalf("%+v", gs)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/groups/00gEng/users/"+u.ID), 204)
	wantStatus(t, do(t, s, "DELETE", "/api/v1/groups/00gEng/users/"+u.ID), 204) // convergent
	wantErr(t, do(t, s, "DELETE", "/api/v1/groups/00gApp/users/"+u.ID), 403, "E0000006")
	wantErr(t, do(t, s, "DELETE", "/api/v1/groups/00gEveryone/users/"+u.ID), 403, "E0000006")
	wantErr(t, do(t, s, "DELETE", "/api/v1/groups/00gMissing/users/"+u.ID), 404, "E0000007")
	wantErr(t, do(t, s, "DELETE", "/api/v1/groups/00gEng/users/00umissing"), 404, "E0000007")
	got, _ := s.User(u.ID)
	if strings.Join(got.Groups, ",") != "00gApp,00gEveryone" {
		t.Fatalf("%v", got.Groups)
	}
}

func TestAppLinks(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	var ls []struct{ ID, Label, AppName, AppInstanceID, AppAssignmentID, LinkURL string }
	r := do(t, s, "GET", "/api/v1/users/"+u.ID+"/appLinks")
	r.decode(t, &ls)
	if len(ls) != 1 || ls[0].Label != "Slack" || ls[0].AppName != "slack" || ls[0].AppInstanceID != "0oaSlack" || ls[0].AppAssignmentID == "" {
		t.Fatalf("%s", r.body)
	}
	if !strings.Contains(string(r.body), `"linkUrl":""`) {
		t.Fatalf("linkUrl missing: %s", r.body)
	}
}

func TestSearch(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	s.AddUser(oktafake.User{Login: "bob@example.com", FirstName: "Bob"})
	gone := s.AddUser(oktafake.User{Login: "old@example.com", Status: "DEPROVISIONED"})
	ids := func(path string) []string {
		t.Helper()
		var us []struct{ ID string }
		do(t, s, "GET", path).decode(t, &us)
		out := []string{}
		for _, x := range us {
			out = append(out, x.ID)
		}
		return out
	}
	for _, p := range []string{"search", "filter"} {
		got := ids("/api/v1/users?" + p + "=" + url.QueryEscape(`profile.email eq "JANE@example.com"`))
		if len(got) != 1 || got[0] != u.ID {
			t.Fatalf("%s: %v", p, got)
		}
	}
	if got := ids("/api/v1/users?search=" + url.QueryEscape(`profile.email eq "nobody@example.com"`)); len(got) != 0 {
		t.Fatalf("%v", got)
	}
	r := do(t, s, "GET", "/api/v1/users?search="+url.QueryEscape(`profile.email eq "nobody@example.com"`))
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("empty search must be [], got %s", r.body)
	}
	if got := ids("/api/v1/users?search=" + url.QueryEscape(`profile.email eq "old@example.com"`)); len(got) != 1 || got[0] != gone.ID {
		t.Fatalf("search includes deprovisioned: %v", got)
	}
	if got := ids("/api/v1/users?q=bo"); len(got) != 1 {
		t.Fatalf("q: %v", got)
	}
	if got := ids("/api/v1/users"); len(got) != 2 {
		t.Fatalf("list: %v", got)
	}
	wantErr(t, do(t, s, "GET", "/api/v1/users?search="+url.QueryEscape(`garbage`)), 400, "E0000031")
}

func TestDeleteSemantics(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID+"/sessions"), 204)
	if n := s.DeleteUserCalls(); n != 0 {
		t.Fatalf("DeleteUserCalls = %d after a sessions DELETE", n)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID), 204)
	got, ok := s.User(u.ID)
	if !ok || got.Status != "DEPROVISIONED" {
		t.Fatalf("first DELETE must deactivate: %+v %v", got, ok)
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID), 204)
	if _, ok := s.User(u.ID); ok {
		t.Fatal("second DELETE must delete")
	}
	wantErr(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 404, "E0000007")
	wantErr(t, do(t, s, "DELETE", "/api/v1/users/"+u.ID), 404, "E0000007")
	if d := s.Deleted(); len(d) != 1 || d[0] != u.ID {
		t.Fatalf("Deleted %v", d)
	}
	if n := s.DeleteUserCalls(); n != 3 {
		t.Fatalf("DeleteUserCalls = %d", n)
	}
}

func TestRateLimitWindow(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	s.RateLimit(3, 2*time.Second)
	// Windows are aligned to the clock: start just after a boundary so
	// the four requests share one window.
	time.Sleep(time.Until(time.Now().Truncate(2*time.Second).Add(2*time.Second)) + 10*time.Millisecond)
	for i := 0; i < 3; i++ {
		r := do(t, s, "GET", "/api/v1/users/"+u.ID)
		wantStatus(t, r, 200)
		if r.header.Get("X-Rate-Limit-Limit") != "3" || r.header.Get("X-Rate-Limit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("req %d headers %v", i, r.header)
		}
	}
	r := do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend")
	wantErr(t, r, 429, "E0000047")
	if r.header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatal(r.header)
	}
	reset, _ := strconv.ParseInt(r.header.Get("X-Rate-Limit-Reset"), 10, 64)
	date, _ := http.ParseTime(r.header.Get("Date"))
	if reset <= time.Now().Unix() {
		t.Fatalf("reset %d not in the future", reset)
	}
	if reset <= date.Unix() {
		t.Fatalf("reset %d <= date %d", reset, date.Unix())
	}
	if got, _ := s.User(u.ID); got.Status != "ACTIVE" {
		t.Fatal("rate-limited call had an effect")
	}
	// After the reset time passes, requests are served again.
	time.Sleep(time.Until(time.Unix(reset, 0)) + 50*time.Millisecond)
	wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 200)
	s.RateLimit(0, 0)
	for i := 0; i < 10; i++ {
		wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 200)
	}
}

func TestFailNext(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	s.FailNext("POST", "/users/"+u.ID+"/lifecycle/suspend", 500, "")
	s.FailNext("GET", "/api/v1/users", 429, "")
	// GET is not affected by the POST failure, but consumes the 429.
	r := do(t, s, "GET", "/api/v1/users/"+u.ID)
	wantErr(t, r, 429, "E0000047")
	if r.header.Get("X-Rate-Limit-Remaining") != "0" || r.header.Get("X-Rate-Limit-Reset") == "" {
		t.Fatal(r.header)
	}
	wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID), 200)
	wantErr(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend"), 500, "E0000009")
	if got, _ := s.User(u.ID); got.Status != "ACTIVE" {
		t.Fatal("failed call had an effect")
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend"), 200)

	s.FailNext("", "/api/v1/users/", 503, `{"errorCode":"E0000010","errorSummary":"custom"}`)
	r = do(t, s, "GET", "/api/v1/users/"+u.ID)
	if r.status != 503 || !strings.Contains(string(r.body), "custom") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if n := s.Count("POST", "/users/"+u.ID+"/lifecycle/suspend"); n != 2 {
		t.Fatalf("Count = %d", n)
	}
	reqs := s.Requests()
	if len(reqs) != 5 || reqs[0].Status != 429 || reqs[2].Status != 500 || reqs[2].Method != "POST" || reqs[4].Status != 503 || reqs[0].At.IsZero() {
		t.Fatalf("%+v", reqs)
	}
}

func TestBreakReadBack(t *testing.T) {
	s := newFake(t)
	s.AddGroup(oktafake.Group{ID: "00gEng", Name: "Engineering"})
	u := newUser(s)
	s.BreakReadBack("jane@example.com")
	id := u.ID
	for _, c := range []struct{ m, p string }{
		{"POST", "/lifecycle/suspend"},
		{"POST", "/lifecycle/reset_factors"},
		{"DELETE", "/sessions?oauthTokens=true"},
		{"DELETE", "/grants"},
		{"POST", "/lifecycle/deactivate"},
	} {
		r := do(t, s, c.m, "/api/v1/users/"+id+c.p)
		if r.status >= 300 {
			t.Fatalf("%s %s = %d", c.m, c.p, r.status)
		}
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/groups/00gEng/users/"+id), 204)
	got, _ := s.User(id)
	if got.Status != "ACTIVE" || len(got.Factors) != 2 || got.Sessions != 2 || got.OAuthTokens != 3 || len(got.Grants) != 1 || len(got.Apps) != 1 || len(got.Groups) != 3 {
		t.Fatalf("state changed: %+v", got)
	}
}

func TestLatencyAndConcurrency(t *testing.T) {
	s := newFake(t)
	u := newUser(s)
	s.Latency(50 * time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", s.URL()+"/api/v1/users/"+u.ID, nil)
			req.Header.Set("Authorization", "SSWS "+oktafake.Token)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
		}()
	}
	wg.Wait()
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("latency not applied: %v", el)
	}
	if n := s.Count("GET", "/users/"); n != 8 {
		t.Fatalf("Count = %d", n)
	}
}

func TestNewServerClose(t *testing.T) {
	s, err := oktafake.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://") {
		t.Fatal(s.URL())
	}
	s.Close()
}
