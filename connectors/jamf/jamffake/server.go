// Package jamffake is a fake Jamf Pro server for tests (through jamftest)
// and the demo, written from Jamf's documented Jamf Pro API: an API client
// token endpoint (POST /api/oauth/token, client credentials; tokens
// expire, and ExpireTokens makes Jamf refuse the ones issued so the
// refresh path can be tested), the computers and mobile device
// inventories with their RSQL filter (only the operators offboard uses;
// any other filter is a 400 as Jamf answers), and MDM commands through
// POST and GET /api/v2/mdm/commands that stay PENDING until the test calls
// CheckIn with the device's serial. Every API route needs a token and the
// API role privilege Jamf documents for it (a missing one is 403). 429 and
// 503 can be injected; every request is recorded.
//
// Where Jamf's documentation is silent the fake says so in a comment and
// picks the plainest behaviour.
package jamffake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fixed credentials of the fake API client.
const (
	ClientID     = "0c2a7d3e-5f41-4b8e-9d6a-jamf-fake-client"
	ClientSecret = "fake-jamf-client-secret-value"
)

// The API role privileges offboard needs, as the README lists them.
const (
	PrivReadComputers     = "Read Computers"
	PrivReadMobileDevices = "Read Mobile Devices"
	PrivReadCommands      = "View MDM command information in Jamf Pro API"
	PrivComputerLock      = "Send Computer Remote Lock Command"
	PrivComputerWipe      = "Send Computer Remote Wipe Command"
	PrivMobileLock        = "Send Mobile Device Remote Lock Command"
	PrivMobileWipe        = "Send Mobile Device Remote Wipe Command"
)

// LeastPrivilege are the privileges the fake's API client holds by
// default.
var LeastPrivilege = []string{PrivReadComputers, PrivReadMobileDevices, PrivReadCommands,
	PrivComputerLock, PrivComputerWipe, PrivMobileLock, PrivMobileWipe}

// Computer is a computer in the fake inventory.
type Computer struct {
	// ID and ManagementID are assigned by AddComputer when empty.
	ID           string
	ManagementID string
	// Unenrolled computers are inventory only (imported, never enrolled
	// in MDM): Jamf lists them without a management id.
	Unenrolled  bool
	Name        string
	Model       string
	Serial      string
	Username    string
	Email       string
	OSVersion   string
	LastContact time.Time
	// FileVault is the boot partition's partitionFileVault2State
	// ("ENCRYPTED"); "" omits it.
	FileVault     string
	PurchasePrice string
}

// MobileDevice is a mobile device in the fake inventory.
type MobileDevice struct {
	ID            string
	ManagementID  string
	Name          string
	Model         string
	Serial        string
	Username      string
	Email         string
	OSVersion     string
	LastInventory time.Time
	PurchasePrice string
}

// Command is an MDM command the fake received.
type Command struct {
	UUID         string
	ManagementID string
	// ClientType is COMPUTER or MOBILE_DEVICE.
	ClientType string
	Type       string
	// State is PENDING, ACKNOWLEDGED or ERROR.
	State         string
	PIN           string
	Message       string
	DateSent      time.Time
	DateCompleted time.Time
}

// Request is a request the fake received. Body is kept for the tests'
// assertions (it may hold a lock PIN: the fake is the device's side).
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
	Status int
	// At is when the request arrived.
	At time.Time
}

// injected is an error answered instead of the next requests, after
// skip requests pass.
type injected struct {
	skip       int
	status     int
	retryAfter string
	left       int
}

// Server is a running fake.
type Server struct {
	URL string

	srv *http.Server
	ln  net.Listener

	mu         sync.Mutex
	privileges []string
	tokens     map[string]time.Time // token → expiry
	tokenTTL   time.Duration
	tokenCount int
	computers  []Computer
	mobiles    []MobileDevice
	commands   []Command
	failNext   map[string]string // serial → commandType that fails at the next check-in
	failOnSend map[string]string // management id → commandType the device refuses at once
	inject     []injected
	requests   []Request
	seq        int
	now        func() time.Time
}

// NewServer starts a fake on a local port; call Close when done.
func NewServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("jamffake: listen: %w", err)
	}
	s := &Server{ln: ln, URL: "http://" + ln.Addr().String(), privileges: slices.Clone(LeastPrivilege),
		tokens: map[string]time.Time{}, tokenTTL: 20 * time.Minute, failNext: map[string]string{}, failOnSend: map[string]string{}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth/token", s.token)
	mux.HandleFunc("GET /api/v1/computers-inventory", s.api(PrivReadComputers, s.listComputers))
	mux.HandleFunc("GET /api/v2/mobile-devices/detail", s.api(PrivReadMobileDevices, s.listMobiles))
	mux.HandleFunc("POST /api/v2/mdm/commands", s.api("", s.postCommand))
	mux.HandleFunc("GET /api/v2/mdm/commands", s.api(PrivReadCommands, s.listCommands))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "", "the fake does not serve "+r.Method+" "+r.URL.Path)
	})
	s.srv = &http.Server{Handler: s.record(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the fake.
func (s *Server) Close() { _ = s.srv.Close() }

// SetPrivileges replaces the API client's privileges.
func (s *Server) SetPrivileges(p ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privileges = slices.Clone(p)
}

// SetTokenTTL sets the life of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTTL = d
}

// ExpireTokens makes every token issued so far invalid (answered 401), as
// when Jamf's token expired earlier than the client thought or the API
// client's secret was rotated.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokensIssued counts the tokens the fake issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// Inject answers the next n API requests (not the token endpoint) with
// status, and Retry-After when retryAfter is not empty.
func (s *Server) Inject(status, n int, retryAfter string) { s.InjectAfter(0, status, n, retryAfter) }

// InjectAfter is Inject once skip more API requests have been answered
// normally.
func (s *Server) InjectAfter(skip, status, n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{skip: skip, status: status, retryAfter: retryAfter, left: n})
}

// AddComputer adds a computer and returns it with its ids.
func (s *Server) AddComputer(c Computer) Computer {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if c.ID == "" {
		c.ID = fmt.Sprint(s.seq)
	}
	if c.ManagementID == "" && !c.Unenrolled {
		c.ManagementID = fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", s.seq)
	}
	s.computers = append(s.computers, c)
	return c
}

// AddMobileDevice adds a mobile device and returns it with its ids.
func (s *Server) AddMobileDevice(m MobileDevice) MobileDevice {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if m.ID == "" {
		m.ID = fmt.Sprint(s.seq)
	}
	if m.ManagementID == "" {
		m.ManagementID = fmt.Sprintf("a11e0000-0000-4000-8000-%012d", s.seq)
	}
	s.mobiles = append(s.mobiles, m)
	return m
}

// Commands returns the commands sent to the device with managementID, in
// the order received.
func (s *Server) Commands(managementID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Command
	for _, c := range s.commands {
		if c.ManagementID == managementID {
			out = append(out, c)
		}
	}
	return out
}

// FailAtCheckIn makes the device's next check-in report its pending
// command of commandType as ERROR.
func (s *Server) FailAtCheckIn(serial, commandType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[serial] = commandType
}

// FailOnSend makes the device with managementID report the next command
// of commandType as ERROR at once (a device online that refuses it).
func (s *Server) FailOnSend(managementID, commandType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOnSend[managementID] = commandType
}

// CheckIn is the device with serial talking to Jamf: its pending
// commands are acknowledged (or fail, see FailAtCheckIn) and its last
// contact is now. It returns how many commands it settled.
func (s *Server) CheckIn(serial string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	mid := ""
	for i := range s.computers {
		if s.computers[i].Serial == serial {
			mid = s.computers[i].ManagementID
			s.computers[i].LastContact = now
		}
	}
	for i := range s.mobiles {
		if s.mobiles[i].Serial == serial {
			mid = s.mobiles[i].ManagementID
			s.mobiles[i].LastInventory = now
		}
	}
	n := 0
	for i := range s.commands {
		c := &s.commands[i]
		if c.ManagementID != mid || c.State != "PENDING" {
			continue
		}
		c.State = "ACKNOWLEDGED"
		if s.failNext[serial] == c.Type {
			c.State = "ERROR"
			delete(s.failNext, serial)
		}
		c.DateCompleted = now
		n++
	}
	return n
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// statusWriter keeps the status for the recorder.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// record keeps every request, and answers an injected error instead of
// an API route.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body := readBody(r)
		sw := &statusWriter{ResponseWriter: w, status: 200}
		if !strings.HasSuffix(r.URL.Path, "/oauth/token") && s.injectedAnswer(sw) {
			s.keep(r, body, sw.status, at)
			return
		}
		next.ServeHTTP(sw, r)
		s.keep(r, body, sw.status, at)
	})
}

func (s *Server) keep(r *http.Request, body string, status int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Status: status, At: at})
}

func (s *Server) injectedAnswer(w http.ResponseWriter) bool {
	s.mu.Lock()
	if len(s.inject) == 0 {
		s.mu.Unlock()
		return false
	}
	in := &s.inject[0]
	if in.skip > 0 {
		in.skip--
		s.mu.Unlock()
		return false
	}
	status, retryAfter := in.status, in.retryAfter
	if in.left--; in.left <= 0 {
		s.inject = s.inject[1:]
	}
	s.mu.Unlock()
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	// Jamf Cloud's throttling answer is not documented as a Jamf error
	// body; the fake sends its usual error shape.
	writeError(w, status, "THROTTLED", "", "injected by the test")
	return true
}

// api checks the bearer token and the privilege (when the route has one
// fixed privilege) before h.
func (s *Server) api(priv string, h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		valid := ok && known && exp.After(s.now())
		s.mu.Unlock()
		if !valid {
			writeError(w, http.StatusUnauthorized, "INVALID_TOKEN", "", "Unauthorized")
			return
		}
		if priv != "" && !s.holds(priv) {
			writeError(w, http.StatusForbidden, "FORBIDDEN", "", "Forbidden")
			return
		}
		h(w, r)
	}
}

func (s *Server) holds(priv string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.privileges, priv)
}

// writeError writes Jamf Pro API's error body.
func writeError(w http.ResponseWriter, status int, code, field, description string) {
	e := map[string]any{"code": code, "description": description, "id": "0"}
	if field != "" {
		e["field"] = field
	}
	writeJSON(w, status, map[string]any{"httpStatus": status, "errors": []any{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
