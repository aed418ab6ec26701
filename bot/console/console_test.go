package console_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/console"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

var people = map[offboard.Role][]string{
	offboard.RoleHR:      {"hana.hr@example.com"},
	offboard.RoleIT:      {"ivan.it@example.com"},
	offboard.RoleFinance: {"fiona.finance@example.com"},
}

func rolesOf(email string) []offboard.Role {
	for r, es := range people {
		for _, e := range es {
			if strings.EqualFold(e, email) {
				return []offboard.Role{r}
			}
		}
	}
	return nil
}

var hr = offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com", Name: "Hana"}

type harness struct {
	t       *testing.T
	db      *store.DB
	engine  flowstest.Engine
	console *console.Console
	srv     *httptest.Server
}

func newHarness(t *testing.T, mutate ...func(*console.Options)) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	engine := flowstest.New(t, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Roles: rolesOf})
	router, err := bot.New(bot.Options{Engine: engine, Roles: rolesOf})
	if err != nil {
		t.Fatal(err)
	}
	o := console.Options{Router: router, Engine: engine, People: people, Audit: db.AuditEvents}
	for _, m := range mutate {
		m(&o)
	}
	c, err := console.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		c.Close()
		srv.Close()
	})
	return &harness{t: t, db: db, engine: engine, console: c, srv: srv}
}

// browser is a client with cookies, as a browser keeps them.
type browser struct {
	h      *harness
	client *http.Client
	csrf   string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

func (b *browser) get(path string) (int, string) {
	b.h.t.Helper()
	resp, err := b.client.Get(b.h.srv.URL + path)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

// post sends a form as the page would (with the page's CSRF token unless
// the form sets its own) and follows the redirect.
func (b *browser) post(path string, form url.Values, header http.Header) (int, string) {
	b.h.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body)
}

func (b *browser) actAs(email string) string {
	b.h.t.Helper()
	b.get("/console")
	code, body := b.post("/console/as", url.Values{"as": {email}}, nil)
	if code != 200 || !strings.Contains(body, `value="`+email+`" selected`) {
		b.h.t.Fatalf("act as %s: %d\n%.600s", email, code, body)
	}
	return body
}

func (h *harness) cases() int {
	h.t.Helper()
	vs, err := h.engine.ListCases(context.Background(), offboard.System("test"), offboard.CaseOpen, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(vs)
}

func TestConsole_CSRF(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.actAs("hana.hr@example.com")
	say := func(form url.Values, header http.Header) int {
		form.Set("text", "/offboard jane.doe@example.com involuntary")
		code, _ := b.post("/console/say", form, header)
		return code
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		if code := say(url.Values{"csrf": {""}}, nil); code != http.StatusForbidden {
			t.Fatalf("without the token: %d", code)
		}
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		if code := say(url.Values{"csrf": {strings.Repeat("ab", 32)}}, nil); code != http.StatusForbidden {
			t.Fatalf("with another token: %d", code)
		}
	})
	t.Run("ErrOtherOrigin", func(t *testing.T) {
		if code := say(url.Values{}, http.Header{"Origin": {"https://evil.example"}}); code != http.StatusForbidden {
			t.Fatalf("from another origin: %d", code)
		}
	})
	t.Run("ErrOtherPort", func(t *testing.T) {
		u, _ := url.Parse(h.srv.URL)
		if code := say(url.Values{}, http.Header{"Origin": {"http://" + u.Hostname() + ":1"}}); code != http.StatusForbidden {
			t.Fatalf("from the same host on another port: %d", code)
		}
	})
	t.Run("ErrOtherScheme", func(t *testing.T) {
		if code := say(url.Values{}, http.Header{"Origin": {strings.Replace(h.srv.URL, "http:", "https:", 1)}}); code != http.StatusForbidden {
			t.Fatalf("from the same host and port over https: %d", code)
		}
	})
	if n := h.cases(); n != 0 {
		t.Fatalf("a refused post opened %d cases", n)
	}
	t.Run("OK", func(t *testing.T) {
		if code := say(url.Values{}, http.Header{"Origin": {h.srv.URL}}); code != http.StatusOK {
			t.Fatalf("same origin with the token: %d", code)
		}
		if n := h.cases(); n != 1 {
			t.Fatalf("%d cases open, want 1", n)
		}
	})
}

// Two replicas of one offboard share console.token: a page one served
// posts to the other (a load balancer without sticky sessions, or the
// replica that served it gone). Without a shared secret, or with another,
// the form is refused as out of date and nothing happens.
func TestConsole_CSRFSecret(t *testing.T) {
	const secret = "shared-console-token-0123"
	for _, tc := range []struct {
		name         string
		first, other string
		want         int
		cases        int
	}{
		{"Shared", secret, secret, http.StatusOK, 1},
		{"ErrRandomPerStart", "", "", http.StatusForbidden, 0},
		{"ErrOtherSecret", secret, "another-console-token-456", http.StatusForbidden, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(o *console.Options) { o.CSRFSecret = tc.first })
			router, err := bot.New(bot.Options{Engine: h.engine, Roles: rolesOf})
			if err != nil {
				t.Fatal(err)
			}
			other, err := console.New(console.Options{Router: router, Engine: h.engine, People: people, Audit: h.db.AuditEvents,
				CSRFSecret: tc.other})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(other.Handler())
			defer srv.Close()
			b := h.browser()
			b.actAs("hana.hr@example.com")
			// The same browser (its cookies, the first page's token) posts
			// to the other replica.
			b.h = &harness{t: t, db: h.db, engine: h.engine, console: other, srv: srv}
			code, body := b.post("/console/say", url.Values{"text": {"/offboard jane.doe@example.com involuntary"}},
				http.Header{"Origin": {srv.URL}})
			if code != tc.want {
				t.Fatalf("a post of the first replica's page to the other: %d, want %d\n%.600s", code, tc.want, body)
			}
			if n := h.cases(); n != tc.cases {
				t.Fatalf("%d cases open, want %d", n, tc.cases)
			}
		})
	}
}

// Everything people typed is escaped: names, notes, notices.
func TestConsole_Escapes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const evil = `<script>alert(1)</script>`
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "eve@example.com", Name: "Eve " + evil},
		Kind: offboard.Voluntary, LastDay: time.Now().AddDate(0, 0, 10).Format(time.DateOnly), Notes: evil})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Case.ID
	if err := h.console.Notify(ctx, offboard.Notice{ID: "n1", Kind: offboard.NoticeTaskFailed, CaseID: id, Text: "failed: " + evil}); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.actAs("hana.hr@example.com")
	code, body := b.get("/console/rooms/" + string(id))
	if code != 200 || !strings.Contains(body, "Eve &lt;script&gt;") || !strings.Contains(body, "failed: &lt;script&gt;") {
		t.Fatalf("room %d lacks the escaped name or notice:\n%.2000s", code, body)
	}
	if strings.Contains(body, evil) {
		t.Fatal("the room page carries unescaped markup")
	}
	b.post("/console/say", url.Values{"room": {string(id)}, "text": {"status " + evil}}, nil)
	if _, body = b.get("/console/rooms/" + string(id)); strings.Contains(body, evil) {
		t.Fatal("what a person typed came back unescaped")
	}
}

// A bare /offboard opens the form; sending it half filled shows the
// errors beside the fields and keeps what was typed.
func TestConsole_FormErrors(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.actAs("hana.hr@example.com")
	_, body := b.post("/console/say", url.Values{"text": {"/offboard"}}, nil)
	if !strings.Contains(body, `role="dialog"`) || !strings.Contains(body, `name="form_id" value="`+bot.FormOpenCase+`"`) {
		t.Fatalf("no open-case form:\n%.1500s", body)
	}
	_, body = b.post("/console/submit", url.Values{"form_id": {bot.FormOpenCase}, "employee": {"not-an-email"}, "kind": {"voluntary"}, "notes": {"keep me"}}, nil)
	for _, want := range []string{`aria-invalid="true"`, "That is not an email address.", "needs a last day", "keep me"} {
		if !strings.Contains(body, want) {
			t.Errorf("the form shown again lacks %q", want)
		}
	}
	if h.cases() != 0 {
		t.Fatal("a form with errors opened a case")
	}
	lastDay := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	code, body := b.post("/console/submit", url.Values{"form_id": {bot.FormOpenCase}, "employee": {"jane.doe@example.com"},
		"kind": {"voluntary"}, "last_day": {lastDay}}, nil)
	if code != 200 || h.cases() != 1 || !strings.Contains(body, `data-room="OFF-0001"`) || strings.Contains(body, `role="dialog"`) {
		t.Fatalf("sending the form did not lead to the new room: %d cases\n%.800s", h.cases(), body)
	}
}

// The engine decides: Finance's click on an Okta task is refused and
// the refusal is shown; its own task is done.
func TestConsole_Click(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "jane.doe@example.com"},
		Kind: offboard.Voluntary, LastDay: time.Now().AddDate(0, 0, 10).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	id := string(res.Case.ID)
	b := h.browser()
	b.actAs("fiona.finance@example.com")
	okta := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: res.Case.ID, TaskKey: "okta_suspend"}.Encode()
	_, body := b.post("/console/click", url.Values{"room": {id}, "value": {okta}}, nil)
	if !strings.Contains(body, "may not run") || !strings.Contains(body, "only visible to you") {
		t.Fatalf("no refusal shown:\n%.3000s", body)
	}
	done := offboard.ActionRef{Verb: offboard.VerbComplete, CaseID: res.Case.ID, TaskKey: "final_expenses"}.Encode()
	_, body = b.post("/console/click", url.Values{"room": {id}, "value": {done}}, nil)
	if !strings.Contains(body, "marked “Settle the final expense report” done") {
		t.Fatalf("no line for the done task:\n%.3000s", body)
	}
	v, err := h.engine.GetCase(ctx, offboard.System("test"), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range v.Tasks {
		switch task.Key {
		case "final_expenses":
			if task.Status != offboard.TaskDone {
				t.Errorf("final_expenses is %s", task.Status)
			}
		case "okta_suspend":
			if task.Status != offboard.TaskScheduled {
				t.Errorf("okta_suspend is %s after a refused click", task.Status)
			}
		}
	}
}

// People without a role see only the cases they manage; one cannot act
// as someone who is neither configured nor a manager.
func TestConsole_Visibility(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	lastDay := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	for _, e := range []offboard.Employee{{Email: "jane.doe@example.com", ManagerEmail: "mona.manager@example.com"}, {Email: "alex.kim@example.com"}} {
		if _, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Employee: e, Kind: offboard.Voluntary, LastDay: lastDay}); err != nil {
			t.Fatal(err)
		}
	}
	b := h.browser()
	body := b.actAs("mona.manager@example.com")
	rooms := body[strings.Index(body, `id="rooms"`):strings.Index(body, `id="main"`)]
	if !strings.Contains(rooms, "OFF-0001") || strings.Contains(rooms, "OFF-0002") {
		t.Fatalf("the manager's rooms:\n%s", rooms)
	}
	if code, _ := b.get("/console/rooms/OFF-0002"); code != http.StatusForbidden {
		t.Fatalf("the manager opened a room not theirs: %d", code)
	}
	b.post("/console/as", url.Values{"as": {"stan.stranger@example.com"}}, nil)
	if _, body := b.get("/console"); strings.Contains(body, `value="stan.stranger@example.com"`) {
		t.Fatal("acting as an unknown person was accepted")
	}
}

// A notice delivered twice adds one line, and the browser hears of it.
func TestConsole_Notify(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "jane.doe@example.com"}, Kind: offboard.Involuntary})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Case.ID
	// The stream tells only someone who may see the case.
	b := h.browser()
	b.actAs("hana.hr@example.com")
	req, _ := http.NewRequest("GET", h.srv.URL+"/console/events", nil)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events content type %q", ct)
	}
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			events <- sc.Text()
		}
		close(events)
	}()
	n := offboard.Notice{ID: "OFF-0001/notice#1", Kind: offboard.NoticeTaskFailed, CaseID: id, Text: "Okta said no"}
	for range 2 {
		if err := h.console.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(5 * time.Second)
	for got := false; !got; {
		select {
		case l := <-events:
			got = l == "data: "+string(id)
		case <-deadline:
			t.Fatal("no event for the notice")
		}
	}
	if _, body := b.get("/console/rooms/" + string(id)); strings.Count(body, "Okta said no") != 1 {
		t.Fatalf("the notice shows %d times, want once", strings.Count(body, "Okta said no"))
	}
	// Close ends the stream, so a server shutdown need not wait for it.
	h.console.Close()
	for {
		select {
		case _, open := <-events:
			if !open {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the stream stayed open after Close")
		}
	}
}

// Rooms come from the stored cases: a console started afresh (offboard
// restarted) shows the same room with its cards.
// A case another replica changed (the leader ran its revocation) reaches
// the browsers on this one through Options.Changes, and Close ends the
// watch.
func TestConsole_Changes(t *testing.T) {
	changes := make(chan offboard.CaseID)
	stopped := make(chan struct{})
	h := newHarness(t, func(o *console.Options) {
		o.Changes = func(ctx context.Context, changed func(offboard.CaseID)) {
			defer close(stopped)
			for {
				select {
				case id := <-changes:
					changed(id)
				case <-ctx.Done():
					return
				}
			}
		}
	})
	res, err := h.engine.Apply(context.Background(), offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "jane.doe@example.com"}, Kind: offboard.Involuntary})
	if err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.actAs("hana.hr@example.com")
	resp, err := b.client.Get(h.srv.URL + "/console/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			events <- sc.Text()
		}
		close(events)
	}()
	// The stream is subscribed once it says so.
	for l := range events {
		if l == ": connected" {
			break
		}
	}
	select {
	case changes <- res.Case.ID:
	case <-time.After(5 * time.Second):
		t.Fatal("the console does not watch Options.Changes")
	}
	select {
	case l := <-events:
		for l == "" || strings.HasPrefix(l, "event:") {
			l = <-events
		}
		if l != "data: "+string(res.Case.ID) {
			t.Fatalf("the stream said %q, want the changed case", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a case changed elsewhere did not reach the browser")
	}
	h.console.Close()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the watch")
	}
}

func TestConsole_RoomsSurviveRestart(t *testing.T) {
	h := newHarness(t)
	if _, err := h.engine.Apply(context.Background(), offboard.OpenCase{By: hr, Employee: offboard.Employee{Email: "jane.doe@example.com"},
		Kind: offboard.Involuntary}); err != nil {
		t.Fatal(err)
	}
	router, err := bot.New(bot.Options{Engine: h.engine, Roles: rolesOf})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := console.New(console.Options{Router: router, Engine: h.engine, People: people, Audit: h.db.AuditEvents})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fresh.Handler())
	defer srv.Close()
	h.srv = srv
	b := h.browser()
	body := b.actAs("hana.hr@example.com")
	if !strings.Contains(body, `href="/console/rooms/OFF-0001"`) {
		t.Fatalf("the room list after a restart:\n%.1500s", body)
	}
	code, body := b.get("/console/rooms/OFF-0001")
	for _, want := range []string{"IT tasks", "Suspend the Okta account", "case.opened"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("the room after a restart (%d) lacks %q", code, want)
		}
	}
}

// A manager, who holds no role, acts as themselves to decide the
// approvals of their report's case: Approve at once, Deny through a form
// that wants a reason.
func TestConsole_ManagerApproves(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: time.Now().AddDate(0, 0, 10).Format(time.DateOnly),
		Employee: offboard.Employee{Email: "jane.doe@example.com", ManagerEmail: "mona.manager@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	id := string(res.Case.ID)
	v, err := h.engine.GetCase(ctx, offboard.System("test"), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Approvals) < 2 {
		t.Fatalf("the playbook asked %d approvals, want 2", len(v.Approvals))
	}
	first, second := v.Approvals[0].ID, v.Approvals[1].ID
	b := h.browser()
	b.actAs("mona.manager@example.com")
	_, body := b.get("/console/rooms/" + id)
	approve := offboard.ActionRef{Verb: offboard.VerbApprove, CaseID: res.Case.ID, TaskKey: v.Approvals[0].TaskKey, ApprovalID: first}.Encode()
	if !strings.Contains(body, `value="`+approve+`"`) {
		t.Fatalf("no Approve button for the manager:\n%.3000s", body)
	}
	b.post("/console/click", url.Values{"room": {id}, "value": {approve}}, nil)
	deny := offboard.ActionRef{Verb: offboard.VerbDeny, CaseID: res.Case.ID, TaskKey: v.Approvals[1].TaskKey, ApprovalID: second}.Encode()
	if _, body = b.post("/console/click", url.Values{"room": {id}, "value": {deny}}, nil); !strings.Contains(body, `value="`+bot.FormDeny+`"`) {
		t.Fatalf("Deny did not open its form:\n%.2000s", body)
	}
	if _, body = b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormDeny}, "reason": {""}}, nil); !strings.Contains(body, "Say why you deny this.") {
		t.Fatalf("an empty reason was not asked for again:\n%.2000s", body)
	}
	b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormDeny}, "reason": {"Keep the mail with the team inbox"}}, nil)
	v, err = h.engine.GetCase(ctx, offboard.System("test"), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]offboard.ApprovalStatus{}
	for _, a := range v.Approvals {
		got[a.ID] = a.Status
	}
	if got[first] != offboard.ApprovalApproved || got[second] != offboard.ApprovalDenied {
		t.Fatalf("approvals after the manager's decisions: %v", got)
	}
}

// The daily digest waits in the welcome room: all of it for HR, nothing
// for someone without a role.
func TestConsole_PostDigest(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: time.Now().AddDate(0, 0, 10).Format(time.DateOnly),
		Employee: offboard.Employee{Email: "jane.doe@example.com", ManagerEmail: "mona.manager@example.com"}}); err != nil {
		t.Fatal(err)
	}
	d, err := h.engine.Digest(ctx, time.Now())
	if err != nil || d.Empty() {
		t.Fatalf("digest: %v (empty %v)", err, d.Empty())
	}
	if err := h.console.PostDigest(ctx, d); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	if body := b.actAs("hana.hr@example.com"); !strings.Contains(body, "daily digest") || !strings.Contains(body, "OFF-0001") {
		t.Fatalf("HR's welcome room lacks the digest:\n%.3000s", body)
	}
	if body := b.actAs("mona.manager@example.com"); strings.Contains(body, "daily digest") {
		t.Fatal("someone without a role got the digest")
	}
}
