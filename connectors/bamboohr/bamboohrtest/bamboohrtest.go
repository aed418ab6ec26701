// Package bamboohrtest is a fake BambooHR company, written from
// BambooHR's published contract. Its API serves the endpoints offboard
// reads: GET /{subdomain}/v1/employees/changed/?since=…,
// GET /{subdomain}/v1/employees/{id}?fields=… (reconciliation and
// event-based webhooks) and POST /{subdomain}/v1/reports/custom?format=JSON
// (the directory of managers). Like BambooHR it takes HTTP Basic auth
// with the API key as the user name and any password ("x" by
// convention), refuses another key with 401, answers 404 for an unknown
// employee, and answers JSON. It also builds signed webhook deliveries
// as BambooHR sends them (webhook.go). It imports only the standard
// library.
package bamboohrtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Key is the API key the fake accepts; Subdomain is its company.
const (
	Key       = "test-bamboohr-api-key"
	Subdomain = "acme"
	// CompanyID is the company id event-based deliveries carry.
	CompanyID = "4271"
)

// Employee is one employee record. Fields are BambooHR field names
// ("workEmail", "employmentHistoryStatus", "terminationDate", …); a
// field absent here is answered as null.
type Employee struct {
	ID      string
	Fields  map[string]string
	Changed time.Time // lastChanged; zero means when added
}

// Request is one recorded request.
type Request struct {
	Method, Path, Query string
	Status              int
}

// Server is a fake BambooHR company. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server
	t   testing.TB

	mu        sync.Mutex
	employees map[string]*Employee
	requests  []Request
	fail      int    // status for every request when set
	echo      bool   // failures quote the request
	key       string // accepted API key (default Key)
	delay     time.Duration
}

// New starts a fake closed when t's test ends.
func New(t testing.TB) *Server {
	s := &Server{employees: map[string]*Employee{}, key: Key, t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to pass as the API base (the subdomain follows it).
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddEmployee adds or replaces an employee.
func (s *Server) AddEmployee(e Employee) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Changed.IsZero() {
		e.Changed = time.Now().UTC()
	}
	f := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		f[k] = v
	}
	e.Fields = f
	s.employees[e.ID] = &e
}

// Fail makes every later request answer status (0 clears it).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	s.fail = status
	s.mu.Unlock()
}

// FailEcho is Fail whose answers quote the request, its Authorization
// header (the API key, base64 in Basic auth) included, as some gateways
// do in their error pages.
func (s *Server) FailEcho(status int) {
	s.mu.Lock()
	s.fail, s.echo = status, status != 0
	s.mu.Unlock()
}

// Delay makes every later request wait d before it is answered (0
// clears it), as a slow or hung API would.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetKey makes the fake accept key as the API key instead of Key.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	status := s.route(w, r)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return status
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) int {
	if user, _, ok := r.BasicAuth(); !ok || user != s.key {
		w.Header().Set("WWW-Authenticate", `Basic realm="BambooHR"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return http.StatusUnauthorized
	}
	if s.fail != 0 {
		if s.fail == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		msg := http.StatusText(s.fail)
		if s.echo {
			msg += fmt.Sprintf(": %s %s Authorization: %s", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
		}
		http.Error(w, msg, s.fail)
		return s.fail
	}
	if r.Header.Get("Accept") != "application/json" {
		// BambooHR answers XML without it; the fake refuses instead.
		http.Error(w, "send Accept: application/json", http.StatusNotAcceptable)
		return http.StatusNotAcceptable
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 4 && parts[0] == Subdomain && parts[1] == "v1" && parts[2] == "reports" && parts[3] == "custom" {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return http.StatusMethodNotAllowed
		}
		return s.report(w, r)
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return http.StatusMethodNotAllowed
	}
	if len(parts) < 3 || parts[0] != Subdomain || parts[1] != "v1" || parts[2] != "employees" {
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	switch {
	case len(parts) == 4 && parts[3] == "changed":
		return s.changed(w, r)
	case len(parts) == 4:
		return s.employee(w, r, parts[3])
	}
	http.NotFound(w, r)
	return http.StatusNotFound
}

func (s *Server) changed(w http.ResponseWriter, r *http.Request) int {
	since, err := time.Parse(time.RFC3339, r.URL.Query().Get("since"))
	if err != nil {
		http.Error(w, "since must be an ISO 8601 time", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	type entry struct {
		ID          string `json:"id"`
		Action      string `json:"action"`
		LastChanged string `json:"lastChanged"`
	}
	out := map[string]entry{}
	for id, e := range s.employees {
		if e.Changed.Before(since) {
			continue
		}
		out[id] = entry{ID: id, Action: "Updated", LastChanged: e.Changed.UTC().Format(time.RFC3339)}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"latest": time.Now().UTC().Format(time.RFC3339), "employees": out})
}

func (s *Server) employee(w http.ResponseWriter, r *http.Request, id string) int {
	e, ok := s.employees[id]
	if !ok {
		http.NotFound(w, r)
		return http.StatusNotFound
	}
	out := map[string]any{"id": id}
	for _, name := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if v, ok := e.Fields[name]; ok {
			out[name] = v
		} else {
			out[name] = nil
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// report answers a custom report: the requested fields of every
// employee, or only of current (not "Inactive") ones with onlyCurrent.
func (s *Server) report(w http.ResponseWriter, r *http.Request) int {
	if r.URL.Query().Get("format") != "JSON" {
		http.Error(w, "format must be JSON", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	var body struct {
		Fields []string `json:"fields"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || len(body.Fields) == 0 {
		http.Error(w, "the body must be JSON with a list of fields", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	current := r.URL.Query().Get("onlyCurrent") == "true"
	ids := make([]string, 0, len(s.employees))
	for id := range s.employees {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fields := []map[string]string{}
	for _, f := range body.Fields {
		fields = append(fields, map[string]string{"id": f, "type": "text", "name": f})
	}
	rows := []map[string]any{}
	for _, id := range ids {
		e := s.employees[id]
		if current && strings.EqualFold(e.Fields["status"], "Inactive") {
			continue
		}
		row := map[string]any{"id": id}
		for _, f := range body.Fields {
			if v, ok := e.Fields[f]; ok {
				row[f] = v
			} else {
				row[f] = nil
			}
		}
		rows = append(rows, row)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"title": "offboard directory", "fields": fields, "employees": rows})
}
