package okta_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t    *testing.T
	srv  *oktatest.Server
	reg  *connectors.Registry
	c    *okta.Client
	logs *syncBuffer
	// token is the API token the client sends; it must never show up in
	// errors, evidence or logs.
	token string
	texts []string
}

// isolate hides any developer Okta configuration from the SDK.
func isolate(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("OKTA_CLIENT_TOKEN", "stray-env-token")
	t.Setenv("OKTA_CLIENT_ORGURL", "https://stray.okta.com")
	t.Setenv("OKTA_CLIENT_AUTHORIZATIONMODE", "Bearer")
	t.Setenv("OKTA_CLIENT_RATELIMIT_MAXRETRIES", "5")
	t.Setenv("OKTA_CLIENT_CACHE_ENABLED", "true")
}

func newEnv(t *testing.T, mod func(o *okta.Options)) *env {
	t.Helper()
	isolate(t)
	srv := oktatest.New(t)
	logs := &syncBuffer{}
	o := okta.Options{
		Config: config.Okta{
			OrgURL:               srv.URL(),
			APIToken:             config.Secret(oktatest.Token),
			InsecureHTTPForTests: true,
			RateShare:            0.5,
			RequestTimeout:       offboard.Duration(5 * time.Second),
		},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&o)
	}
	c, err := okta.New(context.Background(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	reg := connectors.NewRegistry()
	if err := c.Register(reg); err != nil {
		t.Fatalf("Register: %v", err)
	}
	e := &env{t: t, srv: srv, reg: reg, c: c, logs: logs, token: o.Config.APIToken.Reveal()}
	t.Cleanup(func() {
		if n := srv.DeleteUserCalls(); n != 0 {
			t.Errorf("the connector called DELETE /api/v1/users/{id} %d times", n)
		}
		if d := srv.Deleted(); len(d) != 0 {
			t.Errorf("users deleted: %v", d)
		}
		all := logs.String() + strings.Join(e.texts, "\n")
		if e.token != "" && strings.Contains(all, e.token) {
			t.Errorf("the token appears in logs, errors or evidence")
		}
	})
	return e
}

func (e *env) run(action string, req connectors.Request) (connectors.Result, error) {
	e.t.Helper()
	a, ok := e.reg.Lookup(action)
	if !ok {
		e.t.Fatalf("action %s not registered", action)
	}
	req.Action = action
	if req.Attempt == 0 {
		req.Attempt = 1
	}
	if req.JobID == "" {
		req.JobID = "OFF-0001/" + action + "#1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := a.Run(ctx, req)
	if err != nil {
		e.texts = append(e.texts, err.Error())
		var rl *offboard.RateLimitError
		if errors.As(err, &rl) && rl.Err != nil {
			e.texts = append(e.texts, rl.Err.Error())
		}
	}
	e.texts = append(e.texts, res.Summary)
	for k, v := range res.Evidence {
		e.texts = append(e.texts, k+"="+v)
	}
	return res, err
}

func (e *env) mustRun(action string, req connectors.Request) connectors.Result {
	e.t.Helper()
	res, err := e.run(action, req)
	if err != nil {
		e.t.Fatalf("%s: %v", action, err)
	}
	return res
}

func jane(email string) connectors.Request {
	return connectors.Request{Target: offboard.Target{Name: "Jane Doe", Email: email}}
}

func (e *env) user(id string) oktatest.User {
	e.t.Helper()
	u, ok := e.srv.User(id)
	if !ok {
		e.t.Fatalf("user %s is gone from the fake", id)
	}
	return u
}

func checkEvidence(t *testing.T, action string, res connectors.Result, keys ...string) {
	t.Helper()
	base := []string{"okta_user_id", "login", "status_before", "status_after", "okta_request_id", "read_back"}
	for _, k := range append(base, keys...) {
		if res.Evidence[k] == "" {
			t.Errorf("%s: evidence %q missing: %v", action, k, res.Evidence)
		}
	}
}

func addJane(srv *oktatest.Server) *oktatest.User {
	srv.AddGroup(oktatest.Group{ID: "00gEng", Name: "Engineering", Type: "OKTA_GROUP"})
	srv.AddGroup(oktatest.Group{ID: "00gAll", Name: "All staff", Type: "OKTA_GROUP"})
	srv.AddGroup(oktatest.Group{ID: "00gApp", Name: "AD Sales", Type: "APP_GROUP"})
	srv.AddGroup(oktatest.Group{ID: "00gEvery", Name: "Everyone", Type: "BUILT_IN"})
	return srv.AddUser(oktatest.User{
		Login: "jane@example.com", Email: "jane@example.com", FirstName: "Jane", LastName: "Doe",
		Factors:  []oktatest.Factor{{FactorType: "push"}, {FactorType: "webauthn"}},
		Grants:   []string{"okta.users.read", "openid"},
		Groups:   []string{"00gEng", "00gAll", "00gApp", "00gEvery"},
		Apps:     []oktatest.App{{ID: "0oa1", Label: "Slack", AppName: "slack"}, {ID: "0oa2", Label: "Google Workspace", AppName: "google"}},
		Sessions: 3, OAuthTokens: 2,
	})
}

func TestRegisterAllActions(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range okta.ActionIDs() {
		if _, ok := e.reg.Lookup(id); !ok {
			t.Errorf("%s not registered", id)
		}
	}
	if got := len(e.reg.IDs()); got != 8 {
		t.Errorf("registered %d actions, want 8", got)
	}
}

func TestActionsOnActiveUser(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Licenses = map[string]float64{"Slack": 8.75, "GOOGLE": 12} })
	u := addJane(e.srv)
	req := jane("jane@example.com")

	res := e.mustRun("okta.app_report", req)
	if !res.Verified || res.Evidence["apps"] != "Slack, Google Workspace" || res.Evidence["monthly_seat_cost"] != "20.75" {
		t.Errorf("app_report = %+v", res)
	}
	if !strings.HasPrefix(res.Summary, "2 apps: Slack, Google Workspace") {
		t.Errorf("app_report summary %q", res.Summary)
	}
	checkEvidence(t, "app_report", res, "apps", "monthly_seat_cost")

	res = e.mustRun("okta.suspend", req)
	if !res.Verified || res.AlreadyDone || e.user(u.ID).Status != "SUSPENDED" {
		t.Errorf("suspend = %+v, status %s", res, e.user(u.ID).Status)
	}
	if res.Evidence["status_before"] != "ACTIVE" || res.Evidence["status_after"] != "SUSPENDED" || res.Evidence["okta_user_id"] != u.ID {
		t.Errorf("suspend evidence %v", res.Evidence)
	}
	if !strings.HasPrefix(res.Evidence["okta_request_id"], "fakereq-") {
		t.Errorf("request id %q", res.Evidence["okta_request_id"])
	}
	checkEvidence(t, "suspend", res)

	res = e.mustRun("okta.clear_sessions", req)
	got := e.user(u.ID)
	if !res.Verified || got.Sessions != 0 || got.OAuthTokens != 0 {
		t.Errorf("clear_sessions = %+v; sessions %d tokens %d", res, got.Sessions, got.OAuthTokens)
	}
	if !strings.Contains(res.Evidence["read_back"], "204") {
		t.Errorf("clear_sessions read_back %q", res.Evidence["read_back"])
	}
	checkEvidence(t, "clear_sessions", res)

	res = e.mustRun("okta.reset_factors", req)
	// No read before the write (a request saved per exit): the read-back
	// after it is the evidence.
	if _, before := res.Evidence["factors_before"]; !res.Verified || len(e.user(u.ID).Factors) != 0 || res.Evidence["factors_after"] != "0" || before {
		t.Errorf("reset_factors = %+v", res)
	}
	checkEvidence(t, "reset_factors", res)

	res = e.mustRun("okta.revoke_grants", req)
	if !res.Verified || len(e.user(u.ID).Grants) != 0 {
		t.Errorf("revoke_grants = %+v", res)
	}
	checkEvidence(t, "revoke_grants", res)

	res = e.mustRun("okta.remove_groups", req)
	groups := e.user(u.ID).Groups
	if !res.Verified || strings.Join(groups, ",") != "00gApp,00gEvery" {
		t.Errorf("remove_groups = %+v, groups left %v", res, groups)
	}
	if res.Evidence["removed"] != "Engineering, All staff" || !strings.Contains(res.Evidence["skipped"], "Everyone (BUILT_IN)") || !strings.Contains(res.Evidence["skipped"], "AD Sales (APP_GROUP)") {
		t.Errorf("remove_groups evidence %v", res.Evidence)
	}
	if n := e.srv.Count("DELETE", "/api/v1/groups/00gApp"); n != 0 {
		t.Errorf("tried to remove from an APP_GROUP %d times", n)
	}
	checkEvidence(t, "remove_groups", res)

	res = e.mustRun("okta.deactivate", req)
	if !res.Verified || e.user(u.ID).Status != "DEPROVISIONED" || res.Evidence["status_before"] != "SUSPENDED" || res.Evidence["status_after"] != "DEPROVISIONED" {
		t.Errorf("deactivate = %+v", res)
	}
	checkEvidence(t, "deactivate", res)
	if len(e.srv.SentEmails()) != 0 {
		t.Errorf("deactivation sent an email")
	}
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, "/lifecycle/deactivate") && !strings.Contains(r.Query, "sendEmail=false") {
			t.Errorf("deactivate without sendEmail=false: %q", r.Query)
		}
		if strings.HasSuffix(r.Path, "/sessions") && !strings.Contains(r.Query, "oauthTokens=true") {
			t.Errorf("clear sessions without oauthTokens=true: %q", r.Query)
		}
	}
}

func TestIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	req := jane("jane@example.com")
	for _, a := range []string{"okta.suspend", "okta.reset_factors", "okta.revoke_grants", "okta.remove_groups", "okta.deactivate", "okta.clear_sessions"} {
		first := e.mustRun(a, req)
		if first.AlreadyDone || !first.Verified {
			t.Errorf("%s first run = %+v", a, first)
		}
		second := e.mustRun(a, req)
		if !second.Verified {
			t.Errorf("%s second run not verified: %+v", a, second)
		}
		// Sessions cannot be read, the factor list may hide factors of
		// other enrollment policies, and reading grants before revoking
		// them would cost a request per exit: these three are cleared
		// every time, harmlessly, and read back.
		clearedEachTime := a == "okta.clear_sessions" || a == "okta.reset_factors" || a == "okta.revoke_grants"
		if !clearedEachTime && (!second.AlreadyDone || second.Evidence["already_done"] != "true") {
			t.Errorf("%s second run not AlreadyDone: %+v", a, second)
		}
	}
	for p, want := range map[string]int{"/lifecycle/suspend": 1, "/lifecycle/deactivate": 1, "/lifecycle/reset_factors": 2} {
		if n := e.srv.Count("POST", "/api/v1/users/"+u.ID+p); n != want {
			t.Errorf("POST %s called %d times, want %d", p, n, want)
		}
	}
	if n := e.srv.Count("DELETE", "/api/v1/users/"+u.ID+"/grants"); n != 2 {
		t.Errorf("revoke grants called %d times, want 2 (once per run)", n)
	}
	// A deactivated user counts as suspended.
	res := e.mustRun("okta.suspend", req)
	if !res.AlreadyDone || res.Evidence["status_after"] != "DEPROVISIONED" {
		t.Errorf("suspend after deactivate = %+v", res)
	}
}

func TestLookup(t *testing.T) {
	e := newEnv(t, nil)
	other := e.srv.AddUser(oktatest.User{Login: "jdoe", Email: "jane@example.com"})
	res := e.mustRun("okta.app_report", jane("jane@example.com"))
	if res.Evidence["okta_user_id"] != other.ID || res.Evidence["login"] != "jdoe" {
		t.Errorf("search by email found %v", res.Evidence)
	}
	if e.srv.Count("GET", "/api/v1/users") < 2 {
		t.Errorf("expected a login lookup and a search")
	}

	byParam := e.srv.AddUser(oktatest.User{Login: "bob@example.com"})
	req := jane("jane@example.com")
	req.Params = map[string]string{"okta_user": byParam.ID}
	res = e.mustRun("okta.suspend", req)
	if res.Evidence["okta_user_id"] != byParam.ID || e.user(byParam.ID).Status != "SUSPENDED" || e.user(other.ID).Status != "ACTIVE" {
		t.Errorf("okta_user param: %v", res.Evidence)
	}
	req.Params = map[string]string{"okta_user": "bob@example.com"}
	if res := e.mustRun("okta.suspend", req); !res.AlreadyDone {
		t.Errorf("okta_user as login: %+v", res)
	}

	_, err := e.run("okta.suspend", jane("ghost@example.com"))
	if offboard.ErrorCode(err) != offboard.ENOTFOUND || !strings.Contains(err.Error(), "ghost@example.com") || connectors.Retryable(err) {
		t.Errorf("unknown user: %v (%s)", err, offboard.ErrorCode(err))
	}
	req.Params = map[string]string{"okta_user": "00unope"}
	if _, err := e.run("okta.suspend", req); offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Errorf("unknown okta_user: %v", err)
	}

	e.srv.AddUser(oktatest.User{Login: "jane.d", Email: "twin@example.com"})
	e.srv.AddUser(oktatest.User{Login: "jane.d2", Email: "twin@example.com"})
	_, err = e.run("okta.suspend", jane("twin@example.com"))
	if offboard.ErrorCode(err) != offboard.ECONFLICT || !strings.Contains(err.Error(), "2 Okta users have the email twin@example.com") {
		t.Errorf("two users: %v", err)
	}
	if _, err := e.run("okta.suspend", jane("")); offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("no email: %v", err)
	}
}

func TestBreakReadBack(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	e.srv.BreakReadBack(u.ID)
	req := jane("jane@example.com")
	for _, a := range []string{"okta.suspend", "okta.reset_factors", "okta.revoke_grants", "okta.remove_groups", "okta.deactivate"} {
		res, err := e.run(a, req)
		if err != nil {
			t.Errorf("%s: %v", a, err)
			continue
		}
		if res.Verified || res.AlreadyDone {
			t.Errorf("%s with a broken read-back = %+v", a, res)
		}
	}
}

func TestRateLimit429(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	e.srv.FailNext("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend", http.StatusTooManyRequests, "")
	before := time.Now()
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) || rl.API != userWriteAPI {
		t.Fatalf("err = %v, want an okta RateLimitError", err)
	}
	if rl.Reset.Before(before.Add(-2*time.Second)) || rl.Reset.After(before.Add(5*time.Second)) {
		t.Errorf("Reset %v not near the header (%v)", rl.Reset, before)
	}
	if n := e.srv.Count("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend"); n != 1 {
		t.Errorf("SDK sent %d suspend requests, want 1 (no SDK retries)", n)
	}
	if !connectors.Retryable(err) {
		t.Errorf("a rate limit must be retryable")
	}

	// The fake's own limit, used up by other clients of the org: a 429
	// with X-Rate-Limit-Reset at the window end.
	e2 := newEnv(t, nil)
	addJane(e2.srv)
	e2.srv.RateLimit(2, time.Minute)
	// The fake's windows are aligned to the clock's minutes, as Okta's are.
	windowEnd := clearOfMinute()
	for range 2 {
		r, _ := http.NewRequest("GET", e2.srv.URL()+"/api/v1/users?limit=1", nil)
		r.Header.Set("Authorization", "SSWS "+oktatest.Token)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, err = e2.run("okta.app_report", jane("jane@example.com"))
	// app_report's first request is the lookup of the user.
	if !errors.As(err, &rl) || rl.API != okta.BucketAPI("users: get one") {
		t.Fatalf("err = %v, want an okta RateLimitError", err)
	}
	if d := rl.Reset.Sub(windowEnd); d < -time.Second || d > 2*time.Second {
		t.Errorf("Reset %v, want the window end %v", rl.Reset, windowEnd)
	}
	// The next run is paced by the connector: Okta sees no request.
	n := len(e2.srv.Requests())
	if _, err := e2.run("okta.suspend", jane("jane@example.com")); !errors.As(err, &rl) {
		t.Errorf("after a 429: %v", err)
	}
	reqs := e2.srv.Requests()
	if len(reqs) != n {
		t.Errorf("the connector called Okta during the pause")
	}
	n429 := 0
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			n429++
		}
	}
	if n429 != 1 {
		t.Errorf("%d requests got 429, want exactly 1 (no SDK retries): %+v", n429, reqs)
	}
}

func TestPacing(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.RateShare = 0.5 })
	addJane(e.srv)
	windowEnd := clearOfMinute()
	e.srv.BucketLimit(oktatest.BucketUserWrite, 10)
	var err error
	runs := 0
	for i := 0; i < 10 && err == nil; i++ {
		_, err = e.run("okta.app_report", jane("jane@example.com"))
		runs++
	}
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) || rl.API != userWriteAPI {
		t.Fatalf("after %d runs err = %v, want an okta RateLimitError from pacing", runs, err)
	}
	sent := 0
	for _, r := range e.srv.Requests() {
		if oktatest.BucketOf(r.Method, r.Path) == oktatest.BucketUserWrite {
			sent++
		}
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("pacing let Okta answer 429")
		}
	}
	if sent > 5 {
		t.Errorf("sent %d requests to a bucket of 10 with share 0.5", sent)
	}
	if d := rl.Reset.Sub(windowEnd); d < -time.Second || d > 2*time.Second {
		t.Errorf("paced until %v, want the window end %v", rl.Reset, windowEnd)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, nil)
	u := addJane(e.srv)
	e.srv.FailNext("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend", http.StatusInternalServerError, "")
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	if err == nil || !connectors.Retryable(err) {
		t.Errorf("500: err = %v, retryable %v", err, connectors.Retryable(err))
	}
	if e.user(u.ID).Status != "ACTIVE" {
		t.Errorf("status %s after a failed suspend", e.user(u.ID).Status)
	}

	e.srv.FailNext("GET", "/api/v1/users", http.StatusForbidden, "")
	_, err = e.run("okta.suspend", jane("jane@example.com"))
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || connectors.Retryable(err) || !strings.Contains(err.Error(), "Okta refused the credentials") {
		t.Errorf("403: %v", err)
	}

	e.srv.FailNext("POST", "/api/v1/users/"+u.ID+"/lifecycle/deactivate", http.StatusServiceUnavailable, "")
	_, err = e.run("okta.deactivate", jane("jane@example.com"))
	if err == nil || !connectors.Retryable(err) {
		t.Errorf("503: %v", err)
	}
	// The retry converges.
	if res := e.mustRun("okta.deactivate", jane("jane@example.com")); !res.Verified || res.AlreadyDone {
		t.Errorf("deactivate retry = %+v", res)
	}
}

func TestNetworkErrorRetryable(t *testing.T) {
	e := newEnv(t, nil)
	addJane(e.srv)
	e.srv.Close()
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	if err == nil || !connectors.Retryable(err) {
		t.Errorf("network error: %v", err)
	}
}

func TestSuspendNotActive(t *testing.T) {
	e := newEnv(t, nil)
	for _, st := range []string{"LOCKED_OUT", "RECOVERY", "PASSWORD_EXPIRED", "STAGED", "PROVISIONED"} {
		login := strings.ToLower(st) + "@example.com"
		e.srv.AddUser(oktatest.User{Login: login, Status: st})
		_, err := e.run("okta.suspend", jane(login))
		if err == nil || connectors.Retryable(err) {
			t.Errorf("%s: err = %v, want permanent", st, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "only suspend ACTIVE") || !strings.Contains(msg, st) || !strings.Contains(msg, "deactivate") {
			t.Errorf("%s: unhelpful message %q", st, msg)
		}
		if u, _ := e.srv.User(login); e.srv.Count("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend") != 0 {
			t.Errorf("%s: a write was sent", st)
		}
		// Deactivation is the way.
		if res := e.mustRun("okta.deactivate", jane(login)); !res.Verified {
			t.Errorf("%s: deactivate = %+v", st, res)
		}
	}
}

func TestAppReportNoLicenses(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.AddUser(oktatest.User{Login: "jane@example.com", Apps: []oktatest.App{{ID: "0oa9", Label: "Zoom", AppName: "zoom"}}})
	res := e.mustRun("okta.app_report", jane("jane@example.com"))
	if res.Summary != "1 apps: Zoom" || res.Evidence["apps"] != "Zoom" || res.Evidence["monthly_seat_cost"] != "" || !res.Verified {
		t.Errorf("app_report = %+v", res)
	}
	e.srv.AddUser(oktatest.User{Login: "none@example.com"})
	res = e.mustRun("okta.app_report", jane("none@example.com"))
	if res.Summary != "0 apps" {
		t.Errorf("no apps: %q", res.Summary)
	}
}

func TestCanaryTokenNeverLeaks(t *testing.T) {
	const canary = "CANARY-okta-token-d41d8cd98f00b204"
	e := newEnv(t, func(o *okta.Options) { o.Config.APIToken = config.Secret(canary) })
	addJane(e.srv)
	for _, a := range okta.ActionIDs() {
		_, err := e.run(a, jane("jane@example.com"))
		if offboard.ErrorCode(err) != offboard.EFORBIDDEN {
			t.Errorf("%s with a bad token: %v", a, err)
		}
	}
	if err := e.c.Ping(context.Background()); offboard.ErrorCode(err) != offboard.EFORBIDDEN || strings.Contains(err.Error(), canary) {
		t.Errorf("Ping: %v", err)
	}
	// The cleanup checks logs, errors and evidence for the canary.
}

func TestPing(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNewValidates(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	for name, cfg := range map[string]config.Okta{
		"no org":      {APIToken: "x"},
		"http":        {OrgURL: "http://127.0.0.1:1", APIToken: "x"},
		"no creds":    {OrgURL: "https://example.okta.com"},
		"share":       {OrgURL: "https://example.okta.com", APIToken: "x", RateShare: 1.5},
		"half oauth":  {OrgURL: "https://example.okta.com", ClientID: "0oa1"},
		"not a key":   {OrgURL: "https://example.okta.com", ClientID: "0oa1", PrivateKey: "secret-not-pem"},
		"bad url":     {OrgURL: "example", APIToken: "x"},
		"admin url":   {OrgURL: "https://example-admin.okta.com", APIToken: "x"},
		"private key": {OrgURL: "https://example.okta.com", PrivateKey: "-----BEGIN PRIVATE KEY-----"},
	} {
		_, err := okta.New(ctx, okta.Options{Config: cfg})
		if offboard.ErrorCode(err) != offboard.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-not-pem") {
			t.Errorf("%s: the key leaked into %q", name, err)
		}
	}
}

func TestPrivateKeyModeMakesNoCallAtNew(t *testing.T) {
	isolate(t)
	srv := oktatest.New(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	c, err := okta.New(context.Background(), okta.Options{Config: config.Okta{
		OrgURL: srv.URL(), ClientID: "0oaservice", PrivateKey: config.Secret(pemKey), PrivateKeyID: "kid1",
		InsecureHTTPForTests: true,
	}})
	if err != nil || c == nil {
		t.Fatalf("New in PrivateKey mode: %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("New made %d requests", n)
	}
	// The service app is not registered with the fake: the token request
	// is refused, and the action fails without leaking the key.
	reg := connectors.NewRegistry()
	if err := c.Register(reg); err != nil {
		t.Fatal(err)
	}
	a, _ := reg.Lookup("okta.suspend")
	_, err = a.Run(context.Background(), jane("jane@example.com"))
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("PrivateKey mode against a fake without /oauth2: %v", err)
	}
	// A network error on the token request must not quote the signed
	// client assertion (the SDK puts it in the URL's query).
	srv.Close()
	_, err = a.Run(context.Background(), jane("jane@example.com"))
	if err == nil || !connectors.Retryable(err) || strings.Contains(err.Error(), "client_assertion") || strings.Contains(err.Error(), "eyJ") {
		t.Errorf("token request network error: %v", err)
	}
	if n := srv.DeleteUserCalls(); n != 0 {
		t.Errorf("DELETE /users/{id} called")
	}
}

// Private-key mode end to end: the SDK signs a client assertion, the fake
// checks it with the public key and issues a token, and the actions run
// with it. A key Okta does not know, or a scope not granted, is refused.
func TestPrivateKeyMode(t *testing.T) {
	isolate(t)
	srv := oktatest.New(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddServiceApp("0oaservice", &k.PublicKey, okta.DefaultScopes()...)
	u := srv.AddUser(oktatest.User{Login: "jane@example.com", Email: "jane@example.com"})
	action := func(key *rsa.PrivateKey, scopes []string) (connectors.Result, error) {
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
		c, err := okta.New(context.Background(), okta.Options{Config: config.Okta{
			OrgURL: srv.URL(), ClientID: "0oaservice", PrivateKey: config.Secret(pemKey), PrivateKeyID: "kid1",
			Scopes: scopes, InsecureHTTPForTests: true, RateShare: 1,
		}})
		if err != nil {
			t.Fatal(err)
		}
		reg := connectors.NewRegistry()
		if err := c.Register(reg); err != nil {
			t.Fatal(err)
		}
		a, _ := reg.Lookup("okta.suspend")
		return a.Run(context.Background(), jane("jane@example.com"))
	}
	if _, err := action(other, okta.DefaultScopes()); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Fatalf("unknown key: %v, want forbidden", err)
	}
	// Okta answers invalid_scope with 400 (RFC 6749 §5.2): a permanent
	// configuration error.
	if _, err := action(k, []string{"okta.users.manage", "okta.apps.manage"}); offboard.ErrorCode(err) != offboard.EINVALID || !strings.Contains(err.Error(), "okta.scopes") {
		t.Fatalf("scope not granted: %v, want invalid naming okta.scopes", err)
	}
	res, err := action(k, okta.DefaultScopes())
	if err != nil || !res.Verified {
		t.Fatalf("suspend with a service app: %+v %v", res, err)
	}
	if got, _ := srv.User(u.ID); got.Status != "SUSPENDED" || srv.TokensIssued() != 1 {
		t.Fatalf("after suspend: status %s, tokens issued %d", got.Status, srv.TokensIssued())
	}
}

func TestConcurrentActions(t *testing.T) {
	e := newEnv(t, nil)
	var ids []string
	for i := range 8 {
		u := e.srv.AddUser(oktatest.User{Login: "u" + strconv.Itoa(i) + "@example.com", Factors: []oktatest.Factor{{FactorType: "push"}}})
		ids = append(ids, u.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)*2)
	a, _ := e.reg.Lookup("okta.suspend")
	b, _ := e.reg.Lookup("okta.reset_factors")
	for _, id := range ids {
		for _, act := range []connectors.Action{a, b} {
			wg.Go(func() {
				_, err := act.Run(context.Background(), connectors.Request{Params: map[string]string{"okta_user": id}})
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, id := range ids {
		if u := e.user(id); u.Status != "SUSPENDED" || len(u.Factors) != 0 {
			t.Errorf("%s: %s, %d factors", id, u.Status, len(u.Factors))
		}
	}
}

// lostAnswer forwards a request to Okta and then replaces the answer with a
// 502, as when a proxy times out after Okta did the work.
type lostAnswer struct {
	base   http.RoundTripper
	suffix string
	mu     sync.Mutex
	n      int
}

func (l *lostAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, l.suffix) {
		return resp, err
	}
	resp.Body.Close()
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	body := `{"errorCode":"E0000009","errorSummary":"Bad gateway"}`
	return &http.Response{
		StatusCode: http.StatusBadGateway, Status: "502 Bad Gateway",
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(body)),
		Request: r, ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

func TestLifecycleAnswerLost(t *testing.T) {
	for _, c := range []struct{ action, suffix, want string }{
		{"okta.deactivate", "/lifecycle/deactivate", "DEPROVISIONED"},
		{"okta.suspend", "/lifecycle/suspend", "SUSPENDED"},
	} {
		t.Run(c.action, func(t *testing.T) {
			la := &lostAnswer{base: http.DefaultTransport, suffix: c.suffix}
			e := newEnv(t, func(o *okta.Options) { o.HTTPClient = &http.Client{Transport: la} })
			u := addJane(e.srv)
			res := e.mustRun(c.action, jane("jane@example.com"))
			if la.n != 1 {
				t.Fatalf("the lost answer was not simulated (%d)", la.n)
			}
			if !res.Verified || res.Evidence["status_after"] != c.want || res.Evidence["note"] == "" {
				t.Errorf("%s with a lost answer = %+v", c.action, res)
			}
			if again := e.mustRun(c.action, jane("jane@example.com")); !again.AlreadyDone {
				t.Errorf("rerun = %+v", again)
			}
			if n := e.srv.Count("POST", "/api/v1/users/"+u.ID+c.suffix); n != 1 {
				t.Errorf("%d writes, want 1", n)
			}
		})
	}
}

func TestRequestTimeoutRetryable(t *testing.T) {
	e := newEnv(t, func(o *okta.Options) { o.Config.RequestTimeout = offboard.Duration(time.Second) })
	addJane(e.srv)
	e.srv.Latency(3 * time.Second)
	start := time.Now()
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	if err == nil || !connectors.Retryable(err) {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("took %v with a 1s request timeout", d)
	}
}

// clearOfMinute waits out the last seconds of a clock minute, so a test's
// requests fall in one of the fake's minute windows, and returns when
// that window ends.
func clearOfMinute() time.Time {
	end := time.Now().Truncate(time.Minute).Add(time.Minute)
	if time.Until(end) < 3*time.Second {
		time.Sleep(time.Until(end) + 10*time.Millisecond)
		end = end.Add(time.Minute)
	}
	return end
}

func TestLifecycleSummaries(t *testing.T) {
	e := newEnv(t, nil)
	addJane(e.srv)
	// In the safe order: suspending after a deactivation finds nothing to
	// suspend, so the order is fixed.
	for _, step := range []struct{ action, want string }{
		{"okta.suspend", "suspended Okta user"}, {"okta.deactivate", "deactivated Okta user"},
	} {
		action, want := step.action, step.want
		res, err := e.run(action, jane("jane@example.com"))
		if err != nil || !strings.HasPrefix(res.Summary, want) {
			t.Errorf("%s summary %q (%v), want it to start %q", action, res.Summary, err, want)
		}
	}
}

// An Okta (or a proxy in front of it) that quotes the request in its
// error summary: the token comes back in every form, and the summary is
// cut to size.
func TestClient_EchoedTokenRedacted(t *testing.T) {
	const canary = "CANARY+okta/token=&echo-0123456789"
	e := newEnv(t, func(o *okta.Options) { o.Config.APIToken = config.Secret(canary) })
	e.srv.SetToken(canary)
	u := addJane(e.srv)
	long := strings.Repeat("x", 2000)
	e.srv.FailNext("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend", http.StatusBadRequest,
		`{"errorCode":"E0000001","errorSummary":"echo `+url.QueryEscape(canary)+` `+base64.StdEncoding.EncodeToString([]byte(canary))+` `+long+`"}`)
	_, err := e.run("okta.suspend", jane("jane@example.com"))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, leak := range []string{canary, url.QueryEscape(canary), base64.StdEncoding.EncodeToString([]byte(canary))[:20]} {
		if strings.Contains(msg, leak) {
			t.Errorf("error holds %q: %s", leak, msg)
		}
	}
	if len(msg) > offboard.MaxUpstreamBody+200 {
		t.Errorf("error is %d bytes, want the summary cut to about %d", len(msg), offboard.MaxUpstreamBody)
	}
	e.srv.EchoNext("POST", "/api/v1/users/"+u.ID+"/lifecycle/suspend", http.StatusInternalServerError)
	if _, err := e.run("okta.suspend", jane("jane@example.com")); err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "Request rejected") {
		t.Errorf("echoed 500: %v", err)
	}
}
