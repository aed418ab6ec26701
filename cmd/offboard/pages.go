// The pages people open in a browser (the dashboard and the console),
// their guard, and the assistant that answers in them and in chat.

package main

import (
	"time"

	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/console"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/web/dashboard"
	"github.com/offboard-dev/offboard/web/signin"
)

// banner is the line every console and dashboard page shows, if any.
func (a *app) banner() string {
	if a.cfg.Demo {
		return demoBanner
	}
	return ""
}

// Routes of the console and the dashboard.
var (
	consolePatterns   = []string{"GET /console", "GET /console/", "POST /console/"}
	dashboardPatterns = []string{"GET /{$}", "GET /cases/{id}", "GET /analytics", "GET /audit", "GET /audit.json",
		"GET /audit.csv", "POST /audit/verify", "GET /evidence", "GET /evidence.zip", "GET /static/"}
)

// consoleNeeds names what the console and dashboard need outside demo
// mode, for the log at start and the page shown while they are off.
const consoleNeeds = "outside demo mode people sign in: set console.oidc.issuer, console.oidc.client_id and " +
	"console.oidc.client_secret (see Signing in in README.md), or console.token for an admin's password"

// caseWatcher tells of cases changed by any replica (etcdstore.Store).
type caseWatcher interface {
	WatchCases(ctx context.Context, changed func(offboard.CaseID))
}

// wireConsole builds the console and, outside demo mode, the sign-in.
// In demo mode people pick whom they act as; outside it they sign in
// with OIDC (or an admin with console.token), and without either the
// console and dashboard stay off rather than open to whoever reaches
// them — loopback included, since anyone on the host reaches that.
func (a *app) wireConsole(clock offboard.Clock) error {
	cfg := a.cfg
	o := console.Options{Router: a.router, Engine: a.engine, People: cfg.Roles,
		Audit: a.db.AuditEvents, DashboardURL: "/", Banner: a.banner(), Clock: clock, Location: cfg.Location(),
		Logger: a.log.With("component", "console"), PublicURL: cfg.HTTP.PublicURL, Metrics: a.meter,
		// Replicas on one store share console.token, so any of them
		// accepts a form another served (README: High availability).
		CSRFSecret: cfg.Console.Token.Reveal()}
	if w, ok := a.db.(caseWatcher); ok {
		// Replicas on etcd: rooms redraw when the leader (or any replica)
		// changes a case, not only on this replica's own notices.
		o.Changes = w.WatchCases
	}
	if !cfg.Demo {
		if !cfg.OIDCEnabled() && cfg.Console.Token == "" {
			a.consoleOff = consoleNeeds
			return nil
		}
		oc := cfg.Console.OIDC
		auth, err := signin.New(signin.Options{Issuer: oc.Issuer, ClientID: oc.ClientID, ClientSecret: oc.ClientSecret.Reveal(),
			RedirectURL: cfg.OIDCRedirectURL(), Scopes: oc.Scopes, EmailClaim: oc.EmailClaim, SessionTTL: oc.SessionTTL.D(),
			AdminToken: cfg.Console.Token.Reveal(), Roles: a.rolesOf, Clock: clock, Logger: a.log.With("component", "signin"),
			// Sign-ins are evidence too: who could see what, from when.
			Audit: a.audit})
		if err != nil {
			return err
		}
		a.signin = auth
		o.Identify = signin.Identify
		if auth.OIDC() {
			o.SignOutURL = signin.SignOutPath
		}
	}
	var err error
	if a.console, err = console.New(o); err != nil {
		return err
	}
	a.addNotifier(console.PlatformName, a.console)
	a.digests = append(a.digests, a.console)
	return nil
}

// mountPages serves the console at /console and the dashboard at the
// root, behind the sign-in (or, in demo mode, console.token when set);
// while they are off, their routes say what they need.
func (a *app) mountPages(clock offboard.Clock) error {
	if a.console == nil {
		off := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "The console and dashboard are off: "+consoleNeeds+".", http.StatusServiceUnavailable)
		})
		for _, p := range append(slices.Clone(consolePatterns), dashboardPatterns...) {
			a.web.Mount(p, off)
		}
		return nil
	}
	cfg := a.cfg
	o := dashboard.Options{Engine: a.engine, Audit: a.db.AuditEvents, Verify: a.db.VerifyAudit,
		Clock: clock, Location: cfg.Location(), Departments: cfg.DepartmentSet(), Logger: a.log.With("component", "dashboard"), Banner: a.banner(), PublicURL: cfg.HTTP.PublicURL,
		Evidence: a.evidencePack, SLA: cfg.Evidence.SLAPolicy(), Cards: dashboardCards(cfg.Location())}
	protect := a.guard
	if a.signin != nil {
		o.ViewerOf = signin.Identify
		if a.signin.OIDC() {
			o.SignOutURL = signin.SignOutPath
		}
		protect = a.signin.Require
		h := a.signin.Handler()
		for _, p := range a.signin.Patterns() {
			a.web.Mount(p, h)
		}
	}
	dash, err := dashboard.New(o)
	if err != nil {
		return err
	}
	dash = protect(dash)
	for _, p := range dashboardPatterns {
		a.web.Mount(p, dash)
	}
	// The dashboard's catch-all draws its 404 page for any address no
	// route knows, so a browser never meets the API's JSON.
	a.web.PageNotFound(dash)
	con := protect(a.console.Handler())
	for _, p := range consolePatterns {
		a.web.Mount(p, con)
	}
	return nil
}

// newAssistant answers questions with the configured language model and
// the rules as its fallback, or with the rules alone when no model is
// configured.
func newAssistant(cfg *config.Config, log *slog.Logger, e *flows.Engine, clock offboard.Clock, roles func(string) []offboard.Role) (bot.Assistant, error) {
	rules := assistant.New(e, clock, cfg.Location()).WithDepartments(cfg.DepartmentSet())
	if !cfg.AssistantEnabled() {
		return rules, nil
	}
	c := cfg.Assistant
	m, err := assistant.NewModel(assistant.ModelOptions{Engine: e, Roles: roles,
		APIKey: c.APIKey.Reveal(), BaseURL: c.BaseURL, Model: c.Model, APIVersion: c.APIVersion, MaxToolRounds: c.MaxToolRounds, Timeout: c.Timeout.D(),
		Fallback: rules, Clock: clock, Location: cfg.Location(), Departments: cfg.DepartmentSet(), Redactor: redactorFor(cfg), Logger: log.With("component", "assistant")})
	if err != nil {
		return nil, fmt.Errorf("assistant: %w", err)
	}
	return m, nil
}

// guard (demo mode) asks every request to the dashboard and the console
// for console.token (as the Basic auth password) when one is set;
// without it, config validation has made sure offboard listens on
// loopback only.
func (a *app) guard(next http.Handler) http.Handler {
	token := a.cfg.Console.Token.Reveal()
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		got := sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="offboard", charset="UTF-8"`)
			http.Error(w, "the dashboard and console need console.token as the password", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// dashboardCards draws a case for the dashboard's case page with the
// cards its console room shows, so both say the same in the same words.
func dashboardCards(loc *time.Location) func(v *offboard.CaseView, now time.Time) []offboard.Card {
	return func(v *offboard.CaseView, now time.Time) []offboard.Card {
		cards := []offboard.Card{bot.CaseHeader(v, now, loc)}
		cards = append(cards, bot.TaskCards(v, now, loc)...)
		for _, a := range v.Approvals {
			cards = append(cards, bot.ApprovalCard(v, a))
		}
		return cards
	}
}
