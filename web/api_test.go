package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/web"
)

func TestServer_CreateCase(t *testing.T) {
	h := newHarness(t)

	t.Run("involuntary is confidential and revokes at once", func(t *testing.T) {
		r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken,
			body: newCase("jane.doe@example.com", "involuntary")})
		if r.status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		c := r.caseBody(t)
		if !c.Case.Confidential || c.Case.Kind != offboard.Involuntary || c.Case.Status != offboard.CaseOpen {
			t.Errorf("case %+v", c.Case)
		}
		if c.Case.Source != "api" || c.Case.SourceRef != "workday-sync" || c.Case.Requester.Kind != offboard.ActorAPI {
			t.Errorf("source %q ref %q requester %+v", c.Case.Source, c.Case.SourceRef, c.Case.Requester)
		}
		if got := r.header.Get("Location"); got != "/api/v1/cases/"+string(c.Case.ID) {
			t.Errorf("Location %q", got)
		}
		running := 0
		for _, tk := range c.Tasks {
			if tk.IsRevocation() && tk.Status == offboard.TaskRunning {
				running++
			}
		}
		if running == 0 {
			t.Errorf("no running revocation task in %s", r.body)
		}
		if c.Message == "" || c.Approvals == nil {
			t.Errorf("message %q approvals %v", c.Message, c.Approvals)
		}
		if h.wakes.Load() == 0 {
			t.Error("runner not woken")
		}
	})

	t.Run("Idempotency-Key makes a repeat a duplicate", func(t *testing.T) {
		req := request{method: "POST", path: "/api/v1/cases", token: hrToken,
			body:   newCase("john.roe@example.com", "voluntary"),
			header: map[string]string{"Idempotency-Key": "evt-42"}}
		first := h.do(req)
		if first.status != http.StatusCreated {
			t.Fatalf("first: status %d: %s", first.status, first.body)
		}
		wakes := h.wakes.Load()
		second := h.do(req)
		if second.status != http.StatusOK {
			t.Fatalf("second: status %d: %s", second.status, second.body)
		}
		a, b := first.caseBody(t), second.caseBody(t)
		if !b.Duplicate || a.Duplicate || a.Case.ID != b.Case.ID {
			t.Errorf("first %s dup=%v, second %s dup=%v", a.Case.ID, a.Duplicate, b.Case.ID, b.Duplicate)
		}
		if h.wakes.Load() != wakes {
			t.Error("runner woken for a duplicate")
		}
		// The same key for someone else is a conflict, not a quiet success.
		req.body = newCase("other.person@example.com", "voluntary")
		if r := h.do(req); r.status != http.StatusConflict {
			t.Errorf("key reused for another person: status %d: %s", r.status, r.body)
		}
	})

	t.Run("body dedupe_key wins over the header", func(t *testing.T) {
		body := newCase("kim.lee@example.com", "retirement", func(m map[string]any) { m["dedupe_key"] = "k-1" })
		first := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: body,
			header: map[string]string{"Idempotency-Key": "h-1"}})
		second := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: body,
			header: map[string]string{"Idempotency-Key": "h-2"}})
		if first.status != http.StatusCreated || second.status != http.StatusOK || !second.caseBody(t).Duplicate {
			t.Errorf("statuses %d, %d: %s", first.status, second.status, second.body)
		}
	})

	t.Run("batch is kept on the case", func(t *testing.T) {
		body := newCase("bo.batch@example.com", "involuntary", func(m map[string]any) { m["batch"] = " layoff-7 " })
		r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: body})
		if r.status != http.StatusCreated || r.caseBody(t).Case.Batch != "layoff-7" {
			t.Errorf("status %d: %s", r.status, r.body)
		}
	})

	t.Run("a second open case for a person conflicts", func(t *testing.T) {
		r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: newCase("jane.doe@example.com", "voluntary")})
		if r.status != http.StatusConflict || r.errorBody(t).Error.Code != offboard.ECONFLICT {
			t.Errorf("status %d: %s", r.status, r.body)
		}
	})
}

func TestServer_Auth(t *testing.T) {
	h := newHarness(t)
	off := newHarness(t, func(o *web.Options) { o.Tokens = nil })
	create := func(token, email string) request {
		return request{method: "POST", path: "/api/v1/cases", token: token, body: newCase(email, "involuntary")}
	}
	tests := []struct {
		name        string
		h           *harness
		req         request
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"finance may not open", h, create(financeToken, "fin@example.com"), http.StatusForbidden, offboard.EFORBIDDEN, "may not open"},
		{"missing token", h, create("", "a@example.com"), http.StatusUnauthorized, "unauthorized", "missing or unknown bearer token"},
		{"wrong token", h, create("hr-7c1f0a9e3b5d4e2f8a6c", "b@example.com"), http.StatusUnauthorized, "unauthorized", "missing or unknown bearer token"},
		{"token prefix", h, create(hrToken[:10], "c@example.com"), http.StatusUnauthorized, "unauthorized", "missing or unknown bearer token"},
		{"basic scheme", h, request{method: "GET", path: "/api/v1/cases", header: map[string]string{"Authorization": "Basic " + hrToken}}, http.StatusUnauthorized, "unauthorized", "missing or unknown"},
		{"lower-case scheme", h, request{method: "GET", path: "/api/v1/cases", header: map[string]string{"Authorization": "bearer " + hrToken}}, http.StatusOK, "", ""},
		{"no tokens configured", off, create(hrToken, "d@example.com"), http.StatusUnauthorized, "unauthorized", "the REST API is off: no api.tokens configured"},
		{"no tokens configured, list", off, request{method: "GET", path: "/api/v1/cases"}, http.StatusUnauthorized, "unauthorized", "REST API is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.h.do(tt.req)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantCode == "" {
				return
			}
			e := r.errorBody(t)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMessage) {
				t.Errorf("error %+v, want %s %q", e.Error, tt.wantCode, tt.wantMessage)
			}
			if tt.wantStatus == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// The refused open left no case behind.
	r := h.do(request{method: "GET", path: "/api/v1/cases?email=fin@example.com", token: hrToken})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"cases":[]`)) {
		t.Errorf("after a refused open: status %d: %s", r.status, r.body)
	}
}

func TestServer_CreateCaseValidation(t *testing.T) {
	h := newHarness(t)
	post := func(body any) request {
		return request{method: "POST", path: "/api/v1/cases", token: hrToken, body: body}
	}
	with := func(f func(map[string]any)) request { return post(newCase("val@example.com", "voluntary", f)) }
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantMsg    string
	}{
		{"malformed JSON", post(`{"employee": {"email": "x@example.com",}`), 400, "malformed JSON at byte offset 40"},
		{"truncated JSON", post(`{"employee": {"email": "x@`), 400, "ends in the middle"},
		{"empty body", post(``), 400, "body is empty"},
		{"not an object", post(`["a"]`), 400, "must be a JSON object"},
		{"two objects", post(`{"kind":"voluntary"} {"kind":"voluntary"}`), 400, "one JSON object"},
		{"unknown field", with(func(m map[string]any) { m["lastday"] = "2030-01-01" }), 400, `unknown field "lastday"`},
		{"unknown employee field", with(func(m map[string]any) { m["employee"].(map[string]any)["mail"] = "x" }), 400, `unknown field "employee.mail"`},
		{"wrong type", with(func(m map[string]any) { m["confidential"] = "yes" }), 400, "field confidential must be true or false"},
		{"missing email", with(func(m map[string]any) { delete(m["employee"].(map[string]any), "email") }), 422, "employee.email is required"},
		{"bad email", with(func(m map[string]any) { m["employee"].(map[string]any)["email"] = "jane" }), 422, `employee email "jane" is not an email address`},
		{"missing kind", with(func(m map[string]any) { delete(m, "kind") }), 422, "kind is required"},
		{"bad kind", with(func(m map[string]any) { m["kind"] = "fired" }), 422, `unknown departure kind "fired"`},
		{"voluntary without last_day", with(func(m map[string]any) { delete(m, "last_day") }), 422, "needs a last day"},
		{"last day in the past", with(func(m map[string]any) { m["last_day"] = "2001-02-03" }), 422, "last day 2001-02-03 is in the past"},
		{"last day not a date", with(func(m map[string]any) { m["last_day"] = "soon" }), 422, `last day "soon" is not a date`},
		{"bad effective_at", with(func(m map[string]any) { m["effective_at"] = "tomorrow" }), 422, "effective_at \"tomorrow\" is not an RFC 3339 time"},
		{"bad time zone", with(func(m map[string]any) { m["employee"].(map[string]any)["time_zone"] = "Mars/Base" }), 422, `unknown time zone "Mars/Base"`},
		{"unknown playbook", with(func(m map[string]any) { m["playbook"] = "nope" }), 422, `unknown playbook "nope"`},
		{"long dedupe key", with(func(m map[string]any) { m["dedupe_key"] = strings.Repeat("k", 201) }), 400, "dedupe_key is longer than 200 bytes"},
		{"long batch", with(func(m map[string]any) { m["batch"] = strings.Repeat("b", 201) }), 400, "batch is longer than 200 bytes"},
		{"body over 1 MiB", with(func(m map[string]any) { m["notes"] = strings.Repeat("n", 1<<20) }), 413, "larger than 1048576 bytes"},
		{"text/plain", request{method: "POST", path: "/api/v1/cases", token: hrToken, contentType: "text/plain", body: `{}`}, 415, "Content-Type must be application/json"},
		{"no content type", request{method: "POST", path: "/api/v1/cases", token: hrToken, contentType: " ", body: `{}`}, 415, "Content-Type must be application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.req)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if e := r.errorBody(t); !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", e.Error.Message, tt.wantMsg)
			}
		})
	}
	// JSON with a charset parameter is fine.
	r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, contentType: "application/json; charset=utf-8",
		body: newCase("val@example.com", "voluntary")})
	if r.status != http.StatusCreated {
		t.Errorf("with charset: status %d: %s", r.status, r.body)
	}
}

// A key given twice (encoding/json lets the last win) or in another case
// ("EMAIL" would fill email) is refused, naming the key.
func TestServer_CreateCaseStrictKeys(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ name, body, want string }{
		{"duplicate key", `{"employee":{"email":"dup@example.com"},"kind":"voluntary","kind":"involuntary"}`,
			`field "kind" is given twice`},
		{"duplicate nested key", `{"employee":{"email":"a@example.com","email":"b@example.com"},"kind":"involuntary"}`,
			`field "employee.email" is given twice`},
		{"upper-case key", `{"employee":{"EMAIL":"up@example.com"},"kind":"involuntary"}`,
			`unknown field "employee.EMAIL"`},
		{"capitalised key", `{"employee":{"email":"cap@example.com"},"Kind":"involuntary"}`,
			`unknown field "Kind"`},
		// 1 MB of "[" once took 24 GB in the key check and got offboard killed.
		{"deep nesting", strings.Repeat("[", 100) + strings.Repeat("]", 100),
			`nests deeper than 64 levels`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: tt.body})
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d: %.300s", r.status, r.body)
			}
			if e := r.errorBody(t); !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("message %q, want %q", e.Error.Message, tt.want)
			}
		})
	}
	r := h.do(request{method: "GET", path: "/api/v1/cases?status=open", token: hrToken})
	if !bytes.Contains(r.body, []byte(`"cases":[]`)) {
		t.Errorf("a refused body opened a case: %.300s", r.body)
	}
}

// A create the API refuses is never quiet: 400 when malformed, 422 when
// well-formed but unusable, a warning in the log and an audit event
// (the engine's own, or api.rejected for what web refused first).
func TestServer_CreateCaseRefusalAudited(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		name, body string
		status     int
		action     string
	}{
		{"malformed", `{"employee":`, 400, "api.rejected"},
		{"missing email", `{"employee":{"name":"No Mail"},"kind":"involuntary"}`, 422, "api.rejected"},
		{"engine refusal", `{"employee":{"email":"v@example.com"},"kind":"voluntary"}`, 422, "command.refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before int
			_ = h.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(*offboard.AuditEvent) error { before++; return nil })
			r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: tt.body})
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tt.status, r.body)
			}
			var evs []offboard.AuditEvent
			_ = h.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error { evs = append(evs, *e); return nil })
			if len(evs) != before+1 || evs[len(evs)-1].Action != tt.action || evs[len(evs)-1].Outcome != offboard.OutcomeRefused {
				t.Errorf("audit after %d: %+v", before, evs)
			}
		})
	}
	if n := strings.Count(h.logs.String(), "api: case not opened"); n != 3 {
		t.Errorf("%d warnings in the log, want 3:\n%s", n, h.logs.String())
	}
}

func TestServer_Cases(t *testing.T) {
	h := newHarness(t)
	jane := h.open("jane.doe@example.com", "voluntary")
	john := h.open("john.roe@example.com", "involuntary")

	t.Run("get", func(t *testing.T) {
		tests := []struct {
			name       string
			path       string
			token      string
			wantStatus int
			wantID     offboard.CaseID
		}{
			{"by id", "/api/v1/cases/" + string(jane.Case.ID), hrToken, 200, jane.Case.ID},
			{"short id", "/api/v1/cases/2", hrToken, 200, john.Case.ID},
			{"unknown", "/api/v1/cases/OFF-9999", hrToken, 404, ""},
			{"not an id", "/api/v1/cases/banana", hrToken, 404, ""},
			{"finance sees a normal case", "/api/v1/cases/" + string(jane.Case.ID), financeToken, 200, jane.Case.ID},
			{"finance cannot see a confidential case", "/api/v1/cases/" + string(john.Case.ID), financeToken, 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := h.do(request{method: "GET", path: tt.path, token: tt.token})
				if r.status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
				}
				if tt.wantID != "" {
					if c := r.caseBody(t); c.Case.ID != tt.wantID || len(c.Tasks) == 0 {
						t.Errorf("got %s with %d tasks", c.Case.ID, len(c.Tasks))
					}
				}
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		tests := []struct {
			name       string
			query      string
			token      string
			wantStatus int
			wantIDs    []offboard.CaseID
			wantMsg    string
		}{
			{"open by default, newest first", "", hrToken, 200, []offboard.CaseID{john.Case.ID, jane.Case.ID}, ""},
			{"status open", "?status=open", hrToken, 200, []offboard.CaseID{john.Case.ID, jane.Case.ID}, ""},
			{"limit", "?limit=1", hrToken, 200, []offboard.CaseID{john.Case.ID}, ""},
			{"completed", "?status=completed", hrToken, 200, nil, ""},
			{"finance sees no confidential case", "", financeToken, 200, []offboard.CaseID{jane.Case.ID}, ""},
			{"email", "?email=jane.doe@example.com", hrToken, 200, []offboard.CaseID{jane.Case.ID}, ""},
			{"email in capitals", "?email=JANE.DOE@example.com", hrToken, 200, []offboard.CaseID{jane.Case.ID}, ""},
			{"email with status", "?email=jane.doe@example.com&status=cancelled", hrToken, 200, nil, ""},
			{"unknown email", "?email=nobody@example.com", hrToken, 200, nil, ""},
			{"bad status", "?status=closed", hrToken, 400, nil, `unknown case status "closed"`},
			{"bad limit", "?limit=-1", hrToken, 400, nil, "limit must be a number from 1 to 500"},
			{"unknown parameter", "?stauts=open", hrToken, 400, nil, `unknown query parameter "stauts"`},
			{"repeated parameter", "?status=open&status=completed", hrToken, 400, nil, "give it once"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := h.do(request{method: "GET", path: "/api/v1/cases" + tt.query, token: tt.token})
				if r.status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
				}
				if tt.wantMsg != "" {
					if e := r.errorBody(t); !strings.Contains(e.Error.Message, tt.wantMsg) {
						t.Errorf("message %q, want %q", e.Error.Message, tt.wantMsg)
					}
					return
				}
				var got struct{ Cases []caseBody }
				if err := json.Unmarshal(r.body, &got); err != nil || got.Cases == nil {
					t.Fatalf("body %s (%v)", r.body, err)
				}
				var ids []offboard.CaseID
				for _, c := range got.Cases {
					ids = append(ids, c.Case.ID)
				}
				if len(ids) != len(tt.wantIDs) || (len(ids) > 0 && !equalIDs(ids, tt.wantIDs)) {
					t.Errorf("ids %v, want %v", ids, tt.wantIDs)
				}
			})
		}
	})

	t.Run("cancel", func(t *testing.T) {
		path := "/api/v1/cases/" + string(jane.Case.ID) + "/cancel"
		tests := []struct {
			name       string
			req        request
			wantStatus int
			wantMsg    string
		}{
			{"finance may not", request{method: "POST", path: path, token: financeToken, body: map[string]string{"reason": "x"}}, 403, "may not cancel"},
			{"without a reason", request{method: "POST", path: path, token: hrToken, body: map[string]string{}}, 422, "a reason is required"},
			{"with an empty body", request{method: "POST", path: path, token: hrToken}, 422, "a reason is required"},
			{"unknown field", request{method: "POST", path: path, token: hrToken, body: `{"why":"x"}`}, 400, `unknown field "why"`},
			{"unknown case", request{method: "POST", path: "/api/v1/cases/OFF-0404/cancel", token: hrToken, body: map[string]string{"reason": "x"}}, 404, "no case OFF-0404"},
			{"with a reason", request{method: "POST", path: path, token: hrToken, body: map[string]string{"reason": "she stays"}}, 200, ""},
			{"twice", request{method: "POST", path: path, token: hrToken, body: map[string]string{"reason": "again"}}, 409, "already cancelled"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := h.do(tt.req)
				if r.status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
				}
				if tt.wantMsg != "" {
					if e := r.errorBody(t); !strings.Contains(e.Error.Message, tt.wantMsg) {
						t.Errorf("message %q, want %q", e.Error.Message, tt.wantMsg)
					}
					return
				}
				if c := r.caseBody(t); c.Case.Status != offboard.CaseCancelled || c.Case.CancelReason != "she stays" {
					t.Errorf("case %s status %s reason %q", c.Case.ID, c.Case.Status, c.Case.CancelReason)
				}
			})
		}
		r := h.do(request{method: "GET", path: "/api/v1/cases?status=cancelled", token: hrToken})
		if !bytes.Contains(r.body, []byte(jane.Case.ID)) {
			t.Errorf("cancelled list: %s", r.body)
		}
	})
}

func equalIDs(a, b []offboard.CaseID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestServer_AccessLogHidesTokens(t *testing.T) {
	h := newHarness(t)
	h.open("jane.doe@example.com", "involuntary")
	h.do(request{method: "GET", path: "/api/v1/cases?email=jane.doe@example.com", token: hrToken})
	h.do(request{method: "GET", path: "/api/v1/cases", token: "not-a-token-3f9a"})
	h.do(request{method: "POST", path: "/api/v1/cases", token: financeToken, body: newCase("x@example.com", "involuntary")})
	h.do(request{method: "GET", path: "/api/v1/cases", header: map[string]string{"Authorization": "Basic " + adminToken}})
	h.srv.Close() // every log line is written

	logs := h.logs.String()
	for _, secret := range []string{hrToken, financeToken, adminToken, "not-a-token-3f9a", "Bearer", "Authorization", "jane.doe@example.com"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{`msg="http request"`, "method=POST", "path=/api/v1/cases", "status=201", "status=401", "status=403", "request_id=", "duration=", "actor=api:workday-sync"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// Access lines are at debug: at info, neither served requests nor a flood
// refused by a rate limit (429, which the limiter summarises) write one.
// A server error still does, as a warning.
func TestServer_AccessLogAtDebug(t *testing.T) {
	logs := &syncBuffer{}
	h := newHarness(t, func(o *web.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	h.web.Mount("POST /flood", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	h.web.Mount("GET /broken", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	for range 20 {
		h.do(request{method: "POST", path: "/flood"})
	}
	h.do(request{method: "GET", path: "/api/v1/cases", token: hrToken})
	h.do(request{method: "GET", path: "/broken"})
	h.srv.Close()
	if n := strings.Count(logs.String(), `msg="http request"`); n != 1 {
		t.Errorf("%d access-log lines at info level, want only the 502's:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "status=502") {
		t.Errorf("the server error was not logged as a warning:\n%s", logs)
	}
}

// A batch name with a control character is refused (it is part of the
// batch's key in the store, and shown), as is one past 200 bytes.
func TestServer_CreateCaseBatchName(t *testing.T) {
	h := newHarness(t)
	for _, batch := range []string{"lay\x00off", "lay\noff", strings.Repeat("b", 201)} {
		r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken,
			body: newCase("jane.doe@example.com", "involuntary", func(b map[string]any) { b["batch"] = batch })})
		if r.status != http.StatusBadRequest {
			t.Errorf("batch %q: %d %s, want 400", batch, r.status, r.body)
		}
	}
}
