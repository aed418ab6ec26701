package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/internal/theme"
)

// PlatformName is the platform recorded on actors who act in the console.
const PlatformName = "console"

//go:embed templates/*.html static/console.css static/console.js static/people.js
var assets embed.FS

// Options configure a Console. Router and Engine are required.
type Options struct {
	Router *bot.Router
	// Engine is what the console reads through (it acts through Router).
	// Every read carries the person acting, so the engine's visibility
	// rule decides which rooms they see.
	Engine offboard.CaseReader
	// People are the configured role holders by role (config roles:);
	// they, and the managers of open cases, are who one may act as.
	People map[offboard.Role][]string
	// Audit iterates a case's audit events, oldest first
	// (store.DB.AuditEvents); nil hides the room's audit trail.
	Audit func(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
	// Identify, when set, says who signed in (web/signin): the console
	// then shows and acts for that person only, and "acting as" is off.
	// Nil means demo mode: the browser picks whom it acts as from People.
	Identify func(r *http.Request) (offboard.Actor, bool)
	// SignOutURL, when set with Identify, is where the sign-out form posts.
	SignOutURL string
	// DashboardURL, when set, is linked from the top bar.
	DashboardURL string
	// Banner, when set, is shown on every page (demo mode says DEMO).
	Banner string
	// PublicURL (http.public_url) is an origin posts may come from
	// besides the one they were sent to (a TLS-terminating proxy).
	PublicURL string
	Clock     offboard.Clock
	Location  *time.Location
	Logger    *slog.Logger
	// Metrics hears how long each accepted post (a message, a click, a
	// form) took to be answered (nil: nobody).
	Metrics offboard.Metrics
	// Changes, when set, tells of cases changed by any replica sharing
	// the store (etcdstore.Store.WatchCases) until its ctx ends, at
	// Close: open rooms redraw from the store then. Notices reach only
	// the leader's console, so without it a follower's rooms redraw only
	// on reload.
	Changes func(ctx context.Context, changed func(offboard.CaseID))
	// CSRFSecret, when set (console.token), keys the forms' CSRF tokens,
	// so every replica sharing it accepts a page another served, and a
	// page open across a restart still posts. Empty: a random key per
	// start.
	CSRFSecret string
}

// Limits that keep memory bounded however long offboard runs.
const (
	maxLines   = 200  // notice lines kept per room
	maxInboxes = 2000 // people (or browsers) with a pending form or flash
	maxFlash   = 20   // private answers kept per person
	roomLimit  = 200  // rooms listed per status
	auditLimit = 300  // audit events shown in a room
	keepAlive  = 20 * time.Second
)

// Console serves the web chat and receives notices.
type Console struct {
	o     Options
	pages *template.Template
	css   []byte
	js    []byte
	// peopleJS is the person pickers' script (static/people.js).
	peopleJS []byte
	// key signs CSRF tokens: derived from Options.CSRFSecret, else a
	// new one each start (tokens of an earlier run are then refused and
	// the page is simply loaded again).
	key []byte

	mu      sync.Mutex
	rooms   map[offboard.CaseID]*roomLog
	inboxes map[string]*inbox
	subs    map[chan offboard.CaseID]struct{}
	closed  bool
	// digest is the latest daily digest (PostDigest).
	digest *offboard.Digest
	// stopChanges ends the Options.Changes watch.
	stopChanges context.CancelFunc
}

var _ offboard.Notifier = (*Console)(nil)

// New builds a Console.
func New(o Options) (*Console, error) {
	if o.Router == nil || o.Engine == nil {
		return nil, errors.New("console: Options.Router and Options.Engine are required")
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
	c := &Console{o: o, rooms: map[offboard.CaseID]*roomLog{}, inboxes: map[string]*inbox{},
		subs: map[chan offboard.CaseID]struct{}{}, key: csrfKey(o.CSRFSecret)}
	if c.key == nil {
		c.key = make([]byte, 32)
		if _, err := rand.Read(c.key); err != nil {
			return nil, err
		}
	}
	t, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = t.Funcs(template.FuncMap{"when": c.when, "clock": c.clock})
	own, err := fs.ReadFile(assets, "static/console.css")
	if err != nil {
		return nil, err
	}
	c.css = theme.With(own)
	if c.js, err = fs.ReadFile(assets, "static/console.js"); err != nil {
		return nil, err
	}
	if c.peopleJS, err = fs.ReadFile(assets, "static/people.js"); err != nil {
		return nil, err
	}
	c.stopChanges = func() {}
	if o.Changes != nil { // last: nothing after it may fail and leak the watch
		ctx, cancel := context.WithCancel(context.Background())
		c.stopChanges = cancel
		go o.Changes(ctx, c.publish)
	}
	return c, nil
}

// parsePages parses the templates; "when" and "clock" need the console's
// clock and zone, so New replaces them.
func parsePages() (*template.Template, error) {
	t, err := template.New("console").Funcs(template.FuncMap{
		"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
		"clock": func(t time.Time) string { return t.UTC().Format("15:04") },
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	return t, nil
}

// Handler returns the console's routes, all under /console.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", c.home)
	mux.HandleFunc("GET /console/{$}", c.home)
	mux.HandleFunc("GET /console/rooms/{id}", c.roomPage)
	mux.HandleFunc("GET /console/events", c.events)
	mux.HandleFunc("GET /console/static/console.css", c.static("text/css; charset=utf-8", c.css))
	mux.HandleFunc("GET /console/static/console.js", c.static("text/javascript; charset=utf-8", c.js))
	mux.HandleFunc("GET /console/static/people.js", c.static("text/javascript; charset=utf-8", c.peopleJS))
	mux.HandleFunc("GET /console/people", c.peopleSearch)
	mux.HandleFunc("POST /console/as", c.post(c.actAs))
	mux.HandleFunc("POST /console/say", c.post(c.say))
	mux.HandleFunc("POST /console/click", c.post(c.click))
	mux.HandleFunc("POST /console/submit", c.post(c.submit))
	mux.HandleFunc("POST /console/dismiss", c.post(c.dismiss))
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusNotFound, "There is no page at this address.")
	})
	return secure(mux)
}

// secure sets the headers every response carries. Scripts and styles come
// only from the console itself; no page may be framed.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func (c *Console) static(ctype string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	}
}

// Close ends every live-update stream, so that an HTTP shutdown does not
// wait for browsers that would otherwise stay connected.
func (c *Console) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.stopChanges()
	for ch := range c.subs {
		close(ch)
		delete(c.subs, ch)
	}
}

func (c *Console) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return offboard.FormatTime(t, c.o.Clock.Now(), c.o.Location)
}

// clock is the short time beside a chat line.
func (c *Console) clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	now := c.o.Clock.Now().In(c.o.Location)
	t = t.In(c.o.Location)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}
