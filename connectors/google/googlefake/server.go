// Package googlefake is a fake of the Google APIs offboard calls, for
// tests (through googletest) and the demo, written from Google's
// documented shapes: an OAuth 2.0 token endpoint for service accounts
// (the JWT-bearer grant: an RS256 assertion signed with the service
// account's key, naming the user to act as and the scopes; a scope not
// granted in the domain-wide delegation is unauthorized_client, an
// unknown or suspended user invalid_grant), and the APIs under one base
// URL: every route needs a token from it with the route's scope (else 403
// insufficientPermissions), admin routes need a token acting as an
// administrator, errors are {"error":{"code","message","errors":[…],
// "status"}}, request bodies with unknown fields are refused as Google
// refuses them, and throttling can be injected (429 or 403
// rateLimitExceeded, with Retry-After).
//
// Routes live in one file per API (directory_routes.go, …); this file
// holds the server, its users and the checks every route shares.
package googlefake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fixed identities of the fake Workspace.
const (
	// ClientEmail is the service account.
	ClientEmail = "offboard@offboard-fake.iam.gserviceaccount.com"
	// ClientID is the service account's client id, the one an admin
	// grants scopes to under domain-wide delegation.
	ClientID = "109876543210987654321"
	// CustomerID is the Workspace customer.
	CustomerID = "C01fake00"
	// Domain is the Workspace's primary domain.
	Domain = "example.com"
)

// LeastPrivilege are the scopes offboard's README asks an admin to grant.
var LeastPrivilege = []string{
	"https://www.googleapis.com/auth/admin.directory.user",
	"https://www.googleapis.com/auth/admin.directory.user.security",
	"https://www.googleapis.com/auth/admin.datatransfer",
	"https://www.googleapis.com/auth/gmail.settings.sharing",
	"https://www.googleapis.com/auth/apps.licensing",
	"https://www.googleapis.com/auth/ediscovery",
}

// User is a user of the fake Workspace. Helpers of each API keep their
// state here (tokens, app passwords, delegates, licenses…).
type User struct {
	ID           string
	PrimaryEmail string
	GivenName    string
	FamilyName   string
	Suspended    bool
	Archived     bool
	// Manager is the "manager" relation's value, as the Admin console's
	// "Manager's email" sets it ("" for none).
	Manager string
	// IsAdmin users may be acted as for the Admin SDK, Data Transfer,
	// Licensing and Vault.
	IsAdmin bool
	// SignOuts counts users.signOut calls; SignedOutAt is the last one.
	SignOuts    int
	SignedOutAt time.Time
	// Tokens are the OAuth tokens the user granted to apps.
	Tokens []Token
	// ASPs are app-specific passwords; BackupCodes are 2-Step
	// Verification backup codes.
	ASPs        []ASP
	BackupCodes []string
	// Delegates are the primary emails with access to the mailbox.
	Delegates []string
	// DriveFiles and CalendarEvents are what a Data Transfer moves.
	DriveFiles     int
	CalendarEvents int
	// Licenses are "productId/skuId" pairs the user holds.
	Licenses []string
	// Deleted users answer 404 but can be undeleted.
	Deleted   bool
	DeletedAt time.Time
	// OrgUnitPath is the user's organizational unit ("" is the root, "/");
	// users.undelete puts the user back into the one it names.
	OrgUnitPath string
	// VaultDenied users have no Vault license or no Vault role (Manage
	// Matters and Manage Holds): Vault answers them 403 PERMISSION_DENIED.
	VaultDenied bool
}

// Token is an OAuth token a user granted to an app.
type Token struct {
	ClientID    string
	DisplayText string
	Scopes      []string
}

// ASP is an app-specific password.
type ASP struct {
	CodeID int64
	Name   string
}

// Request is one request the fake served.
type Request struct {
	Method string
	Path   string
	Query  string
	Status int
	// Subject is the user the request's token acts as ("" for the token
	// endpoint).
	Subject string
}

// Server is the fake. Its URL serves the token endpoint (/token) and
// every API (/admin/…, /gmail/…, /apps/licensing/…, /v1/matters…).
type Server struct {
	URL string

	srv *http.Server
	mux *http.ServeMux
	key *rsa.PrivateKey
	// keyID names the key in the service account key file.
	keyID string

	mu        sync.Mutex
	now       func() time.Time
	delegated map[string]bool
	users     map[string]*User // by id
	tokens    map[string]grant
	throttle  []throttle
	requests  []Request
	nextID    int
	// ext holds the state of API files that need more than User (data
	// transfers, Vault matters).
	ext map[string]any
}

// grant is what an access token allows.
type grant struct {
	subject string // user id
	scopes  []string
	expires time.Time
}

type throttle struct {
	status     int
	reason     string
	retryAfter int
}

// NewServer starts a fake with LeastPrivilege delegated and no users.
// Close it when done.
func NewServer() (*Server, error) {
	key, err := serviceAccountKey()
	if err != nil {
		return nil, fmt.Errorf("googlefake: key: %w", err)
	}
	kid := make([]byte, 20)
	_, _ = rand.Read(kid)
	s := &Server{key: key, keyID: hex.EncodeToString(kid), now: time.Now, delegated: map[string]bool{},
		users: map[string]*User{}, tokens: map[string]grant{}, ext: map[string]any{}, mux: http.NewServeMux()}
	for _, sc := range LeastPrivilege {
		s.delegated[sc] = true
	}
	s.mux.HandleFunc("POST /token", s.token)
	s.directoryRoutes()
	s.extraRoutes()
	// Its own loopback listener rather than httptest, so that the demo can
	// run the fake without linking package testing into the binary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("googlefake: listen on loopback: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // Serve returns ErrServerClosed after Close
	return s, nil
}

// serviceAccountKey is the fake service account's RSA key, made once per
// process: a 2048-bit key takes a noticeable part of a second, and every
// test starts a fake. Each fake still checks signatures against it.
var serviceAccountKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// SetNow sets the fake's clock (token expiry, transfer progress).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// ServiceAccountKey is the service account's JSON key as Google Cloud
// downloads it, with token_uri pointing at the fake.
func (s *Server) ServiceAccountKey() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(s.key)
	k := map[string]string{
		"type": "service_account", "project_id": "offboard-fake", "private_key_id": s.keyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": ClientEmail, "client_id": ClientID,
		"auth_uri": s.URL + "/o/oauth2/auth", "token_uri": s.URL + "/token",
	}
	b, _ := json.MarshalIndent(k, "", "  ")
	return b
}

// Delegate sets the scopes granted to the service account's client id
// (LeastPrivilege at start).
func (s *Server) Delegate(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delegated = map[string]bool{}
	for _, sc := range scopes {
		s.delegated[sc] = true
	}
}

// AddUser adds u (an id is made when empty) and returns its id.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		s.nextID++
		u.ID = fmt.Sprintf("1%020d", s.nextID)
	}
	u.PrimaryEmail = strings.ToLower(u.PrimaryEmail)
	s.users[u.ID] = &u
	return u.ID
}

// User returns a copy of the user with the email or id, and whether it
// exists (deleted users included).
func (s *Server) User(key string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findLocked(key, true)
	if u == nil {
		return User{}, false
	}
	c := *u
	c.Tokens, c.ASPs = slices.Clone(u.Tokens), slices.Clone(u.ASPs)
	c.BackupCodes, c.Delegates, c.Licenses = slices.Clone(u.BackupCodes), slices.Clone(u.Delegates), slices.Clone(u.Licenses)
	return c, true
}

// UpdateUser changes a user in place under the fake's lock.
func (s *Server) UpdateUser(key string, f func(*User)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findLocked(key, true)
	if u == nil {
		return false
	}
	f(u)
	return true
}

// findLocked finds a user by id or (case-insensitive) primary email;
// deleted users only when withDeleted.
func (s *Server) findLocked(key string, withDeleted bool) *User {
	if u, ok := s.users[key]; ok && (withDeleted || !u.Deleted) {
		return u
	}
	key = strings.ToLower(key)
	for _, u := range s.users {
		if u.PrimaryEmail == key && (withDeleted || !u.Deleted) {
			return u
		}
	}
	return nil
}

// Throttle makes the next n API requests (not token requests) answer
// status (429, or 403) with reason (rateLimitExceeded,
// userRateLimitExceeded…) and Retry-After seconds (0: none).
func (s *Server) Throttle(n, status int, reason string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.throttle = append(s.throttle, throttle{status, reason, retryAfter})
	}
}

// Requests are the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// APIRequests counts the API requests served (token requests excluded).
func (s *Server) APIRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Path != "/token" {
			n++
		}
	}
	return n
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// maxRequestBody bounds what the fake reads of a body, as Google bounds
// its own.
const maxRequestBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status,
		Subject: r.Header.Get(subjectHeader)})
	s.mu.Unlock()
}

// subjectHeader carries the acting user from the auth check to the
// recorder; the fake sets it on the request itself, never reads it from
// a client.
const subjectHeader = "X-Googlefake-Subject"

// apiError writes Google's error shape.
func apiError(w http.ResponseWriter, code int, reason, message string) {
	status := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
		409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[code]
	writeJSON(w, code, map[string]any{"error": map[string]any{
		"code": code, "message": message, "status": status,
		"errors": []map[string]string{{"message": message, "domain": "global", "reason": reason}},
	}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeStrict reads a JSON body into v, refusing unknown fields as
// Google does ("Invalid JSON payload received. Unknown name …").
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		apiError(w, http.StatusBadRequest, "badRequest", "Invalid JSON payload received: want Content-Type application/json.")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "invalid", "Invalid JSON payload received. "+err.Error())
		return false
	}
	return true
}
