// Package signin says who is at the browser, for the console and the
// dashboard alike: people sign in with OpenID Connect (Okta, Entra ID or
// any provider with discovery), and an administrator may use the shared
// console.token as a Basic auth password instead.
//
// The sign-in is the authorization-code flow with PKCE; state and nonce
// are checked, the ID token is verified (signature by the issuer's JWK
// Set, iss, aud, exp), and an email is taken only when the provider does
// not say it is unverified. A session is an opaque random id in an
// HttpOnly cookie; what it stands for stays on the server. Roles are never
// taken from the provider: they come from config (roles:) by email.
//
// It is the only package that imports go-oidc (TestImportRules keeps it
// so); besides, it imports golang.org/x/oauth2, the root package and the
// standard library.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/offboard-dev/offboard"
)

// Routes of the sign-in itself. The callback's path comes from
// Options.RedirectURL.
const (
	StartPath   = "/signin"
	SignOutPath = "/signin/out"
)

// Cookies.
const (
	sessionCookie = "offboard_session"
	// stateCookie binds a sign-in to the browser that started it, so a
	// code and state stolen from another browser's callback do not work.
	stateCookie = "offboard_signin"
)

// Limits that keep memory bounded.
const (
	maxSessions = 10000
	maxPending  = 1000
	pendingTTL  = 10 * time.Minute
)

// AdminID is the actor id of whoever signs in with console.token.
const AdminID = "console.token"

// Options configure an Auth. Issuer (with ClientID, ClientSecret and
// RedirectURL) turns on OpenID Connect; AdminToken turns on the admin's
// Basic auth; at least one is required.
type Options struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the absolute callback URL registered with the
	// provider; its path is served by Handler.
	RedirectURL string
	// Scopes default to openid, email and profile.
	Scopes []string
	// EmailClaim names the ID token claim that holds the email; default
	// "email" (Entra ID users may want "preferred_username").
	EmailClaim string
	// SessionTTL is how long a sign-in lasts; default 8h.
	SessionTTL time.Duration
	// AdminToken, when set, is the Basic auth password of an admin.
	AdminToken string
	// Roles returns the configured roles of a person by email.
	Roles func(email string) []offboard.Role
	// HTTPClient talks to the provider; default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Audit, when set, appends sign-ins, sign-outs and (rate-limited)
	// refusals to the audit chain.
	Audit  offboard.AuditLog
	Clock  offboard.Clock
	Logger *slog.Logger
}

// Auth signs people in and tells handlers who they are.
type Auth struct {
	o          Options
	admin      [sha256.Size]byte
	hasAdmin   bool
	callback   string // path of RedirectURL
	secure     bool   // cookies only over TLS
	providerMu sync.Mutex
	provider   *oidc.Provider

	mu       sync.Mutex
	sessions map[string]*session
	pending  map[string]*pendingLogin
	// refusals written to the audit chain in the current window, and
	// those left out.
	refusalsSince   time.Time
	refusalsWritten int
	refusalsDropped int
}

type session struct {
	actor   offboard.Actor
	expires time.Time
}

type pendingLogin struct {
	nonce    string
	verifier string
	next     string
	expires  time.Time
}

// New checks the options and returns an Auth. It does not reach the
// provider: discovery happens at the first sign-in (and again after a
// failure), so offboard starts while the provider is down.
func New(o Options) (*Auth, error) {
	if o.Issuer == "" && o.AdminToken == "" {
		return nil, errors.New("signin: neither an OIDC issuer nor an admin token is configured")
	}
	if o.Clock == nil {
		o.Clock = offboard.WallClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Roles == nil {
		o.Roles = func(string) []offboard.Role { return nil }
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if o.EmailClaim == "" {
		o.EmailClaim = "email"
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	a := &Auth{o: o, sessions: map[string]*session{}, pending: map[string]*pendingLogin{}}
	if o.AdminToken != "" {
		a.admin, a.hasAdmin = sha256.Sum256([]byte(o.AdminToken)), true
	}
	if o.Issuer != "" {
		if o.ClientID == "" || o.ClientSecret == "" || o.RedirectURL == "" {
			return nil, errors.New("signin: an OIDC issuer needs a client id, a client secret and a redirect URL")
		}
		u, err := url.Parse(o.RedirectURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("signin: redirect URL %q is not an absolute http(s) URL", o.RedirectURL)
		}
		a.callback = u.EscapedPath()
		if a.callback == "" || a.callback == StartPath || a.callback == SignOutPath {
			return nil, fmt.Errorf("signin: redirect URL %q needs a path of its own, such as /signin/callback", o.RedirectURL)
		}
		a.secure = u.Scheme == "https"
	}
	return a, nil
}

// OIDC reports whether people sign in with OpenID Connect.
func (a *Auth) OIDC() bool { return a.o.Issuer != "" }

// Patterns are the routes Handler serves, for mounting on a mux.
func (a *Auth) Patterns() []string {
	out := []string{"GET " + SignOutPath, "POST " + SignOutPath}
	if a.OIDC() {
		out = append(out, "GET "+StartPath, "GET "+a.callback)
	}
	return out
}

// Handler serves the sign-in, its callback and the sign-out.
func (a *Auth) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+SignOutPath, a.signedOut)
	mux.HandleFunc("POST "+SignOutPath, a.signOut)
	if a.OIDC() {
		mux.HandleFunc("GET "+StartPath, a.start)
		mux.HandleFunc("GET "+a.callback, a.finish)
	}
	return noStore(mux)
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// FromContext returns the person (or admin) a request signed in as.
func FromContext(ctx context.Context) (offboard.Actor, bool) {
	a, ok := ctx.Value(ctxKey{}).(offboard.Actor)
	return a, ok
}

// Identify is FromContext for a request: the shape the console and the
// dashboard take.
func Identify(r *http.Request) (offboard.Actor, bool) { return FromContext(r.Context()) }

// Require lets through only requests that are signed in, with the person
// in the context. Others are sent to sign in (a page asked for in a
// browser) or refused with 401 (posts, streams, downloads, scripts).
func (a *Auth) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if actor, ok := a.identify(r); ok {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, actor)))
			return
		}
		if a.OIDC() && (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsPage(r) {
			http.Redirect(w, r, StartPath+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		if a.hasAdmin {
			w.Header().Set("WWW-Authenticate", `Basic realm="offboard", charset="UTF-8"`)
		}
		msg := "sign in first"
		switch {
		case a.OIDC() && a.hasAdmin:
			msg = "sign in at " + StartPath + ", or give console.token as the Basic auth password"
		case a.OIDC():
			msg = "sign in at " + StartPath
		case a.hasAdmin:
			msg = "give console.token as the Basic auth password"
		}
		http.Error(w, msg, http.StatusUnauthorized)
	})
}

// wantsPage tells a browser's page load from a script's or a stream's.
func wantsPage(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return accept == "" || strings.Contains(accept, "text/html") || strings.Contains(accept, "*/*") && !strings.Contains(accept, "text/event-stream")
}

// identify resolves the admin's Basic auth or a session cookie.
func (a *Auth) identify(r *http.Request) (offboard.Actor, bool) {
	if _, pass, ok := r.BasicAuth(); ok && a.hasAdmin {
		got := sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(got[:], a.admin[:]) == 1 {
			return offboard.Actor{Kind: offboard.ActorAPI, ID: AdminID, Name: "Admin (console.token)",
				Roles: []offboard.Role{offboard.RoleAdmin}}, true
		}
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || !validID(ck.Value) {
		return offboard.Actor{}, false
	}
	now := a.o.Clock.Now()
	a.mu.Lock()
	s := a.sessions[ck.Value]
	if s != nil && !now.Before(s.expires) {
		delete(a.sessions, ck.Value)
		s = nil
	}
	a.mu.Unlock()
	if s == nil {
		return offboard.Actor{}, false
	}
	actor := s.actor
	// Roles as config says now, not as it said at sign-in.
	actor.Roles = a.o.Roles(actor.Email)
	return actor, true
}

func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func validID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// localPath keeps next to a path on this site, so the sign-in cannot be
// used to send people elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (a *Auth) cookie(r *http.Request, name, value, path string, maxAge int) *http.Cookie {
	// Lax, not Strict: the browser comes back from the provider on a
	// top-level navigation started by another site, and a Strict cookie
	// would not be sent with it (nor on the first page after it).
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: a.secure || r.TLS != nil}
}
