// Package graphfake is a fake Microsoft Graph v1.0 and Microsoft identity
// platform token endpoint, for tests (through graphtest) and the demo,
// written from Microsoft's documented
// shapes: the token endpoint verifies the client secret or the signed
// client assertion; every Graph route requires a token from it and one of
// the application permissions Microsoft documents for the call (a missing
// one is 403 Authorization_RequestDenied); errors are
// {"error":{"code","message","innerError"}}; throttling can be injected
// (429 with Retry-After); a user holding a directory role cannot be
// disabled unless the app holds a privileged role. JSON batching
// (batch_routes.go) and the directory's reads (people_routes.go: users
// paged with their managers, mailbox time zones) follow the same rules,
// as do deletion and deleted items (deleted_routes.go: a deleted user is
// renamed and restorable until restored; DeletePermission is not granted
// by default). LimitIdentity (limit.go) adds the identity service's
// ResourceUnit budget; it is off by default.
package graphfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Fixed identities of the fake tenant.
const (
	TenantID     = "11111111-2222-3333-4444-555555555555"
	ClientID     = "66666666-7777-8888-9999-000000000000"
	ClientSecret = "fake-graph-client-secret-value"
)

// LeastPrivilege are the application permissions the Entra ID actions
// need, as the README lists them.
var LeastPrivilege = []string{
	"User.Read.All", "User.EnableDisableAccount.All", "User.RevokeSessions.All",
	"UserAuthenticationMethod.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All",
	"GroupMember.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
}

// User is a user of the fake tenant.
type User struct {
	ID                string
	UserPrincipalName string
	Mail              string
	DisplayName       string
	AccountEnabled    bool
	// SessionsValidFrom is signInSessionsValidFromDateTime.
	SessionsValidFrom time.Time
	Methods           []Method
	// Roles are directory roles ("Global Administrator"): such a user is
	// privileged.
	Roles []string
	// Groups are the ids of the groups the user is a direct member of.
	Groups   []string
	Licenses []License
	AppRoles []AppRole
	// ManagerID is the manager's object id ("" none); TimeZone is the
	// mailbox's time zone as Outlook stores it (Windows name by default,
	// "" no mailbox).
	ManagerID string
	TimeZone  string
}

// Group is a group of the fake tenant.
type Group struct {
	ID          string
	DisplayName string
	// Dynamic groups have a membership rule; Graph cannot remove members.
	Dynamic bool
	// OnPremises groups are synced from Active Directory.
	OnPremises bool
	// License is the SKU the group assigns its members ("" none).
	License License
}

// License is a license a user holds; AssignedByGroup is the group id
// when it comes with a group membership.
type License struct {
	SkuID           string
	SkuPartNumber   string
	AssignedByGroup string
}

// AppRole is an app role assignment (an enterprise app).
type AppRole struct {
	ID       string
	Resource string
}

// Method is an authentication method; Type is the @odata.type without
// its namespace ("phoneAuthenticationMethod").
type Method struct {
	ID   string
	Type string
}

// Grant is a delegated permission grant.
type Grant struct {
	ID          string
	ClientID    string
	PrincipalID string
	ResourceID  string
	Scope       string
}

// Request is one request the fake served.
type Request struct {
	Method string
	Path   string
	Query  string
	Status int
	// Batched is a request that came inside a POST /v1.0/$batch.
	Batched bool
}

// Server is the fake. Its URL serves both the token endpoint
// (/{tenant}/oauth2/v2.0/token) and Graph (/v1.0/…).
type Server struct {
	URL string
	// Certificate and Key are the app's certificate credential, PEM, for
	// a client that authenticates with an assertion.
	CertificatePEM []byte
	KeyPEM         []byte

	srv  *http.Server
	cert *x509.Certificate

	mu         sync.Mutex
	now        func() time.Time
	perms      map[string]bool
	privileged bool
	users      map[string]*User
	// deletedUsers are the directory's deleted items (users only).
	deletedUsers map[string]*deletedUser
	grants       map[string]*Grant
	groups       map[string]*Group
	devices      map[string]*ManagedDevice
	tokens       map[string]time.Time
	jtis         map[string]bool
	throttle     int
	retryAfter   int
	// batchThrottle items of the next batches answer 429 (see
	// ThrottleBatched).
	batchThrottle   int
	batchRetryAfter int
	unavailable     int
	// ruLimit is the identity service's budget (LimitIdentity); nil off.
	ruLimit     *ruBucket
	unavailRA   int
	requests    []Request
	tokenIssued int
}

// NewServer starts a fake with LeastPrivilege granted and no users.
// Close it when done.
func NewServer() (*Server, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("graphfake: key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "offboard graphfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("graphfake: certificate: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	s := &Server{
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:         pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		cert:           cert, now: time.Now,
		perms: map[string]bool{}, users: map[string]*User{}, deletedUsers: map[string]*deletedUser{}, grants: map[string]*Grant{}, groups: map[string]*Group{},
		tokens: map[string]time.Time{}, jtis: map[string]bool{},
	}
	for _, p := range append(slices.Clone(LeastPrivilege), IntuneLeastPrivilege...) {
		s.perms[p] = true
	}
	// Its own loopback listener rather than httptest, so that the demo can
	// run the fake without linking package testing into the binary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("graphfake: listen on loopback: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // Serve returns ErrServerClosed after Close
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// SetPermissions replaces the application permissions granted to the app.
func (s *Server) SetPermissions(perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms = map[string]bool{}
	for _, p := range perms {
		s.perms[p] = true
	}
}

// SetPrivilegedRole says whether the app holds a privileged directory
// role (Privileged Authentication Administrator), which Graph requires to
// change a privileged user's accountEnabled.
func (s *Server) SetPrivilegedRole(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.privileged = on
}

// Throttle makes the next n Graph requests answer 429 with Retry-After.
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, int(retryAfter/time.Second)
}

// Unavailable makes the next n Graph requests answer 503, with
// Retry-After when retryAfter is positive.
func (s *Server) Unavailable(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable, s.unavailRA = n, int(retryAfter/time.Second)
}

// AddUser adds u (a copy); an empty ID gets a new one. It returns the id.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = newID()
	}
	for i := range u.Methods {
		if u.Methods[i].ID == "" {
			u.Methods[i].ID = newID()
		}
	}
	for i := range u.AppRoles {
		if u.AppRoles[i].ID == "" {
			u.AppRoles[i].ID = newID()
		}
	}
	// A group that assigns a license gives it to its members.
	for _, gid := range u.Groups {
		if g, ok := s.groups[gid]; ok && g.License.SkuID != "" {
			l := g.License
			l.AssignedByGroup = gid
			u.Licenses = append(u.Licenses, l)
		}
	}
	s.users[u.ID] = &u
	return u.ID
}

// AddGroup adds a group and returns its id.
func (s *Server) AddGroup(g Group) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.ID == "" {
		g.ID = newID()
	}
	s.groups[g.ID] = &g
	return g.ID
}

// AddGrant adds a delegated permission grant and returns its id.
func (s *Server) AddGrant(g Grant) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.ID == "" {
		g.ID = newID()
	}
	s.grants[g.ID] = &g
	return g.ID
}

// User returns a copy of the user with id.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	c := *u
	c.Methods = append([]Method(nil), u.Methods...)
	c.Groups = append([]string(nil), u.Groups...)
	c.Licenses = append([]License(nil), u.Licenses...)
	c.AppRoles = append([]AppRole(nil), u.AppRoles...)
	return c, true
}

// GrantsOf returns the ids of the user's grants.
func (s *Server) GrantsOf(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, g := range s.grants {
		if g.PrincipalID == userID {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// TokensIssued counts the tokens the endpoint issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenIssued
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
