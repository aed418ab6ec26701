package signin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/oidctest"
	"github.com/offboard-dev/offboard/web/signin"
)

const (
	clientID     = "offboard-test"
	clientSecret = "client-secret-0123456789"
	adminToken   = "admin-token-0123456789abcdef"
)

var hana = oidctest.User{Subject: "00u1hana", Email: "Hana.HR@example.com", Name: "Hana HR", EmailVerified: oidctest.Verified(true)}

// clock is a hand-moved clock shared with the Auth.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	mu     sync.Mutex
	events []offboard.AuditEvent
	t      *testing.T
	idp    *oidctest.Server
	auth   *signin.Auth
	app    *httptest.Server
	clock  *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{now: time.Now()}}
	mux := http.NewServeMux()
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)
	redirect := e.app.URL + "/signin/callback"
	idp, err := oidctest.New(oidctest.Options{ClientID: clientID, ClientSecret: clientSecret, RedirectURIs: []string{redirect}, User: hana})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	e.idp = idp
	e.auth, err = signin.New(signin.Options{Issuer: idp.URL(), ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirect,
		AdminToken: adminToken, Clock: e.clock, SessionTTL: time.Hour,
		Audit: offboard.AuditFunc(func(_ context.Context, ev offboard.AuditEvent) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.events = append(e.events, ev)
			return nil
		}),
		Roles: func(email string) []offboard.Role {
			if email == "hana.hr@example.com" {
				return []offboard.Role{offboard.RoleHR}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h := e.auth.Handler()
	for _, p := range e.auth.Patterns() {
		mux.Handle(p, h)
	}
	mux.Handle("/whoami", e.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := signin.Identify(r)
		if !ok {
			http.Error(w, "no actor", 500)
			return
		}
		fmt.Fprintf(w, "%s|%s|%s|%v", a.Kind, a.Email, a.ID, a.Roles)
	})))
	return e
}

// audited returns the audit events of an action.
func (e *env) audited(action string) []offboard.AuditEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []offboard.AuditEvent
	for _, ev := range e.events {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

type browser struct {
	t *testing.T
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// A sign-in round trip: the protected page sends the browser to the
// provider and back, and the person is who the ID token says, with the
// roles config gives them.
func TestAuth_SignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	var setCookies []string
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		setCookies = append(setCookies, req.Response.Header.Values("Set-Cookie")...)
		return nil
	}
	resp, body := b.get(e.app.URL + "/whoami")
	if resp.StatusCode != 200 || body != "person|hana.hr@example.com|hana.hr@example.com|[hr]" {
		t.Fatalf("after the round trip: %d %q", resp.StatusCode, body)
	}
	if e.idp.Requests("/authorize") != 1 || e.idp.Requests("/token") != 1 {
		t.Fatalf("authorize %d, token %d times", e.idp.Requests("/authorize"), e.idp.Requests("/token"))
	}
	if ok := e.audited("signin.ok"); len(ok) != 1 || ok[0].Actor.Email != "hana.hr@example.com" || ok[0].Evidence["subject"] != "00u1hana" {
		t.Fatalf("sign-in audit events: %+v", ok)
	}
	var session string
	for _, c := range setCookies {
		if strings.HasPrefix(c, "offboard_session=") {
			session = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"} {
		if !strings.Contains(session, want) {
			t.Errorf("session cookie %q lacks %s", session, want)
		}
	}
	if strings.Contains(session, "hana") {
		t.Errorf("the session cookie carries the email: %q", session)
	}
	// Signed in, the page needs no second trip.
	if resp, body := b.get(e.app.URL + "/whoami"); resp.StatusCode != 200 || !strings.Contains(body, "hana.hr@") || e.idp.Requests("/authorize") != 1 {
		t.Fatalf("second visit: %d %q", resp.StatusCode, body)
	}
	// The session ends with its time.
	e.clock.add(time.Hour + time.Second)
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, _ := b.get(e.app.URL + "/whoami"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an expired session still signed in: %d", resp.StatusCode)
	}
}

// Sign-out forgets the session on the server: the old cookie no longer
// works even if a browser kept it.
func TestAuth_SignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if resp, _ := b.get(e.app.URL + "/whoami"); resp.StatusCode != 200 {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	u, _ := url.Parse(e.app.URL)
	kept := b.c.Jar.Cookies(u)
	resp, err := b.c.Post(e.app.URL+signin.SignOutPath, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != signin.SignOutPath {
		t.Fatalf("sign-out ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", e.app.URL+"/whoami", nil)
	req.Header.Set("Accept", "text/event-stream")
	for _, c := range kept {
		req.AddCookie(c)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the signed-out session still works: %d", resp.StatusCode)
	}
}

// A token the provider did not sign, one that expired, one for another
// client or from another issuer, and an email the provider says is not
// verified: none signs anyone in.
func TestAuth_RefusesBadIDTokens(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*oidctest.Server)
		status int
	}{
		{"Forged", func(s *oidctest.Server) { s.Forge(true) }, http.StatusUnauthorized},
		{"Expired", func(s *oidctest.Server) {
			s.Tamper(func(c map[string]any) {
				c["iat"] = time.Now().Add(-3 * time.Hour).Unix()
				c["exp"] = time.Now().Add(-2 * time.Hour).Unix()
			})
		}, http.StatusUnauthorized},
		{"WrongAudience", func(s *oidctest.Server) { s.Tamper(func(c map[string]any) { c["aud"] = "another-app" }) }, http.StatusUnauthorized},
		{"WrongIssuer", func(s *oidctest.Server) { s.Tamper(func(c map[string]any) { c["iss"] = "https://evil.example" }) }, http.StatusUnauthorized},
		{"WrongNonce", func(s *oidctest.Server) { s.Tamper(func(c map[string]any) { c["nonce"] = "replayed" }) }, http.StatusUnauthorized},
		{"UnverifiedEmail", func(s *oidctest.Server) {
			s.SetUser(oidctest.User{Subject: "00u2", Email: "hana.hr@example.com", EmailVerified: oidctest.Verified(false)})
		}, http.StatusForbidden},
		{"NoEmail", func(s *oidctest.Server) { s.SetUser(oidctest.User{Subject: "00u3"}) }, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e.idp)
			b := e.browser()
			resp, body := b.get(e.app.URL + "/whoami")
			if resp.StatusCode != tc.status || resp.Request.URL.Path != "/signin/callback" || strings.Contains(body, "hana.hr@example.com|") {
				t.Fatalf("%s: %d at %s\n%s", tc.name, resp.StatusCode, resp.Request.URL.Path, body)
			}
			u, _ := url.Parse(e.app.URL)
			for _, c := range b.c.Jar.Cookies(u) {
				if c.Name == "offboard_session" {
					t.Fatalf("%s: a session cookie was set", tc.name)
				}
			}
			if n, ok := len(e.audited("signin.refused")), len(e.audited("signin.ok")); n != 1 || ok != 0 {
				t.Fatalf("%s: %d refusals and %d sign-ins audited, want 1 and 0", tc.name, n, ok)
			}
		})
	}
}

// A callback whose state is not the one this browser was given is
// refused, and so is a second use of a state.
func TestAuth_StateMismatch(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := b.get(e.app.URL + "/signin?next=/whoami")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	authz, _ := url.Parse(resp.Header.Get("Location"))
	q := authz.Query()
	for _, want := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(want) == "" {
			t.Fatalf("the authorization request lacks %s: %s", want, authz)
		}
	}
	if q.Get("code_challenge_method") != "S256" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request: %s", authz)
	}
	// The provider answers with a code; an attacker swaps the state.
	resp, _ = b.get(authz.String())
	back, _ := url.Parse(resp.Header.Get("Location"))
	good := back.Query()
	bad := url.Values{"code": {good.Get("code")}, "state": {strings.Repeat("a", 64)}}
	if resp, _ := b.get(e.app.URL + "/signin/callback?" + bad.Encode()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a foreign state: %d", resp.StatusCode)
	}
	// Another browser replaying the real callback has no state cookie.
	other := e.browser()
	other.c.CheckRedirect = b.c.CheckRedirect
	if resp, _ := other.get(back.String()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the callback in another browser: %d", resp.StatusCode)
	}
	if resp, _ := other.get(e.app.URL + "/whoami"); resp.StatusCode == 200 {
		t.Fatal("the other browser got signed in")
	}
}

// console.token as the Basic auth password is an admin; a wrong one is
// nobody. Streams and posts without a session get 401, pages a redirect.
func TestAuth_AdminToken(t *testing.T) {
	e := newEnv(t)
	call := func(pass, accept string) (int, string) {
		req, _ := http.NewRequest("GET", e.app.URL+"/whoami", nil)
		if pass != "" {
			req.SetBasicAuth("admin", pass)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call(adminToken, ""); code != 200 || body != "api||console.token|[admin]" {
		t.Fatalf("the admin token: %d %q", code, body)
	}
	if code, _ := call("wrong-token-0123456789abcdef", "text/event-stream"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token on a stream: %d", code)
	}
	if code, _ := call("", "text/html"); code != http.StatusSeeOther {
		t.Fatalf("a page without a session: %d", code)
	}
}

// Anyone can make a sign-in fail, so refusals reach the audit chain at a
// bounded rate; the next one written says how many were left out.
func TestAuth_RefusalsAuditedAtARate(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for range 25 {
		if resp, _ := b.get(e.app.URL + "/signin/callback?state=forged&code=x"); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a forged callback: %d", resp.StatusCode)
		}
	}
	if n := len(e.audited("signin.refused")); n != 20 {
		t.Fatalf("%d refusals audited within a minute, want 20", n)
	}
	e.clock.add(time.Minute)
	b.get(e.app.URL + "/signin/callback?state=forged&code=x")
	got := e.audited("signin.refused")
	if len(got) != 21 || !strings.Contains(got[20].Detail, "and 5 more") {
		t.Fatalf("after the window: %d events, last %q", len(got), got[len(got)-1].Detail)
	}
}

// Entra ID sends no email_verified claim: that is not a "no". And the
// page to return to after signing in stays on this site.
func TestAuth_SignInWithoutEmailVerifiedStaysOnSite(t *testing.T) {
	e := newEnv(t)
	e.idp.SetUser(oidctest.User{Subject: "entra-1", Email: "ivan.it@example.com"})
	b := e.browser()
	resp, _ := b.get(e.app.URL + "/signin?next=" + url.QueryEscape("//evil.example/steal"))
	if resp.StatusCode != http.StatusNotFound || resp.Request.URL.Host != strings.TrimPrefix(e.app.URL, "http://") || resp.Request.URL.Path != "/" {
		t.Fatalf("after signing in with next=//evil.example: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if resp, body := b.get(e.app.URL + "/whoami"); resp.StatusCode != 200 || body != "person|ivan.it@example.com|ivan.it@example.com|[]" {
		t.Fatalf("signed in without email_verified: %d %q", resp.StatusCode, body)
	}
}

// A provider that cannot be reached is a clear 502, and the next sign-in
// tries discovery again.
func TestAuth_ProviderDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	a, err := signin.New(signin.Options{Issuer: deadURL, ClientID: clientID, ClientSecret: clientSecret, RedirectURL: "http://127.0.0.1:1/signin/callback"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/signin", nil))
		if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "could not be reached") {
			t.Fatalf("provider down: %d %s", w.Code, w.Body)
		}
	}
}
