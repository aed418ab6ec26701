package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web"
)

// API tokens of the test deployment.
const (
	hrToken      = "hr-7c1f0a9e3b5d4e2f8a6b"
	financeToken = "fin-2b8d6e4c0a1f3e5d7c9b"
	adminToken   = "adm-9f8e7d6c5b4a39281706"
)

func testTokens() []web.Token {
	return []web.Token{
		{Name: "workday-sync", Secret: hrToken, Role: offboard.RoleHR},
		{Name: "finance-report", Secret: financeToken, Role: offboard.RoleFinance},
		{Name: "ops", Secret: adminToken, Role: offboard.RoleAdmin},
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a server over a real store and engine.
type harness struct {
	tb    testing.TB
	srv   *httptest.Server
	db    *store.DB
	logs  *syncBuffer
	wakes atomic.Int64
	web   *web.Server
}

// newHarness starts a server; opts may change the options before New.
func newHarness(tb testing.TB, opts ...func(*web.Options)) *harness {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "t.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	h := &harness{tb: tb, db: db, logs: &syncBuffer{}}
	eng := flowstest.New(tb, flowstest.Options{Connectors: offboard.Connectors{oktaconn.Declaration()}, Store: db, Roles: func(string) []offboard.Role { return nil },
		AfterCommit: func() { h.wakes.Add(1) }})
	o := web.Options{
		Engine:  eng,
		Ping:    db.Ping,
		Tokens:  testTokens(),
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version: "test",
		Audit:   db.AuditLog(nil),
	}
	for _, f := range opts {
		f(&o)
	}
	s, err := web.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	h.web = s
	h.srv = httptest.NewServer(s.Handler())
	tb.Cleanup(h.srv.Close)
	return h
}

// serve starts a harness over any handler, without a store.
func serve(tb testing.TB, handler http.Handler) *harness {
	h := &harness{tb: tb, logs: &syncBuffer{}, srv: httptest.NewServer(handler)}
	tb.Cleanup(h.srv.Close)
	return h
}

// response is an answer with its decoded JSON.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type caseBody struct {
	Case      *offboard.Case       `json:"case"`
	Tasks     []*offboard.Task     `json:"tasks"`
	Approvals []*offboard.Approval `json:"approvals"`
	Message   string               `json:"message"`
	Duplicate bool                 `json:"duplicate"`
}

func (r response) errorBody(tb testing.TB) errorBody {
	tb.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" {
		tb.Fatalf("status %d: not an error body: %s (%v)", r.status, r.body, err)
	}
	return e
}

func (r response) caseBody(tb testing.TB) caseBody {
	tb.Helper()
	var c caseBody
	if err := json.Unmarshal(r.body, &c); err != nil || c.Case == nil {
		tb.Fatalf("status %d: not a case body: %s (%v)", r.status, r.body, err)
	}
	return c
}

// request is one call to the server.
type request struct {
	method, path, token string
	contentType         string // default application/json when there is a body
	body                any    // string, []byte or a value to marshal
	header              map[string]string
}

func (h *harness) do(req request) response {
	h.tb.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.tb.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, req.method, h.srv.URL+req.path, body)
	if err != nil {
		h.tb.Fatal(err)
	}
	if body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(r)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// daysFromNow is a date n days away, as the API takes it.
func daysFromNow(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

// newCase is a valid create body; change it with fns.
func newCase(email, kind string, fns ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"employee": map[string]any{"email": email, "name": "Jane Doe", "manager_email": "mona.manager@example.com"},
		"kind":     kind,
	}
	if kind != "involuntary" {
		b["last_day"] = daysFromNow(30)
	}
	for _, f := range fns {
		f(b)
	}
	return b
}

// open creates a case with the HR token and fails the test unless 201.
func (h *harness) open(email, kind string) caseBody {
	h.tb.Helper()
	r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: newCase(email, kind)})
	if r.status != http.StatusCreated {
		h.tb.Fatalf("open %s: status %d: %s", email, r.status, r.body)
	}
	return r.caseBody(h.tb)
}
