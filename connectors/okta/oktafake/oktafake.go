// Package oktafake is a stateful fake of the Okta management API (the subset
// offboard uses), for tests of the Okta connector against the real
// okta-sdk-golang v2 client and for the demo mode. It imports neither
// testing nor net/http/httptest, so the production binary can carry it for
// the demo; tests use it through oktatest, which adds New(t).
//
// The fake follows the contract the SDK relies on: every response carries
// X-Okta-Request-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining,
// X-Rate-Limit-Reset (epoch seconds) and Date; JSON bodies carry
// Content-Type: application/json; errors are status >= 400 with an Okta error
// body. Lifecycle calls answer 200 with an empty body (the SDK decodes them
// into nil, so a non-empty body would break it).
//
// It is as strict as Okta where offboard has been caught out before: the
// token endpoint (oauth.go) checks client assertions (signature, iss = sub,
// aud = the token endpoint, exp at most an hour ahead, a jti never seen
// before) and, for apps that require DPoP (ServiceApp.RequireDPoP), DPoP
// proofs (RFC 9449: typ, signature by the jwk in the header, htm, htu,
// iat, unique jti, the server nonce, answered 400 use_dpop_nonce with a
// DPoP-Nonce header otherwise); API calls with a DPoP-bound token need
// "Authorization: DPoP" and a proof with ath (401 otherwise). GET
// /factors shows only the factors of the highest-priority enrollment
// policy (Factor.Policy) while reset_factors removes all. Rate limits are
// per endpoint family with Okta's documented per-minute figures
// (ratelimit.go), unless RateLimit sets one org-wide bucket; requests to
// a bucket between its 429 and the reset it gave are counted (Violations).
// Beyond Okta's concurrent limit (75 at once, Concurrency) requests are
// answered 429 at once (concurrency.go).
//
// Choices where Okta's exact behaviour is unverified (documented here so tests
// do not over-fit):
//   - suspend on a non-ACTIVE user, unsuspend on a non-SUSPENDED user,
//     deactivate or reset_factors on a DEPROVISIONED user answer
//     400 E0000001 "Api validation failed: ...".
//   - deactivate (and the first DELETE /users/{id}) clears app assignments
//     but keeps groups, sessions and tokens.
//   - removing a user from an APP_GROUP or BUILT_IN group answers
//     403 E0000006; removing a non-member from an OKTA_GROUP answers 204.
//   - sub-resource paths accept an id or a login, like GET /users/{idOrLogin}.
//   - GET /users without criteria lists non-DEPROVISIONED users; search= and
//     filter= match users of every status.
//   - reset_factors on a user without factors answers 200 like any other.
//   - the token endpoint also reads the form from the query, as SDK v2
//     sends it there and deployed orgs accept it.
//   - a DPoP proof sent for an app that does not require DPoP binds the
//     token (RFC 9449 behaviour).
package oktafake

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is the API token the fake accepts (as "SSWS <token>" or
// "Bearer <token>").
const Token = "test-okta-token"

// User is the fake's view of an Okta user.
type User struct {
	ID, Status, Login, Email, FirstName, LastName string
	Factors                                       []Factor
	Grants                                        []string // consent grant scope ids, e.g. "okta.users.read"
	Sessions                                      int
	OAuthTokens                                   int
	Groups                                        []string // group ids
	Apps                                          []App
	// ManagerID, EmployeeNumber and TimeZone are the profile's managerId,
	// employeeNumber and timezone attributes (empty ones are left out).
	ManagerID, EmployeeNumber, TimeZone string
}

// page is one page of a list; next, when set, is the query of the next
// page, sent back as a Link header the SDK follows.
type page struct {
	items []map[string]any
	next  url.Values
}

// Factor is an enrolled MFA factor. Okta's GET /users/{id}/factors lists
// only the factors of the highest-priority authenticator enrollment policy
// that applies to the user; Policy names another policy the factor was
// enrolled under ("" = the highest-priority one), which hides it from the
// list (and from GET/DELETE of the factor) while reset_factors still
// removes it.
type Factor struct{ ID, FactorType, Policy string }

// App is an app assignment, reported by GET /users/{id}/appLinks.
type App struct{ ID, Label, AppName string }

// Group is an Okta group. Type is "OKTA_GROUP", "APP_GROUP" or "BUILT_IN".
type Group struct{ ID, Name, Type string }

// Request is one recorded request.
type Request struct {
	Method string
	Path   string // decoded URL path, e.g. /api/v1/users/00u.../lifecycle/suspend
	Query  string // raw query
	At     time.Time
	Status int
}

type userState struct {
	User
	created, statusChanged, lastUpdated time.Time
}

type failure struct {
	method, prefix string
	status         int
	body           string
	echo           bool // quote the request in the error summary
}

// Server is a fake Okta org. All methods are safe for concurrent use.
type Server struct {
	srv *http.Server
	url string // http://127.0.0.1:port

	mu       sync.Mutex
	users    map[string]*userState // by id
	order    []string              // ids in insertion order
	logins   map[string]string     // lower-case login → id of the first user with it
	groups   map[string]Group
	deleted  []string
	emails   []string
	broken   map[string]bool // user ids
	requests []Request
	fails    []failure
	latency  time.Duration
	nextID   int
	reqSeq   int

	rlLimit   int           // org-wide limit set by RateLimit; 0 = per-endpoint buckets
	rlWindow  time.Duration // of the org-wide limit
	buckets   map[string]*rateWindow
	bucketMax map[string]int // per-endpoint limits changed by BucketLimit
	// bucketWindow compresses the per-endpoint minute (BucketWindow).
	bucketWindow time.Duration
	violations   int // requests to a bucket before the reset its 429 gave
	// skew is how far Okta's clock is from the machine's (ClockSkew):
	// Date and X-Rate-Limit-Reset are in Okta's time.
	skew time.Duration

	concMax      int // concurrent limit (Concurrency); 0 = DefaultConcurrency
	inFlight     int
	maxInFlight  int
	concRejected int

	clients       map[string]oauthClient // OAuth service apps by client id
	accessTokens  map[string]issuedToken // by the token itself
	assertions    []string               // accepted client assertions
	assertionJTIs map[string]bool        // jti of every client assertion seen
	proofJTIs     map[string]bool        // jti of every DPoP proof seen
	dpopNonce     string
	token         string // accepted API token (default Token)
}

// NewServer starts a fake Okta server on a loopback port; call Close when
// done.
func NewServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	s := &Server{
		users:  map[string]*userState{},
		groups: map[string]Group{},
		broken: map[string]bool{},
		token:  Token,
		url:    "http://" + ln.Addr().String(),
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // Serve returns ErrServerClosed after Close
	return s, nil
}

// Close shuts the server down and its open connections with it.
func (s *Server) Close() { _ = s.srv.Close() }

// URL is the org URL (http://127.0.0.1:port), to pass to okta.WithOrgUrl
// together with okta.WithTestingDisableHttpsCheck(true).
func (s *Server) URL() string { return s.url }

// AddUser adds (or replaces, by ID) a user. An empty ID becomes
// "00ufake" + 13 digits, an empty Status "ACTIVE", an empty Login the Email
// and vice versa; empty factor ids are filled too. It returns a copy of the
// stored user.
func (s *Server) AddUser(u User) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		s.nextID++
		u.ID = fmt.Sprintf("00ufake%013d", s.nextID)
	}
	if u.Status == "" {
		u.Status = "ACTIVE"
	}
	if u.Login == "" {
		u.Login = u.Email
	}
	if u.Email == "" {
		u.Email = u.Login
	}
	u = cloneUser(u)
	for i := range u.Factors {
		if u.Factors[i].ID == "" {
			s.nextID++
			u.Factors[i].ID = fmt.Sprintf("ufsfake%013d", s.nextID)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if _, ok := s.users[u.ID]; !ok {
		s.order = append(s.order, u.ID)
	}
	if s.logins == nil {
		s.logins = map[string]string{}
	}
	if key := strings.ToLower(u.Login); key != "" {
		if _, taken := s.logins[key]; !taken {
			s.logins[key] = u.ID
		}
	}
	s.users[u.ID] = &userState{User: u, created: now.Add(-24 * time.Hour), statusChanged: now.Add(-24 * time.Hour), lastUpdated: now}
	out := cloneUser(u)
	return &out
}

// AddGroup adds (or replaces, by ID) a group. An empty Type means
// "OKTA_GROUP".
func (s *Server) AddGroup(g Group) {
	if g.Type == "" {
		g.Type = "OKTA_GROUP"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[g.ID] = g
}

// User returns a copy of the user with this id or login (case-insensitive);
// false when absent or deleted.
func (s *Server) User(idOrLogin string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookup(idOrLogin)
	if u == nil {
		return User{}, false
	}
	return cloneUser(u.User), true
}

// Deleted returns the ids of users permanently deleted by a second
// DELETE /api/v1/users/{id}.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// SentEmails returns the ids of users Okta emailed: a deactivation with
// sendEmail=true (its default is false), or an activation without
// sendEmail=false (its default is true).
func (s *Server) SentEmails() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.emails...)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count counts recorded requests whose method equals method ("" = any) and
// whose path starts with pathPrefix, given either in full ("/api/v1/users")
// or relative to /api/v1 ("/users").
func (s *Server) Count(method, pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || strings.EqualFold(method, r.Method)) && matchPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// DeleteUserCalls counts DELETE /api/v1/users/{id} calls (exactly that path,
// not /sessions or /grants) — the call offboard must never make.
func (s *Server) DeleteUserCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		seg := splitPath(strings.TrimPrefix(r.Path, "/api/v1"))
		if r.Method == http.MethodDelete && len(seg) == 2 && seg[0] == "users" {
			n++
		}
	}
	return n
}

// RateLimit replaces the per-endpoint buckets with one org-wide bucket
// that allows limit requests per fixed window (over all endpoints,
// including rejected ones); further requests in the window get 429
// E0000047 with X-Rate-Limit-Remaining 0 and X-Rate-Limit-Reset at the end
// of the window (rounded up to the second). limit <= 0 goes back to
// the per-endpoint buckets (see BucketLimit).
func (s *Server) RateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rlLimit, s.rlWindow = limit, window
	s.buckets = nil
}

// FailNext makes the next request matching method ("" = any) and
// pathPrefix (see Count) answer status with body instead of being served.
// An empty body becomes an Okta error body suited to the status. A 429
// carries X-Rate-Limit-Remaining 0 and X-Rate-Limit-Reset equal to the
// current second, so the SDK retries after about one second. Failures queue
// up and each is used once.
func (s *Server) FailNext(method, pathPrefix string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{method: method, prefix: pathPrefix, status: status, body: body})
}

// EchoNext is FailNext with an Okta error body whose summary quotes the
// request (its Authorization header and body), as a misbehaving proxy or
// a debugging gateway in front of Okta does: the API token comes back in
// the answer.
func (s *Server) EchoNext(method, pathPrefix string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{method: method, prefix: pathPrefix, status: status, echo: true})
}

// SetToken makes the fake accept token as the API token instead of Token.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Latency makes every request wait d before being served (0 = none).
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// BreakReadBack makes every state-changing call on this user (lifecycle,
// sessions, factors, grants, group removal, DELETE) validate and answer as
// usual but leave the state unchanged, so a read-back shows no effect.
func (s *Server) BreakReadBack(userIDOrLogin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.lookup(userIDOrLogin); u != nil {
		s.broken[u.ID] = true
	} else {
		s.broken[userIDOrLogin] = true
	}
}

// ---- internals ----

func cloneUser(u User) User {
	u.Factors = append([]Factor(nil), u.Factors...)
	u.Grants = append([]string(nil), u.Grants...)
	u.Groups = append([]string(nil), u.Groups...)
	u.Apps = append([]App(nil), u.Apps...)
	return u
}

// lookup finds a user by id or login; s.mu must be held.
func (s *Server) lookup(idOrLogin string) *userState {
	if u, ok := s.users[idOrLogin]; ok {
		return u
	}
	// The index is a fast path for a layoff's thousands of users; a login
	// changed by replacing its user falls through to the walk.
	if id, ok := s.logins[strings.ToLower(idOrLogin)]; ok {
		if u, ok := s.users[id]; ok && strings.EqualFold(u.Login, idOrLogin) {
			return u
		}
	}
	for _, id := range s.order {
		if u, ok := s.users[id]; ok && u.Login != "" && strings.EqualFold(u.Login, idOrLogin) {
			return u
		}
	}
	return nil
}

func matchPrefix(path, prefix string) bool {
	return strings.HasPrefix(path, prefix) || strings.HasPrefix(path, "/api/v1"+prefix)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

type apiError struct {
	status               int
	code, summary, cause string
}

func errNotFound(what, id string) *apiError {
	return &apiError{http.StatusNotFound, "E0000007", fmt.Sprintf("Not found: Resource not found: %s (%s)", id, what), ""}
}

func errValidation(cause string) *apiError {
	return &apiError{http.StatusBadRequest, "E0000001", "Api validation failed: " + cause, cause}
}

func errorBody(code, summary, cause string, seq int) []byte {
	causes := []map[string]string{}
	if cause != "" {
		causes = append(causes, map[string]string{"errorSummary": cause})
	}
	b, _ := json.Marshal(map[string]any{
		"errorCode":    code,
		"errorSummary": summary,
		"errorLink":    code,
		"errorId":      fmt.Sprintf("oaefake%013d", seq),
		"errorCauses":  causes,
	})
	return b
}

func defaultErrorBody(status, seq int) []byte {
	switch status {
	case http.StatusTooManyRequests:
		return errorBody("E0000047", "API call exceeded rate limit due to too many requests.", "", seq)
	case http.StatusUnauthorized:
		return errorBody("E0000011", "Invalid token provided", "", seq)
	case http.StatusForbidden:
		return errorBody("E0000006", "You do not have permission to perform the requested action", "", seq)
	case http.StatusNotFound:
		return errorBody("E0000007", "Not found: Resource not found", "", seq)
	case http.StatusBadRequest:
		return errorBody("E0000001", "Api validation failed", "", seq)
	case http.StatusServiceUnavailable:
		return errorBody("E0000010", "Service is in read only mode", "", seq)
	default:
		return errorBody("E0000009", "Internal Server Error", "", seq)
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	arrived := time.Now()
	s.mu.Lock()
	latency := s.latency
	overConcurrent := s.enter(arrived, w.Header())
	if overConcurrent {
		s.reqSeq++
		seq := s.reqSeq
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, At: arrived, Status: http.StatusTooManyRequests})
		skew := s.skew
		s.mu.Unlock()
		defer s.leave()
		w.Header().Set("Date", arrived.Add(skew).UTC().Format(http.TimeFormat))
		w.Header().Set("X-Okta-Request-Id", fmt.Sprintf("fakereq-%d-%d", arrived.UnixNano(), seq))
		writeRaw(rec, http.StatusTooManyRequests, defaultErrorBody(http.StatusTooManyRequests, seq))
		return
	}
	s.mu.Unlock()
	defer s.leave()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}

	now := time.Now()
	s.mu.Lock()
	s.reqSeq++
	seq := s.reqSeq
	h := w.Header()
	h.Set("Date", now.Add(s.skew).UTC().Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", fmt.Sprintf("fakereq-%d-%d", now.UnixNano(), seq))

	limited := s.spendRate(r, now, h)
	s.mu.Unlock()

	defer func() {
		st := rec.status
		if st == 0 {
			st = http.StatusOK
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, At: now, Status: st})
		s.mu.Unlock()
	}()

	if limited {
		writeRaw(rec, http.StatusTooManyRequests, defaultErrorBody(http.StatusTooManyRequests, seq))
		return
	}

	if r.Method == http.MethodPost && r.URL.Path == "/oauth2/v1/token" {
		s.serveToken(rec, r)
		return
	}
	auth := r.Header.Get("Authorization")
	if ok, challenge := s.authorize(r); !ok {
		if challenge != "" {
			h.Set("WWW-Authenticate", challenge)
		}
		if strings.Contains(challenge, "use_dpop_nonce") {
			h.Set("DPoP-Nonce", s.nonce())
		}
		writeRaw(rec, http.StatusUnauthorized, defaultErrorBody(http.StatusUnauthorized, seq))
		return
	}

	s.mu.Lock()
	for i, f := range s.fails {
		if (f.method == "" || strings.EqualFold(f.method, r.Method)) && matchPrefix(r.URL.Path, f.prefix) {
			s.fails = append(s.fails[:i:i], s.fails[i+1:]...)
			s.mu.Unlock()
			if f.status == http.StatusTooManyRequests {
				h.Set("X-Rate-Limit-Remaining", "0")
				h.Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(s.clockSkew()).Unix(), 10))
			}
			body := []byte(f.body)
			if f.echo {
				sent, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
				body = errorBody(fmt.Sprintf("E%07d", f.status), fmt.Sprintf("Request rejected: %s %s Authorization: %s Body: %s",
					r.Method, r.URL.RequestURI(), auth, sent), "", seq)
			}
			if len(body) == 0 && f.status >= 400 {
				body = defaultErrorBody(f.status, seq)
			}
			if len(body) > 0 && (body[0] == '{' || body[0] == '[') {
				h.Set("Content-Type", "application/json")
			} else if len(body) > 0 {
				h.Set("Content-Type", "text/plain; charset=utf-8")
			}
			rec.WriteHeader(f.status)
			_, _ = rec.Write(body)
			return
		}
	}
	status, body, aerr := s.route(r, now)
	s.mu.Unlock()

	if aerr != nil {
		writeRaw(rec, aerr.status, errorBody(aerr.code, aerr.summary, aerr.cause, seq))
		return
	}
	if body == nil {
		h.Set("Content-Type", "application/json")
		rec.WriteHeader(status)
		return
	}
	if pg, ok := body.(*page); ok {
		if pg.next != nil {
			next := *r.URL
			next.Scheme, next.Host = "http", r.Host
			next.RawQuery = pg.next.Encode()
			h.Set("Link", "<"+next.String()+">; rel=\"next\"")
		}
		body = pg.items
	}
	b, err := json.Marshal(body)
	if err != nil {
		writeRaw(rec, http.StatusInternalServerError, defaultErrorBody(500, seq))
		return
	}
	writeRaw(rec, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
