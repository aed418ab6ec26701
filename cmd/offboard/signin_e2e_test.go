package main

import (
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard/internal/oidctest"
)

const (
	e2eClientID     = "offboard-e2e"
	e2eClientSecret = "e2e-client-secret-0123456789"
	e2eAdminToken   = "console-admin-token-0123456789"
)

// oidcApp is offboard (not in demo mode) with people signing in at a
// local OpenID Connect provider.
type oidcApp struct {
	*liveApp
	idp *oidctest.Server
}

// startOIDCApp starts a fake provider and offboard pointed at it;
// extra is more config (it must not repeat console:).
func startOIDCApp(t *testing.T, extra string) *oidcApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idp, err := oidctest.New(oidctest.Options{ClientID: e2eClientID, ClientSecret: e2eClientSecret,
		RedirectURIs: []string{base + "/signin/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`console:
  enabled: true
  token: %q
  oidc:
    issuer: %q
    client_id: %q
    client_secret: %q
    redirect_url: %q
%s`, e2eAdminToken, idp.URL(), e2eClientID, e2eClientSecret, base+"/signin/callback", extra))
	// Finance too has a person here (the shared config has none).
	text := readFile(t, cfg)
	const admins = "  admin: [ada.admin@example.com]\n"
	if !strings.Contains(text, admins) {
		t.Fatal("writeConfig no longer names the admin; update startOIDCApp")
	}
	writeFile(t, cfg, strings.Replace(text, admins, "  finance: [fiona.finance@example.com]\n"+admins, 1))
	app := startAppOn(t, cfg, wireOptions{}, ln)
	if app.url != base {
		t.Fatalf("app at %s, registered %s", app.url, base)
	}
	return &oidcApp{liveApp: app, idp: idp}
}

// person is one browser signed in as someone.
type person struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	// basic, when set, is sent as the Basic auth password (the admin).
	basic string
}

// signIn opens the console in a fresh browser, which the console sends
// to the provider and back, signed in as email.
func (a *oidcApp) signIn(t *testing.T, email string) *person {
	t.Helper()
	a.idp.SetUser(oidctest.User{Subject: "sub-" + email, Email: email, Name: strings.Split(email, "@")[0], EmailVerified: oidctest.Verified(true)})
	jar, _ := cookiejar.New(nil)
	p := &person{t: t, base: a.url, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	code, page := p.get("/console")
	if code != 200 || !strings.Contains(page, "Signed in as") || !strings.Contains(page, html.EscapeString(email)) {
		t.Fatalf("sign-in of %s ended with %d:\n%.600s", email, code, page)
	}
	return p
}

func (a *oidcApp) admin(t *testing.T) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: t, base: a.url, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}, basic: e2eAdminToken}
}

func (p *person) do(method, path string, form url.Values) (int, string) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", p.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.base)
	}
	req.Header.Set("Accept", "text/html")
	if p.basic != "" {
		req.SetBasicAuth("admin", p.basic)
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		p.csrf = html.UnescapeString(m[1])
	}
	return resp.StatusCode, string(b)
}

func (p *person) get(path string) (int, string) { p.t.Helper(); return p.do("GET", path, nil) }

// rooms is the console's room list as the person sees it.
func (p *person) rooms() string {
	p.t.Helper()
	code, page := p.get("/console")
	i, j := strings.Index(page, `id="rooms"`), strings.Index(page, `id="main"`)
	if code != 200 || i < 0 || j < i {
		p.t.Fatalf("console: %d\n%.400s", code, page)
	}
	return page[i:j]
}

// sees reports which of the case ids a person's console and dashboard
// show: the room list, the room, the dashboard index, the case page and
// the audit export.
func (p *person) sees(id string) map[string]bool {
	p.t.Helper()
	out := map[string]bool{}
	out["console rooms"] = strings.Contains(p.rooms(), `href="/console/rooms/`+id+`"`)
	code, _ := p.get("/console/rooms/" + id)
	out["console room"] = code == 200
	_, page := p.get("/")
	out["dashboard"] = strings.Contains(page, `href="/cases/`+id+`"`)
	code, _ = p.get("/cases/" + id)
	out["case page"] = code == 200
	_, csv := p.get("/audit.csv")
	out["audit export"] = strings.Contains(csv, ","+id+",")
	return out
}

func seesAll(m map[string]bool) bool {
	for _, v := range m {
		if !v {
			return false
		}
	}
	return true
}

func seesNone(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return false
		}
	}
	return true
}

// Outside demo mode people sign in at the identity provider and see, in
// the console and on the dashboard, only what CanViewCase allows them:
// HR everything, Finance not the confidential case, a manager without a
// role only their report's case, a stranger nothing; console.token is an
// admin who sees everything.
func TestServe_SignInShowsOnlyWhatOneMaySee(t *testing.T) {
	app := startOIDCApp(t, "")
	for _, body := range []string{involuntaryJane, voluntaryAlex} {
		if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}
	confidential, plain := "OFF-0001", "OFF-0002"

	// Nobody signed in: pages go to the provider, the stream is refused.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/console", "/", "/cases/OFF-0001"} {
		resp, err := anon.Get(app.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?") {
			t.Errorf("%s without signing in: %d to %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	req, _ := http.NewRequest("GET", app.url+"/console/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	if resp, err := anon.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the live stream without signing in: %v %v", resp.StatusCode, err)
	}

	hr := app.signIn(t, "hana.hr@example.com")
	if got := hr.sees(confidential); !seesAll(got) {
		t.Errorf("HR and the confidential case: %v", got)
	}
	finance := app.signIn(t, "fiona.finance@example.com")
	if got := finance.sees(confidential); !seesNone(got) {
		t.Errorf("Finance and the confidential case: %v", got)
	}
	if got := finance.sees(plain); !seesAll(got) {
		t.Errorf("Finance and the ordinary case: %v", got)
	}
	if _, page := finance.get("/"); !strings.Contains(page, "Signed in as fiona.finance@example.com") {
		t.Errorf("the dashboard does not say who is signed in:\n%.600s", page)
	}
	mona := app.signIn(t, "mona.manager@example.com") // manages Jane (OFF-0001) only
	if got := mona.sees(confidential); !seesAll(got) {
		t.Errorf("Jane's manager and Jane's case: %v", got)
	}
	if got := mona.sees(plain); !seesNone(got) {
		t.Errorf("Jane's manager and Alex's case: %v", got)
	}
	stranger := app.signIn(t, "stan.stranger@example.com")
	for _, id := range []string{confidential, plain} {
		if got := stranger.sees(id); !seesNone(got) {
			t.Errorf("someone without a role and %s: %v", id, got)
		}
	}
	// A signed-in person cannot act as someone else.
	if code, _ := finance.do("POST", "/console/as", url.Values{"as": {"hana.hr@example.com"}}); code != http.StatusForbidden {
		t.Errorf("Finance switching to HR: %d", code)
	}
	if got := finance.sees(confidential); !seesNone(got) {
		t.Errorf("Finance after trying to switch: %v", got)
	}
	// The admin's token still gets in, as an admin.
	admin := app.admin(t)
	if got := admin.sees(confidential); !seesAll(got) {
		t.Errorf("the admin token and the confidential case: %v", got)
	}
	// Each sign-in is in the audit chain, as the person.
	if code, csv := admin.get("/audit.csv"); code != 200 || !strings.Contains(csv, "signin.ok") || !strings.Contains(csv, "fiona.finance@example.com") {
		t.Errorf("the audit trail lacks the sign-ins (%d):\n%.800s", code, csv)
	}
	// Signing out ends the session.
	if code, page := hr.do("POST", "/signin/out", url.Values{}); code != 200 || !strings.Contains(page, "signed out") {
		t.Fatalf("sign-out: %d\n%.300s", code, page)
	}
	hr.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if code, _ := hr.get("/console"); code != http.StatusSeeOther {
		t.Fatalf("the console after signing out: %d", code)
	}
}

// Outside demo mode, with neither OIDC nor console.token, the console
// and the dashboard are off — loopback or not — and say what they need.
func TestServe_ConsoleNeedsSignIn(t *testing.T) {
	app := startApp(t, writeConfig(t, t.TempDir(), "console:\n  enabled: true\n"), wireOptions{})
	// A timeout, since an open console would keep the stream open.
	c := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/console", "/", "/cases/OFF-0001", "/audit.csv", "/console/events"} {
		code, body := 0, ""
		if resp, err := c.Get(app.url + path); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "console.oidc.issuer") || !strings.Contains(body, "console.token") {
			t.Errorf("%s without a way to sign in: %d %.120q", path, code, body)
		}
	}
	if r := call(t, "GET", app.url+"/healthz", "", ""); r.status != 200 {
		t.Fatal("healthz is off with the console")
	}
}
