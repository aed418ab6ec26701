package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/offboard-dev/offboard"
)

// Token is a resolved API bearer token: config decodes them (reading
// token files), cmd/offboard converts them. Name is the actor id that the
// audit trail records; Secret is what callers present and is never
// logged; Role is the one role the token acts with.
type Token struct {
	Name   string
	Secret string
	Role   offboard.Role
}

// Options configure a Server. Engine and Ping are required.
type Options struct {
	Engine offboard.CaseService
	// Ping reports whether the store is reachable; /healthz calls it with
	// a 2 s deadline.
	Ping func(ctx context.Context) error
	// Tokens are the API tokens; none turns the REST API off (every call
	// answers 401).
	Tokens []Token
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// Version is reported by /healthz; empty means offboard.Version.
	Version string
	// Listen, PublicURL and AllowedHosts (http.listen, http.public_url,
	// http.allowed_hosts) decide which Host headers are served; every
	// other Host is answered 421. An empty Listen counts as loopback.
	Listen       string
	PublicURL    string
	AllowedHosts []string
	// Audit records requests refused before they reached the engine (a
	// malformed body, a missing field); the engine audits its own
	// refusals. Nil records nothing.
	Audit offboard.AuditLog
	// Backup takes a checked backup of the store for POST
	// /api/v1/admin/backup; nil when store.backup.dir is not set.
	Backup func(ctx context.Context, by offboard.Actor) (offboard.BackupReport, error)
}

// healthTimeout bounds the store check of /healthz.
const healthTimeout = 2 * time.Second

// Server is the HTTP surface. Build it with New, add other surfaces with
// Mount, then serve Handler.
type Server struct {
	engine  offboard.CaseService
	ping    func(context.Context) error
	tokens  []token
	log     *slog.Logger
	version string
	audit   offboard.AuditLog
	backup  func(context.Context, offboard.Actor) (offboard.BackupReport, error)
	mux     *http.ServeMux
	hosts   *hostPolicy
	handler http.Handler
	// pageNotFound answers a browser's GET of an unknown address with a
	// page (the dashboard's 404) instead of the API's JSON; nil keeps JSON.
	pageNotFound http.Handler
	// phase is where serve is in its life, for /readyz (readiness.go).
	phase atomic.Int32
}

// New checks the options and builds a Server with its routes.
func New(o Options) (*Server, error) {
	if o.Engine == nil {
		return nil, errors.New("web: no engine")
	}
	if o.Ping == nil {
		return nil, errors.New("web: no store ping for /healthz")
	}
	tokens, err := resolveTokens(o.Tokens)
	if err != nil {
		return nil, err
	}
	hosts, err := newHostPolicy(o.Listen, o.PublicURL, o.AllowedHosts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		engine: o.Engine, ping: o.Ping, tokens: tokens, log: o.Logger,
		version: o.Version, audit: o.Audit, backup: o.Backup, mux: http.NewServeMux(), hosts: hosts,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.version == "" {
		s.version = offboard.Version
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("POST /api/v1/cases", s.api(s.createCase))
	s.mux.Handle("GET /api/v1/cases", s.api(s.listCases))
	s.mux.Handle("GET /api/v1/cases/{id}", s.api(s.getCase))
	s.mux.Handle("POST /api/v1/cases/{id}/cancel", s.api(s.cancelCase))
	s.mux.Handle("POST /api/v1/admin/backup", s.api(s.takeBackup))
	s.handler = s.middleware(http.HandlerFunc(s.route))
	return s, nil
}

// Handler returns the mux wrapped in the middleware (request id, security
// headers, access log, panic recovery). Mounted handlers get the same
// middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// Listening tells the Host allow-list the address actually listened on
// (http.listen may ask for port 0).
func (s *Server) Listening(addr string) {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		s.hosts.setPort(port)
	}
}

// Mount routes pattern (Go 1.22 ServeMux syntax, e.g. "POST
// /webhooks/bamboohr" or "/console/") to h, behind the same middleware as
// the API. Call it while wiring, before Handler is served. It panics, as
// http.ServeMux.Handle does, on an invalid pattern or one that conflicts
// with a route already registered.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// PageNotFound makes h answer a browser's GET or HEAD of an address no
// route knows (one that asks for HTML): a person who mistypes a case's
// address meets a page, not the API's JSON. Call it while wiring.
func (s *Server) PageNotFound(h http.Handler) { s.pageNotFound = h }

// wantsHTML is true for a browser's page load: a GET or HEAD that
// accepts text/html (API clients ask for JSON or anything).
func wantsHTML(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// route serves the mux, answering unknown routes (404) and wrong methods
// (405, with Allow) in JSON instead of the mux's plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &recorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		if s.pageNotFound != nil && wantsHTML(r) && !strings.HasPrefix(r.URL.Path, "/api/") {
			s.pageNotFound.ServeHTTP(w, r)
			return
		}
		writeJSONError(w, http.StatusNotFound, offboard.ENOTFOUND,
			fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeJSONError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed,
			fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow))
	default: // anything else the mux says on its own: pass it through
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	}
}

// recorder captures the mux's own answer to an unrouted request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// healthz answers 200 when the store answers within healthTimeout, else
// 503. It needs no token; the error says what failed, not how.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	err := s.pingWithin(ctx)
	if err == nil {
		writeJSON(w, http.StatusOK, healthResponse{Status: "ok", Version: s.version})
		return
	}
	msg := "store: not reachable; see the offboard log"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("store: no answer within %s", healthTimeout)
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "health check failed",
		slog.String("request_id", RequestID(r.Context())), slog.String("err", err.Error()))
	writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable", Version: s.version, Error: msg})
}

// pingWithin runs Ping but returns when ctx ends even if Ping does not
// honour it (a bbolt read can wait on a remap).
func (s *Server) pingWithin(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("ping panicked: %v", v)
			}
		}()
		done <- s.ping(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
