package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	slackbot "github.com/offboard-dev/offboard/bot/slack"
	teamsbot "github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/config"
	msconn "github.com/offboard-dev/offboard/connectors/microsoft"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/store"
)

// doctorTimeout bounds each integration's checks; they run side by side
// (a variable for the test of a service that does not answer).
var doctorTimeout = 10 * time.Second

const doctorSynopsis = "Check every configured integration live, read-only, and print a checklist with the fix for each failure:\n" +
	"Slack (auth.test, scopes, socket mode, department channels), Okta (token, DPoP, user/factor/grant reads),\n" +
	"Entra ID (token, user/method/grant reads, users with managers, mailbox time zones),\n" +
	"Google Workspace (a token per scope of the domain-wide delegation, user, Data Transfer, Vault and license reads),\n" +
	"Teams (bot token), BambooHR (API key), the model (one tool-call round trip), the store (file, audit chain,\n" +
	"indexes, free disk space), backups (the newest one's age). Nothing is written anywhere. Exit 0: every configured check passed (warnings\n" +
	"allowed). Exit 1: a check failed."

// doctorOptions let tests point integrations without an address in the
// config at fakes.
type doctorOptions struct {
	bamboohrBaseURL string
	// skipStore leaves out the store (serve holds it and checked it).
	skipStore bool
}

func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("doctor", doctorSynopsis, stderr)
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	results := runDoctor(ctx, cfg, doctorOptions{})
	failed := 0
	for _, r := range results {
		if r.Status == offboard.CheckFail {
			failed++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"ok": failed == 0, "checks": results}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			fmt.Fprintln(stdout, checkLine(r))
		}
	}
	if failed > 0 {
		if *asJSON {
			return exitError{code: 1}
		}
		plural := "s"
		if failed == 1 {
			plural = ""
		}
		return exitError{code: 1, msg: fmt.Sprintf("%d check%s failed", failed, plural)}
	}
	return nil
}

// checkLine is one line of the checklist.
func checkLine(r offboard.CheckResult) string {
	mark := map[offboard.CheckStatus]string{offboard.CheckOK: "✓", offboard.CheckWarn: "!", offboard.CheckFail: "✗", offboard.CheckSkip: "–"}[r.Status]
	line := fmt.Sprintf("%s %s: %s", mark, r.Name, r.Detail)
	if r.Fix != "" {
		line += " — " + r.Fix
	}
	return line
}

// runDoctor runs every integration's checks concurrently, each within
// doctorTimeout, and returns them in a fixed order. Every result passes
// the redactor: no configured secret is ever printed or logged.
func runDoctor(ctx context.Context, cfg *config.Config, o doctorOptions) []offboard.CheckResult {
	type group struct {
		name string
		run  func(ctx context.Context) []offboard.CheckResult
	}
	groups := []group{
		{"Slack", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.SlackEnabled() {
				return skipped("Slack", "slack.bot_token and slack.app_token are empty")
			}
			channels := map[offboard.Department]string{}
			for d, s := range cfg.Departments {
				channels[d] = s.SlackChannel
			}
			return slackbot.Doctor(ctx, slackbot.DoctorOptions{AppToken: cfg.Slack.AppToken.Reveal(), BotToken: cfg.Slack.BotToken.Reveal(),
				APIURL: cfg.Slack.APIURL, Channels: channels})
		}},
		{"Okta", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.OktaEnabled() {
				return skipped("Okta", "okta.org_url is empty")
			}
			c, err := oktaconn.New(ctx, oktaconn.Options{Config: cfg.Okta})
			if err != nil {
				return []offboard.CheckResult{offboard.CheckFailed("Okta", err.Error(), "fix the okta section of the config (offboard config check)")}
			}
			return c.Doctor(ctx)
		}},
		{"Entra ID", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.EntraEnabled() {
				return skipped("Entra ID", "entra.tenant_id is empty")
			}
			e, err := newEntra(cfg)
			if err != nil {
				return []offboard.CheckResult{offboard.CheckFailed("Entra ID", err.Error(), "fix the entra section of the config (offboard config check)")}
			}
			return append(e.Doctor(ctx), e.DirectoryDoctor(ctx)...)
		}},
		{"Intune", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.IntuneEnabled() {
				return skipped("Intune", "intune.enabled is off (or entra is not configured)")
			}
			c, err := newGraphClient(cfg, nil)
			if err != nil {
				return []offboard.CheckResult{offboard.CheckFailed("Intune", err.Error(), "fix the entra section of the config (offboard config check)")}
			}
			return msconn.NewIntune(c).Doctor(ctx)
		}},
		{"Jamf Pro", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.JamfEnabled() {
				return skipped("Jamf Pro", "jamf.url is empty")
			}
			j, err := newJamf(cfg, nil)
			if err != nil {
				return []offboard.CheckResult{offboard.CheckFailed("Jamf Pro", err.Error(), "fix the jamf section of the config (offboard config check)")}
			}
			return j.Doctor(ctx)
		}},
		{"Google Workspace", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.GoogleEnabled() {
				return skipped("Google Workspace", "google.service_account_key is empty")
			}
			c, err := newGoogleClient(cfg, nil)
			if err != nil {
				return []offboard.CheckResult{offboard.CheckFailed("Google Workspace", err.Error(), "fix the google section of the config (offboard config check)")}
			}
			return c.Doctor(ctx, "")
		}},
		{"Teams", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.TeamsEnabled() {
				return skipped("Teams", "teams.app_id is empty")
			}
			return teamsbot.Doctor(ctx, teamsbot.DoctorOptions{AppID: cfg.Teams.AppID, AppPassword: cfg.Teams.AppPassword.Reveal(),
				TenantID: cfg.Teams.TenantID, LoginURL: cfg.Teams.LoginURL})
		}},
		{"BambooHR", func(ctx context.Context) []offboard.CheckResult {
			api, err := newBambooHRAPI(cfg, offboard.WallClock(), o.bamboohrBaseURL, nil)
			switch {
			case err != nil:
				return []offboard.CheckResult{offboard.CheckFailed("BambooHR", err.Error(), "fix hris.bamboohr (offboard config check)")}
			case api == nil:
				return skipped("BambooHR", "hris.bamboohr.api_key or hris.bamboohr.subdomain is empty")
			}
			return api.Doctor(ctx)
		}},
		{"Model", func(ctx context.Context) []offboard.CheckResult {
			if !cfg.AssistantEnabled() {
				return skipped("Model", "assistant.model is empty: questions get the rule-based answers")
			}
			c := cfg.Assistant
			return assistant.Doctor(ctx, assistant.ModelOptions{APIKey: c.APIKey.Reveal(), BaseURL: c.BaseURL, Model: c.Model, APIVersion: c.APIVersion})
		}},
		{"Store", func(ctx context.Context) []offboard.CheckResult {
			if cfg.EtcdBackend() {
				return []offboard.CheckResult{etcdDoctor(ctx, cfg)}
			}
			if o.skipStore {
				return []offboard.CheckResult{store.DiskCheck(cfg.Store.Path)}
			}
			return store.Doctor(ctx, cfg.Store.Path)
		}},
		{"Backups", func(context.Context) []offboard.CheckResult {
			if o.skipStore {
				return nil // serve logs its own backups
			}
			if cfg.EtcdBackend() {
				return []offboard.CheckResult{{Name: "Backups", Status: offboard.CheckSkip, Detail: "not offboard's: " + etcdToolsAdvice}}
			}
			return []offboard.CheckResult{backupDoctor(cfg.Store.Backup, time.Now())}
		}},
	}
	per := make([][]offboard.CheckResult, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() {
			gctx, cancel := context.WithTimeout(ctx, doctorTimeout)
			defer cancel()
			done := make(chan []offboard.CheckResult, 1)
			go func() { done <- g.run(gctx) }()
			select {
			case per[i] = <-done:
			case <-gctx.Done():
				// A check that ignores its context must not hold up the rest.
				per[i] = []offboard.CheckResult{offboard.CheckFailed(g.name, fmt.Sprintf("no answer within %s", doctorTimeout),
					"check that the service is reachable from this host")}
			}
		})
	}
	wg.Wait()
	redactor := redactorFor(cfg)
	var out []offboard.CheckResult
	for _, rs := range per {
		for _, r := range rs {
			r.Detail, r.Fix = redactor.String(r.Detail), redactor.String(r.Fix)
			out = append(out, r)
		}
	}
	return out
}

func skipped(name, why string) []offboard.CheckResult {
	return []offboard.CheckResult{{Name: name, Status: offboard.CheckSkip, Detail: "not configured (" + why + ")"}}
}

// serveRunsDoctor is off in this package's tests, whose fakes count
// calls and script the model's answers; TestServe_DoctorAtStart turns it on.
var serveRunsDoctor = true

// doctorAtStart runs the checks in the background once serve is up and
// logs a warning per failure with its fix; it never delays start.
func (a *app) doctorAtStart(ctx context.Context) {
	if !serveRunsDoctor {
		return
	}
	go func() {
		for _, r := range runDoctor(ctx, a.cfg, doctorOptions{skipStore: true}) {
			switch r.Status {
			case offboard.CheckFail:
				a.log.Warn("doctor: check failed", slog.String("check", r.Name), slog.String("detail", r.Detail), slog.String("fix", r.Fix))
			case offboard.CheckWarn:
				a.log.Info("doctor: check warns", slog.String("check", r.Name), slog.String("detail", r.Detail), slog.String("fix", r.Fix))
			}
		}
	}()
}
