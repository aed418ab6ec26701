package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/web"
)

func TestServer_Healthz(t *testing.T) {
	tests := []struct {
		name       string
		ping       func(context.Context) error // nil: the real store
		wantStatus int
		wantBody   map[string]string
	}{
		{name: "ok", wantStatus: http.StatusOK, wantBody: map[string]string{"status": "ok", "version": "test"}},
		{
			name:       "store fails",
			ping:       func(context.Context) error { return errors.New("store /secret/path: meta bucket is missing") },
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   map[string]string{"status": "unavailable", "error": "store: not reachable; see the offboard log"},
		},
		{
			name: "store hangs",
			ping: func(ctx context.Context) error {
				time.Sleep(3 * time.Second) // ignores ctx, as a stuck read would
				return nil
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   map[string]string{"status": "unavailable", "error": "store: no answer within 2s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *web.Options) {
				if tt.ping != nil {
					o.Ping = tt.ping
				}
			})
			start := time.Now()
			r := h.do(request{method: "GET", path: "/healthz"})
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if d := time.Since(start); d > 2500*time.Millisecond {
				t.Errorf("healthz took %s", d)
			}
			var got map[string]string
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.wantBody {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (body %s)", k, got[k], v, r.body)
				}
			}
			if strings.Contains(string(r.body), "/secret/path") {
				t.Errorf("healthz leaks internal detail: %s", r.body)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
		})
	}
}

func TestServer_Routing(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
		wantAllow  string
	}{
		{"unknown route", request{method: "GET", path: "/nope"}, http.StatusNotFound, "not_found", ""},
		{"unknown api route", request{method: "GET", path: "/api/v1/people", token: hrToken}, http.StatusNotFound, "not_found", ""},
		{"wrong method on healthz", request{method: "POST", path: "/healthz"}, http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"wrong method on a case", request{method: "DELETE", path: "/api/v1/cases/OFF-0001", token: hrToken}, http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"wrong method on cancel", request{method: "GET", path: "/api/v1/cases/OFF-0001/cancel", token: hrToken}, http.StatusMethodNotAllowed, "method_not_allowed", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.req)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if e := r.errorBody(t); e.Error.Code != tt.wantCode {
				t.Errorf("code %q, want %q", e.Error.Code, tt.wantCode)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if got := r.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

func TestServer_Middleware(t *testing.T) {
	h := newHarness(t)

	t.Run("request id is generated and echoed", func(t *testing.T) {
		r := h.do(request{method: "GET", path: "/healthz"})
		if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(r.header.Get("X-Request-Id")) {
			t.Errorf("generated X-Request-Id %q", r.header.Get("X-Request-Id"))
		}
		r = h.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "abc-123"}})
		if got := r.header.Get("X-Request-Id"); got != "abc-123" {
			t.Errorf("X-Request-Id %q, want the caller's", got)
		}
		r = h.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\" level=ERROR"}})
		if got := r.header.Get("X-Request-Id"); strings.Contains(got, " ") {
			t.Errorf("unsafe X-Request-Id %q kept", got)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		r := h.do(request{method: "GET", path: "/api/v1/cases", token: hrToken})
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", r.header)
		}
		r = h.do(request{method: "GET", path: "/nope"})
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers %v", r.header)
		}
	})
}

func TestServer_Mount(t *testing.T) {
	s, err := web.New(web.Options{Engine: nopEngine{}, Ping: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	s.Mount("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	s.Mount("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(web.RequestID(r.Context())))
	}))
	h := serve(t, s.Handler())

	r := h.do(request{method: "GET", path: "/boom"})
	if r.status != http.StatusInternalServerError {
		t.Fatalf("panic: status %d: %s", r.status, r.body)
	}
	if e := r.errorBody(t); e.Error.Code != offboard.EINTERNAL || strings.Contains(e.Error.Message, "kaboom") {
		t.Errorf("panic answered %+v", e)
	}
	r = h.do(request{method: "GET", path: "/hello"})
	if r.status != http.StatusOK || string(r.body) != r.header.Get("X-Request-Id") {
		t.Errorf("mounted handler: status %d body %q id %q", r.status, r.body, r.header.Get("X-Request-Id"))
	}
}

func TestServer_PageNotFound(t *testing.T) {
	s, err := web.New(web.Options{Engine: nopEngine{}, Ping: func(context.Context) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	s.PageNotFound(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<h1>404 Not Found</h1>"))
	}))
	h := serve(t, s.Handler())
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	tests := []struct {
		name     string
		req      request
		wantHTML bool
	}{
		{"a browser's unknown page", request{method: "GET", path: "/cases-typo", header: browser}, true},
		{"an API client's unknown route", request{method: "GET", path: "/cases-typo"}, false},
		{"a browser under /api/", request{method: "GET", path: "/api/v1/people", header: browser}, false},
		{"a browser's post", request{method: "POST", path: "/cases-typo", header: browser}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.req)
			if r.status != http.StatusNotFound {
				t.Fatalf("status %d, want 404: %s", r.status, r.body)
			}
			html := strings.HasPrefix(r.header.Get("Content-Type"), "text/html")
			if html != tt.wantHTML {
				t.Errorf("Content-Type %q, want the page: %v (%s)", r.header.Get("Content-Type"), tt.wantHTML, r.body)
			}
		})
	}
}

func TestNew(t *testing.T) {
	ping := func(context.Context) error { return nil }
	tests := []struct {
		name    string
		opts    web.Options
		wantErr string
	}{
		{"no engine", web.Options{Ping: ping}, "no engine"},
		{"no ping", web.Options{Engine: nopEngine{}}, "no store ping"},
		{"token without name", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Secret: "s", Role: offboard.RoleHR}}}, "no name"},
		{"empty secret", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Name: "a", Role: offboard.RoleHR}}}, "empty secret"},
		{"bad role", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Name: "a", Secret: "s", Role: "root"}}}, `role "root"`},
		{"system role", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Name: "a", Secret: "s", Role: offboard.RoleSystem}}}, `role "system"`},
		{"same name", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Name: "a", Secret: "s", Role: offboard.RoleHR}, {Name: "a", Secret: "t", Role: offboard.RoleHR}}}, "used twice"},
		{"same secret", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: []web.Token{{Name: "a", Secret: "s", Role: offboard.RoleHR}, {Name: "b", Secret: "s", Role: offboard.RoleIT}}}, "same secret"},
		{"ok", web.Options{Engine: nopEngine{}, Ping: ping, Tokens: testTokens()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := web.New(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), `"s"`) {
				t.Errorf("error names a secret: %v", err)
			}
		})
	}
}

// nopEngine answers nothing; for tests that never reach the engine.
type nopEngine struct{}

func (nopEngine) Apply(context.Context, offboard.Command) (*offboard.Result, error) {
	return nil, errors.New("nop engine")
}

func (nopEngine) GetCase(context.Context, offboard.Actor, offboard.CaseID) (*offboard.CaseView, error) {
	return nil, errors.New("nop engine")
}

func (nopEngine) ListCases(context.Context, offboard.Actor, offboard.CaseStatus, int) ([]*offboard.CaseView, error) {
	return nil, errors.New("nop engine")
}

func (nopEngine) FindCases(context.Context, offboard.Actor, string) ([]*offboard.CaseView, error) {
	return nil, errors.New("nop engine")
}

func (nopEngine) CaseSummaries(context.Context, offboard.Actor, offboard.CaseStatus, time.Time, int) ([]*offboard.Case, error) {
	return nil, errors.New("nop engine")
}

func (nopEngine) CasesOpened(context.Context, offboard.Actor, time.Time, time.Time) ([]*offboard.Case, error) {
	return nil, errors.New("nop engine")
}
