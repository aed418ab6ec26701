// The pages people open in a browser (the dashboard and the console),
// their guard, and the assistant that answers in them and in chat.

package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/web/dashboard"
)

// banner is the line every console and dashboard page shows, if any.
func (a *app) banner() string {
	if a.cfg.Demo {
		return demoBanner
	}
	return ""
}

// mountDashboard serves the dashboard at the root. It shows every case,
// so it is on only with console.enabled, and either listens on loopback
// or asks for console.token (config validation refuses anything else).
func (a *app) mountDashboard(clock offboard.Clock) error {
	cfg := a.cfg
	h, err := dashboard.New(dashboard.Options{Engine: a.engine, Audit: a.db.AuditEvents, Verify: a.db.VerifyAudit,
		Clock: clock, Location: cfg.Location(), Logger: a.log.With("component", "dashboard"), Banner: a.banner(), PublicURL: cfg.HTTP.PublicURL})
	if err != nil {
		return err
	}
	h = a.guard(h)
	for _, pattern := range []string{"GET /{$}", "GET /cases/{id}", "GET /analytics", "GET /audit", "GET /audit.json",
		"GET /audit.csv", "POST /audit/verify", "GET /static/"} {
		a.web.Mount(pattern, h)
	}
	return nil
}

// newAssistant answers questions with the configured language model and
// the rules as its fallback, or with the rules alone when no model is
// configured.
func newAssistant(cfg *config.Config, log *slog.Logger, e *flows.Engine, clock offboard.Clock, roles func(string) []offboard.Role) (bot.Assistant, error) {
	rules := assistant.New(e, clock, cfg.Location())
	if !cfg.AssistantEnabled() {
		return rules, nil
	}
	c := cfg.Assistant
	m, err := assistant.NewModel(assistant.ModelOptions{Engine: e, Roles: roles,
		APIKey: c.APIKey.Reveal(), BaseURL: c.BaseURL, Model: c.Model, APIVersion: c.APIVersion, MaxToolRounds: c.MaxToolRounds, Timeout: c.Timeout.D(),
		Fallback: rules, Clock: clock, Location: cfg.Location(), Redactor: redactorFor(cfg), Logger: log.With("component", "assistant")})
	if err != nil {
		return nil, fmt.Errorf("assistant: %w", err)
	}
	return m, nil
}

// guard asks every request to the dashboard and the console for
// console.token (as the Basic auth password) when one is set; without
// it, config validation has made sure offboard listens on loopback only.
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
