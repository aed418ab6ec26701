package hris_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/bamboohr"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	"github.com/offboard-dev/offboard/connectors/hris"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

// newEventEnv is newEnv with the intake reading employees from fake's
// API with key (no API client when key is "").
func newEventEnv(t *testing.T, fake *bamboohrtest.Server, key string, opts ...bamboohr.Option) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := offboard.ClockFunc(func() time.Time { return now })
	eng := flowstest.New(t, flowstest.Options{Store: db, Clock: clock})
	cfg := config.Default().HRIS
	cfg.BambooHR.WebhookSecret = secret
	var api offboard.HRRecordReader
	if key != "" {
		cfg.BambooHR.APIKey, cfg.BambooHR.Subdomain = config.Secret(key), bamboohrtest.Subdomain
		client, err := bamboohr.New(cfg.BambooHR, append([]bamboohr.Option{bamboohr.WithBaseURL(fake.URL()), bamboohr.WithClock(clock)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		api = client
	}
	e := &env{engine: eng, db: db}
	e.in, err = hris.New(hris.Options{Engine: eng, Config: cfg, Clock: clock, BambooHRAPI: api,
		Audit: offboard.AuditFunc(func(_ context.Context, ev offboard.AuditEvent) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.audits = append(e.audits, ev)
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// An event-based delivery (BambooHR's recommended kind) carries only the
// employee id: offboard reads the employee from the API and opens the
// case; the same event again opens nothing twice.
func TestBambooHR_EventBased(t *testing.T) {
	for _, c := range []bamboohrtest.WebhookConfig{{PrivateKey: secret}, {PrivateKey: secret, Form: true, ISOTimestamp: true}} {
		t.Run(map[bool]string{false: "json", true: "form"}[c.Form], func(t *testing.T) {
			fake := bamboohrtest.New(t)
			fake.AddEmployee(terminatedJane())
			e := newEventEnv(t, fake, bamboohrtest.Key)
			d := fake.EventBased(c, now, "employee.updated", "4012", "employmentHistoryStatus")
			w, resp := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
			if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || resp.Cases[0].EmployeeID != "4012" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			cs := e.cases(t)
			if len(cs) != 1 {
				t.Fatalf("%d cases", len(cs))
			}
			got := cs[0].Case
			if got.Employee.Email != "jane@example.com" || got.Employee.Name != "Jane Doe" || got.Employee.ManagerEmail != "mona@example.com" ||
				got.Kind != offboard.Involuntary || got.LastDay != "2026-11-26" || got.SourceRef != "4012" || got.Employee.Title != "Engineer" {
				t.Errorf("case %+v", got)
			}
			reqs := fake.Requests()
			if len(reqs) != 1 || reqs[0].Method != http.MethodGet || !strings.HasSuffix(strings.TrimSuffix(reqs[0].Path, "/"), "/v1/employees/4012") ||
				!strings.Contains(reqs[0].Query, "workEmail") || reqs[0].Status != http.StatusOK {
				t.Errorf("API requests %+v", reqs)
			}
			w, resp = serve(e.in.BambooHR(), fake.EventBased(c, now.Add(time.Minute), "employee.updated", "4012", "status").
				Request("/webhooks/bamboohr"))
			if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || !resp.Cases[0].Duplicate {
				t.Errorf("repeat: %d %s", w.Code, w.Body)
			}
		})
	}
}

// Without an API key an event-based delivery cannot be acted on: 422
// naming the setting, audited, nothing opened.
func TestBambooHR_EventBasedNoAPIKey(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(terminatedJane())
	e := newEnv(t, nil)
	d := fake.EventBased(bamboohrtest.WebhookConfig{PrivateKey: secret}, now, "employee.updated", "4012", "status")
	w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "hris.bamboohr.api_key") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(e.audits) != 1 || !strings.Contains(e.audits[0].Detail, "hris.bamboohr.api_key") {
		t.Errorf("audits %+v", e.audits)
	}
	if n := len(e.cases(t)); n != 0 || len(fake.Requests()) != 0 {
		t.Errorf("%d cases, %d API requests", n, len(fake.Requests()))
	}
}

// What the API answers decides the reply: an unknown employee is a 422
// naming the id, a failing API a 503 so BambooHR retries, an employee
// who is not terminated a 422 naming why; created and deleted events
// are 422 naming why without reading the API.
func TestBambooHR_EventBasedAPIAnswers(t *testing.T) {
	cfg := bamboohrtest.WebhookConfig{PrivateKey: secret}
	tests := []struct {
		name     string
		event    string
		id       string
		fail     int
		key      string
		status   int
		contains string
		requests int
	}{
		{"unknown employee", "employee.updated", "9999", 0, bamboohrtest.Key, http.StatusUnprocessableEntity, "9999", 1},
		{"API 500", "employee.updated", "4012", http.StatusInternalServerError, bamboohrtest.Key, http.StatusServiceUnavailable, "retry", 1},
		{"API 429", "employee.updated", "4012", http.StatusTooManyRequests, bamboohrtest.Key, http.StatusServiceUnavailable, "retry", 1},
		{"key refused", "employee.updated", "4012", 0, "wrong-key-0000", http.StatusServiceUnavailable, "hris.bamboohr.api_key", 1},
		{"not terminated", "employee.updated", "55", 0, bamboohrtest.Key, http.StatusUnprocessableEntity,
			`55 (not terminated: employmentHistoryStatus "Full-Time", status "Active"`, 1},
		{"created", "employee.created", "4012", 0, bamboohrtest.Key, http.StatusUnprocessableEntity, "employee.created", 0},
		{"deleted", "employee.deleted", "4012", 0, bamboohrtest.Key, http.StatusUnprocessableEntity, "employee.deleted", 0},
		{"unknown event", "employee.promoted", "4012", 0, bamboohrtest.Key, http.StatusUnprocessableEntity, "employee.promoted", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := bamboohrtest.New(t)
			fake.AddEmployee(terminatedJane())
			fake.AddEmployee(bamboohrtest.Employee{ID: "55", Fields: map[string]string{
				"workEmail": "stay@example.com", "status": "Active", "employmentHistoryStatus": "Full-Time"}})
			e := newEventEnv(t, fake, tt.key)
			fake.Fail(tt.fail)
			d := fake.EventBased(cfg, now, tt.event, tt.id, "status")
			w, resp := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
			if w.Code != tt.status || resp.Error == nil || !strings.Contains(resp.Error.Message, tt.contains) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "wrong-key-0000") || strings.Contains(w.Body.String(), bamboohrtest.Key) {
				t.Errorf("the answer carries the API key: %s", w.Body)
			}
			if n := len(fake.Requests()); n != tt.requests {
				t.Errorf("%d API requests, want %d", n, tt.requests)
			}
			if n := len(e.cases(t)); n != 0 {
				t.Errorf("%d cases", n)
			}
			if tt.status == http.StatusUnprocessableEntity && len(e.audits) != 1 {
				t.Errorf("%d audit events, want 1", len(e.audits))
			}
			if tt.status == http.StatusServiceUnavailable {
				// Once BambooHR's API answers again, the retry opens the case.
				fake.Fail(0)
				if tt.key != bamboohrtest.Key {
					return
				}
				w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
				if w.Code != http.StatusAccepted || len(e.cases(t)) != 1 {
					t.Errorf("retry: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// An event-based delivery is signed like any other: a forged one is
// refused before the API is read.
func TestBambooHR_EventBasedForged(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(terminatedJane())
	e := newEventEnv(t, fake, bamboohrtest.Key)
	d := fake.EventBased(bamboohrtest.WebhookConfig{PrivateKey: "not-our-key"}, now, "employee.updated", "4012", "status")
	if w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr")); w.Code != http.StatusUnauthorized {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d API requests for a forged delivery", n)
	}
}

// A hung BambooHR API is a 503 once the client's time runs out, so
// BambooHR retries; an employee id that is no id is refused before any
// API call.
func TestBambooHR_EventBasedAPITimeoutAndBadID(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(terminatedJane())
	e := newEventEnv(t, fake, bamboohrtest.Key, bamboohr.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	fake.Delay(2 * time.Second)
	cfg := bamboohrtest.WebhookConfig{PrivateKey: secret}
	w, _ := serve(e.in.BambooHR(), fake.EventBased(cfg, now, "employee.updated", "4012", "status").Request("/webhooks/bamboohr"))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("hung API: %d %s", w.Code, w.Body)
	}
	fake.Delay(0)
	for _, id := range []string{"..", "4012/../../x", "a b", strings.Repeat("9", 65)} {
		w, _ := serve(e.in.BambooHR(), fake.EventBased(cfg, now, "employee.updated", id, "status").Request("/webhooks/bamboohr"))
		if w.Code != http.StatusBadRequest {
			t.Errorf("id %q: %d %s", id, w.Code, w.Body)
		}
	}
	// The hung request for 4012 is recorded when the fake's delay ends,
	// which may be now: only requests for another employee count.
	for _, r := range fake.Requests() {
		if !strings.HasSuffix(r.Path, "/employees/4012/") {
			t.Errorf("API called for a bad id: %+v", r)
		}
	}
	if c := len(e.cases(t)); c != 0 {
		t.Errorf("%d cases", c)
	}
}
