// Package dashboard serves the read-only web dashboard: server-rendered
// HTML pages (no JavaScript, no external resources) showing open cases,
// one case in detail, analytics and the audit trail with its exports and
// chain verification.
package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/theme"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// Options configure the dashboard.
type Options struct {
	// Engine is what the dashboard reads through; it changes nothing.
	Engine offboard.CaseReader
	// Audit iterates the audit events matching a filter, oldest first
	// (store.DB.AuditEvents).
	Audit func(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
	// Verify recomputes the audit chain (store.DB.VerifyAudit).
	Verify func(ctx context.Context) (offboard.AuditVerifyResult, error)
	// Clock defaults to the wall clock, Location to UTC, Logger to a
	// discarding logger.
	Clock    offboard.Clock
	Location *time.Location
	Logger   *slog.Logger
	// Departments is the configured set: tables name departments by
	// label and list them in its order (empty: StandardDepartments).
	Departments offboard.Departments
	// Viewer is who the pages show data to; the zero value means the
	// system actor "dashboard". ViewerOf, when set, replaces it per
	// request: the signed-in person (web/signin), whose pages then show
	// only what CanViewCase lets them see.
	Viewer   offboard.Actor
	ViewerOf func(r *http.Request) (offboard.Actor, bool)
	// SignOutURL, when set with ViewerOf, is where the sign-out form posts.
	SignOutURL string
	// CacheTTL is how long the index and analytics pages reuse what they
	// read from the engine: 0 means DefaultCacheTTL, negative disables
	// the cache.
	CacheTTL time.Duration
	// Banner, when set, is shown on every page (demo mode says DEMO).
	Banner string
	// Evidence, when set, serves the evidence pack at /evidence.zip to
	// admins and Security (package evidence builds it).
	Evidence EvidenceFunc
	// PublicURL (http.public_url) is an origin posts may come from
	// besides the one they were sent to (a TLS-terminating proxy).
	PublicURL string
	// Cards draws a case as the console's room shows it (bot.CaseHeader,
	// TaskCards, ApprovalCard); the case page shows them without their
	// buttons. Nil: the page shows its facts and tables only.
	Cards func(v *offboard.CaseView, now time.Time) []offboard.Card
	// SLA is the revocation deadline per departure kind (evidence.sla);
	// nil means offboard.DefaultSLAPolicy.
	SLA offboard.SLAPolicy
}

// Limits of what one page reads or shows.
const (
	// AuditPageLimit is how many events /audit shows (the latest).
	AuditPageLimit = 500
	// listLimit bounds the cases read per status for the index and analytics.
	listLimit = 100000
	// timelineLimit bounds the events shown on a case page.
	timelineLimit = 2000
)

type server struct {
	o     Options
	cache *cache
	pages map[string]*template.Template
	css   []byte
}

// New returns the dashboard's handler, with its routes under "/".
func New(o Options) (http.Handler, error) {
	if o.Engine == nil {
		return nil, errors.New("dashboard: Options.Engine is required")
	}
	if o.Audit == nil || o.Verify == nil {
		return nil, errors.New("dashboard: Options.Audit and Options.Verify are required")
	}
	if o.Clock == nil {
		o.Clock = offboard.WallClock()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Viewer.Kind == "" {
		o.Viewer = offboard.System("dashboard")
	}
	if o.SLA == nil {
		o.SLA = offboard.DefaultSLAPolicy()
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	s := &server{o: o, pages: map[string]*template.Template{}, cache: &cache{ttl: o.CacheTTL, entries: map[string]*cacheEntry{}}}
	funcs := template.FuncMap{
		"when":     s.when,
		"whenp":    s.whenp,
		"humanize": offboard.Humanize,
		"day":      offboard.FormatDay,
		"dept":     func(d offboard.Department) string { return s.o.Departments.Label(d) },
		"plural":   plural,
		"evlabel":  offboard.EvidenceLabel,
	}
	for _, p := range []string{"index", "case", "analytics", "audit", "evidence", "error"} {
		t, err := template.New(p).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: templates: %w", err)
		}
		s.pages[p] = t
	}
	css, err := fs.ReadFile(assets, "static/style.css")
	if err != nil {
		return nil, err
	}
	s.css = theme.With(css)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /cases/{id}", s.casePage)
	mux.HandleFunc("GET /analytics", s.analytics)
	mux.HandleFunc("GET /audit", s.audit)
	mux.HandleFunc("GET /audit.json", s.auditExport("json"))
	mux.HandleFunc("GET /audit.csv", s.auditExport("csv"))
	mux.HandleFunc("POST /audit/verify", s.verify)
	mux.HandleFunc("GET /evidence.zip", s.evidence)
	mux.HandleFunc("GET /evidence", s.evidencePage)
	mux.HandleFunc("GET /static/style.css", s.style)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "There is no page at this address.")
	})
	return secure(s.identified(mux)), nil
}

// secure sets the headers every response carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: under no-referrer browsers send
		// "Origin: null" on the page's own form posts, which the origin
		// check of POST /audit/verify must refuse.
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func (s *server) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(s.css)
}

// page is what every template gets.
type page struct {
	Title  string
	Nav    string
	Now    time.Time
	Banner string
	Data   any
	// Who is the signed-in person's name ("" without sign-in).
	Who     string
	SignOut string
	// Evidence shows the Evidence link to those who may use the page.
	Evidence bool
}

func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var buf bytes.Buffer
	p := page{Title: title, Nav: name, Now: s.o.Clock.Now(), Banner: s.o.Banner, Data: data}
	p.Evidence = s.o.Evidence != nil && mayDownloadEvidence(viewerOf(r.Context()))
	if s.o.ViewerOf != nil {
		if v := viewerOf(r.Context()); v.Kind != "" {
			p.Who, p.SignOut = cmp.Or(v.Email, v.Name, v.ID), s.o.SignOutURL
		}
	}
	err := s.pages[name].ExecuteTemplate(&buf, "layout", p)
	if err != nil {
		s.o.Logger.ErrorContext(r.Context(), "dashboard: render", "page", name, "err", err)
		if name != "error" {
			s.fail(w, r, http.StatusInternalServerError, "The page could not be shown.")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Status  int
	Heading string
	Message string
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", http.StatusText(status), errorData{Status: status, Heading: http.StatusText(status), Message: msg})
}

// failErr maps an engine or store error to a page. Only errors with a
// code carry their message to the page; others are logged.
func (s *server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch offboard.ErrorCode(err) {
	case offboard.ENOTFOUND:
		s.fail(w, r, http.StatusNotFound, "Not found.")
	case offboard.EINVALID:
		s.fail(w, r, http.StatusBadRequest, offboard.ErrorMessage(err))
	case offboard.EFORBIDDEN:
		s.fail(w, r, http.StatusForbidden, "You may not see this.")
	default:
		if errors.Is(err, context.Canceled) {
			return
		}
		s.o.Logger.ErrorContext(r.Context(), "dashboard", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "Something went wrong reading the data. The error was logged.")
	}
}

func (s *server) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return offboard.FormatTime(t, s.o.Clock.Now(), s.o.Location)
}

// plural is "1 case", "2 cases".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (s *server) whenp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return s.when(*t)
}
