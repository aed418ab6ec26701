package dashboard_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
	"github.com/offboard-dev/offboard/web/dashboard"
)

var base = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

type env struct {
	t      testing.TB
	path   string
	db     *store.DB
	engine flowstest.Engine
	now    time.Time
	h      http.Handler
	ttl    time.Duration
}

func newEnv(t testing.TB) *env { t.Helper(); return newEnvTTL(t, 0) }

func newEnvTTL(t testing.TB, ttl time.Duration) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "t.db"), now: base, ttl: ttl}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	db, err := store.Open(e.path, store.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	clock := offboard.ClockFunc(func() time.Time { return e.now })
	eng := flowstest.New(e.t, flowstest.Options{Store: db, Clock: clock})
	h, err := dashboard.New(dashboard.Options{Engine: eng, Audit: db.AuditEvents, Verify: db.VerifyAudit, Clock: clock, Viewer: offboard.System("dashboard"), CacheTTL: e.ttl})
	if err != nil {
		e.t.Fatal(err)
	}
	e.db, e.engine, e.h = db, eng, h
}

func (e *env) openCase(name, email string, kind offboard.DepartureKind, confidential bool) *offboard.Result {
	e.t.Helper()
	res, err := e.engine.Apply(context.Background(), offboard.OpenCase{
		By:       offboard.System("test"),
		Employee: offboard.Employee{Name: name, Email: email, ManagerEmail: "boss@example.com", Department: "Sales"},
		Kind:     kind, LastDay: "2026-11-27", Confidential: &confidential, Source: "test",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, target string, form url.Values) resp {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{w.Code, w.Header(), w.Body.String()}
}

func (e *env) get(target string) resp { e.t.Helper(); return e.do("GET", target, nil) }

func wellFormed(t *testing.T, r resp) {
	t.Helper()
	if !strings.Contains(r.body, "<html") || !strings.Contains(r.body, "</html>") {
		t.Fatalf("not a whole page:\n%s", r.body)
	}
	for _, bad := range []string{"template:", "ZgotmplZ", "<no value>", "%!"} {
		if strings.Contains(r.body, bad) {
			t.Fatalf("page contains %q:\n%s", bad, r.body)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
}

func (e *env) auditCount(f offboard.AuditFilter) int {
	n := 0
	if err := e.db.AuditEvents(context.Background(), f, func(*offboard.AuditEvent) error { n++; return nil }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestIndex_ListsOpenCasesHidingConfidentialNames(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	e.openCase("Secret Person", "secret@example.com", offboard.Voluntary, true)
	r := e.get("/")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	wellFormed(t, r)
	for _, want := range []string{"Jane Doe", `href="/cases/OFF-0001"`, "OFF-0002", "Confidential case", "<progress", `scope="col"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	if strings.Contains(r.body, "Secret Person") || strings.Contains(r.body, "secret@example.com") {
		t.Error("index shows the confidential employee")
	}
}

func TestCasePage(t *testing.T) {
	e := newEnv(t)
	res := e.openCase("Jane <b>Doe</b>", "jane@example.com", offboard.Voluntary, false)
	r := e.get("/cases/OFF-0001")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	wellFormed(t, r)
	if len(res.Tasks) == 0 {
		t.Fatal("case has no tasks")
	}
	for _, want := range []string{res.Tasks[0].Title, "case.opened", "Timeline", "Jane &lt;b&gt;Doe&lt;/b&gt;"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<b>Doe</b>") {
		t.Error("employee name not escaped")
	}
	if r := e.get("/cases/off-1"); r.status != 200 {
		t.Errorf("short id: %d", r.status)
	}
	r = e.get("/cases/OFF-0099")
	if r.status != 404 {
		t.Errorf("unknown case: %d", r.status)
	}
	wellFormed(t, r)
	r = e.get("/cases/nonsense")
	if r.status != 400 {
		t.Errorf("malformed id: %d", r.status)
	}
	wellFormed(t, r)
	if r := e.get("/no/such/page"); r.status != 404 {
		t.Errorf("unknown page: %d", r.status)
	}
}

func TestAnalytics(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	e.openCase("Bob Roe", "bob@example.com", offboard.Involuntary, true)
	e.now = base.Add(10 * 24 * time.Hour) // tasks go overdue
	r := e.get("/analytics")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	wellFormed(t, r)
	for _, want := range []string{"completion rate", "0%", "open tasks per open case", "Overdue tasks by department"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("analytics lacks %q", want)
		}
	}
	svgs := 0
	rest := r.body
	for {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("unterminated svg")
		}
		doc := rest[i : i+j+len("</svg>")]
		d := xml.NewDecoder(strings.NewReader(doc))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("svg does not parse: %v\n%s", err, doc)
			}
		}
		if !strings.Contains(doc, "<title") || !strings.Contains(doc, `role="img"`) {
			t.Errorf("svg lacks a title or role: %s", doc)
		}
		svgs++
		rest = rest[i+j:]
	}
	if svgs == 0 {
		t.Errorf("no svg chart on the page:\n%s", r.body)
	}
	if r := e.get("/analytics?from=2026-11-01&to=2026-11-30"); r.status != 200 || !strings.Contains(r.body, "2 cases") && !strings.Contains(r.body, `<span class="num">2</span>`) {
		t.Errorf("period: %d", r.status)
	}
	if r := e.get("/analytics?from=2026-13-01"); r.status != 400 || !strings.Contains(r.body, "from") {
		t.Errorf("bad from: %d", r.status)
	}
	if r := e.get("/analytics?from=2025-01-01&to=2025-01-31"); r.status != 200 || !strings.Contains(r.body, "n/a") {
		t.Errorf("empty period: %d", r.status)
	}
}

func TestAuditPageAndExports(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	e.openCase("=HYPERLINK(\"x\")", "bob@example.com", offboard.Voluntary, false)
	sam := e.openCase("Sam Lee", "sam@example.com", offboard.Involuntary, false)
	if _, err := e.engine.Apply(context.Background(), offboard.SkipTask{By: offboard.System("test"), CaseID: sam.Case.ID,
		TaskKey: sam.Tasks[len(sam.Tasks)-1].Key, Reason: "not needed here"}); err != nil {
		t.Fatal(err)
	}
	total := e.auditCount(offboard.AuditFilter{})

	r := e.get("/audit")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	wellFormed(t, r)
	for _, want := range []string{"case.opened", "Verify chain", `href="/audit.csv"`, `href="/audit.json"`, fmt.Sprintf("%d matching events", total)} {
		if !strings.Contains(r.body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	// Events about a task name it by its title, as the case page does,
	// not by the playbook's key.
	titles := map[string]string{}
	for _, tk := range sam.Tasks {
		titles[tk.Key] = tk.Title
	}
	named := 0
	if err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{CaseID: sam.Case.ID}, func(ev *offboard.AuditEvent) error {
		if title, ok := titles[ev.Target]; ok {
			named++
			if strings.Contains(r.body, `<span class="muted">`+ev.Target+`</span>`) || !strings.Contains(r.body, `<span class="muted">`+title+`</span>`) {
				t.Errorf("event #%d %s: the page shows the key %q, not the title %q", ev.Seq, ev.Action, ev.Target, title)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if named == 0 || !strings.Contains(r.body, ">Case opened<") {
		t.Errorf("audit page: %d events about a task; words for case.opened: %v", named, strings.Contains(r.body, ">Case opened<"))
	}
	r = e.get("/audit?case=off-2&since=2026-11-01&until=2026-11-20")
	if r.status != 200 || !strings.Contains(r.body, "/audit.csv?case=OFF-0002&amp;since=2026-11-01&amp;until=2026-11-20") {
		t.Errorf("filtered: %d", r.status)
	}

	r = e.get("/audit.csv")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", r.status, r.header)
	}
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "seq,time,case_id,action,target,outcome,actor_kind,actor_id,actor_email,actor_platform_user,detail,evidence,prev_hash,hash" {
		t.Errorf("header %s", got)
	}
	if len(recs)-1 != total {
		t.Errorf("csv has %d rows, store has %d events", len(recs)-1, total)
	}
	for _, rec := range recs[1:] {
		if strings.HasPrefix(rec[10], "=") || strings.HasPrefix(rec[11], "=") {
			t.Errorf("formula not escaped: %q", rec)
		}
	}

	r = e.get("/audit.json?case=OFF-0001")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("json: %d", r.status)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(r.body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev offboard.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.CaseID != "OFF-0001" || ev.Hash == "" {
			t.Errorf("event %+v", ev)
		}
		n++
	}
	if want := e.auditCount(offboard.AuditFilter{CaseID: "OFF-0001"}); n != want || n == 0 {
		t.Errorf("json has %d events, want %d", n, want)
	}

	for _, q := range []string{"since=yesterday", "until=2026-02-30", "case=bogus"} {
		r := e.get("/audit?" + q)
		field, _, _ := strings.Cut(q, "=")
		if r.status != 400 || !strings.Contains(r.body, field) {
			t.Errorf("%s: %d", q, r.status)
		}
		wellFormed(t, r)
		if r := e.get("/audit.csv?" + q); r.status != 400 {
			t.Errorf("csv %s: %d", q, r.status)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Involuntary, false)
	r := e.do("POST", "/audit/verify", url.Values{})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	wellFormed(t, r)
	if !strings.Contains(r.body, "OK") || strings.Contains(r.body, "BROKEN") {
		t.Fatalf("intact chain:\n%s", r.body)
	}
	res, _ := e.db.VerifyAudit(context.Background())
	if want := fmt.Sprintf("the chain of %d events is intact", res.Events); res.Events < 2 || !strings.Contains(r.body, want) {
		t.Errorf("verify page lacks %q", want)
	}
	if !strings.Contains(r.body, res.HeadHash) || res.HeadHash == "" {
		t.Error("head hash not shown")
	}

	const victim = 2
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	err := storetest.TamperAudit(e.path, victim, func(v []byte) ([]byte, error) {
		i := bytes.Index(v, []byte(`"outcome":"ok"`))
		if i < 0 {
			return nil, fmt.Errorf("event %d has no ok outcome: %s", victim, v)
		}
		v[i+len(`"outcome":"`)] = 'x'
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	r = e.do("POST", "/audit/verify", url.Values{"case": {"OFF-0001"}})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(r.body, "BROKEN") || !strings.Contains(r.body, fmt.Sprintf("event %d", victim)) {
		t.Fatalf("tampered chain:\n%s", r.body)
	}
	if r := e.do("POST", "/audit/verify", url.Values{"since": {"nope"}}); r.status != 400 {
		t.Errorf("bad since on verify: %d", r.status)
	}
}

func TestStaticAndHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.get("/static/style.css")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || !strings.Contains(r.body, "@media") {
		t.Fatalf("css: %d %q", r.status, r.header.Get("Content-Type"))
	}
	r = e.get("/")
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("csp %q", csp)
	}
	for _, p := range []string{"/", "/analytics", "/audit"} {
		r := e.get(p)
		wellFormed(t, r)
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, "http://") && !strings.Contains(r.body, "http://www.w3.org/2000/svg") {
			t.Errorf("%s has a script or an external link", p)
		}
	}
}

func TestNew_RequiresEngine(t *testing.T) {
	if _, err := dashboard.New(dashboard.Options{}); err == nil {
		t.Fatal("no error without an engine")
	}
}

func TestCache_DisabledSeesNewCasesAtOnce(t *testing.T) {
	e := newEnvTTL(t, -1)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	if r := e.get("/"); !strings.Contains(r.body, "OFF-0001") {
		t.Fatal("first case missing")
	}
	e.openCase("Bob Roe", "bob@example.com", offboard.Voluntary, false)
	if r := e.get("/"); !strings.Contains(r.body, "Bob Roe") {
		t.Fatal("uncached index is stale")
	}
}

func TestCache_ReusesWithinTTL(t *testing.T) {
	e := newEnvTTL(t, time.Hour)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	e.get("/")
	e.openCase("Bob Roe", "bob@example.com", offboard.Voluntary, false)
	if r := e.get("/"); strings.Contains(r.body, "Bob Roe") {
		t.Fatal("cached index re-read the store")
	}
	if r := e.get("/cases/OFF-0002"); r.status != 200 || !strings.Contains(r.body, "Bob Roe") {
		t.Fatal("case pages must not be cached")
	}
}

// The audit check is a form post: one from another origin (another
// port of the same host included) is refused.
func TestAuditVerify_Origin(t *testing.T) {
	e := newEnv(t)
	for origin, want := range map[string]int{
		"http://example.com":         200, // httptest's Host
		"":                           200,
		"http://example.com:8081":    403,
		"https://example.com":        403,
		"http://rebind.evil.example": 403,
		"null":                       403,
	} {
		req := httptest.NewRequest("POST", "/audit/verify", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Origin %q: %d, want %d", origin, w.Code, want)
		}
	}
}

// Dates read as everywhere else ("Fri 27 Nov 2026", "Wed 25 Nov 10:04
// UTC"), not ISO, on the list and on the case page. (The audit trail
// quotes its records as they were written.)
func TestDashboard_Dates(t *testing.T) {
	e := newEnv(t)
	e.openCase("Jane Doe", "jane@example.com", offboard.Voluntary, false)
	for page, want := range map[string]string{
		"/":               `<td data-label="Last day">Fri 27 Nov 2026</td>`,
		"/cases/OFF-0001": `<dt>Last day</dt><dd>Fri 27 Nov 2026`,
	} {
		r := e.do("GET", page, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", page, r.status)
		}
		if !strings.Contains(r.body, want) {
			t.Errorf("%s lacks %s", page, want)
		}
		if iso := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`); iso.MatchString(r.body) {
			t.Errorf("%s shows a time as ISO: %q", page, iso.FindString(r.body))
		}
	}
	r := e.do("GET", "/analytics?from=2026-11-01&to=2026-11-30", nil)
	if !strings.Contains(r.body, "Cases created Sun 1 Nov 2026 to Mon 30 Nov 2026") {
		t.Errorf("the analytics period is not in words: %d", r.status)
	}
}
