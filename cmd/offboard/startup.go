package main

import (
	"net/url"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
)

// logStartup says what is on, and why everything else is off.
func (a *app) logStartup() {
	cfg := a.cfg
	where := cfg.Store.Path
	if cfg.EtcdBackend() {
		where = "etcd " + strings.Join(cfg.Store.Etcd.Endpoints, ",") + " " + cfg.Store.Etcd.Prefix
	}
	a.log.Info("offboard starting", "version", offboard.Version, "store", where,
		"listen", cfg.HTTP.Listen, "time_zone", cfg.Location().String())
	if cfg.SlackEnabled() {
		a.log.Info("chat platform on", "platform", "slack", "api_url", cfg.Slack.APIURL)
	} else {
		a.log.Info("chat platform off", "platform", "slack", "why", "not configured: set slack.app_token and slack.bot_token")
	}
	if cfg.TeamsEnabled() {
		a.log.Info("chat platform on", "platform", "teams", "endpoint", "POST /api/messages",
			"offboarding_channel", cfg.Teams.OffboardingChannelID != "")
		if cfg.Teams.OffboardingChannelID == "" {
			a.log.Warn("teams.offboarding_channel_id is not set; case threads cannot be created", "platform", "teams")
		}
	} else {
		a.log.Info("chat platform off", "platform", "teams", "why", "not configured: set teams.app_id, teams.app_password and teams.tenant_id")
	}
	for _, st := range a.actions.Status() {
		if st.Configured {
			a.log.Info("connector on", "connector", st.Connector, "actions", len(st.Actions), "capabilities", st.Capabilities)
		} else {
			a.log.Warn("connector off; its tasks will fail visibly", "connector", st.Connector, "why", st.Why)
		}
	}
	a.logIdentitySystems()
	switch b := cfg.Store.Backup; {
	case cfg.EtcdBackend():
		// serve logs etcd's tools in their place.
	case b.Dir == "":
		a.log.Warn("backups off", "why", "store.backup.dir is not set; the store file is the only copy of the audit trail")
	case b.Every == 0:
		a.log.Info("backups on demand only", "dir", b.Dir, "endpoint", "POST /api/v1/admin/backup", "why", "store.backup.every is not set")
	}
	switch {
	case !cfg.Metrics.Enabled:
		a.log.Info("metrics off", "why", "metrics.enabled is false")
	case cfg.Metrics.Token != "":
		a.log.Info("metrics on", "path", "/metrics", "scrapers", "any address with the bearer token metrics.token")
	default:
		a.log.Info("metrics on", "path", "/metrics", "scrapers", "loopback only, not through a proxy; set metrics.token to scrape from elsewhere")
	}
	if cfg.HRIS.BambooHR.WebhookSecret != "" {
		a.log.Info("HRIS intake on", "source", "bamboohr", "path", "/webhooks/bamboohr")
	} else {
		a.log.Info("HRIS intake off", "source", "bamboohr", "why", "not configured: set hris.bamboohr.webhook_secret")
	}
	if cfg.HRIS.Generic.Token != "" {
		a.log.Info("HRIS intake on", "source", "generic", "path", "/webhooks/hris")
	}
	switch {
	case !cfg.Digest.Enabled:
		a.log.Info("daily digest off", "why", "digest.enabled is false")
	case len(a.digests) == 0:
		a.log.Info("daily digest off", "why", "no chat platform posts it: configure Slack or Teams, or enable the console")
	default:
		a.log.Info("daily digest on", "cron", cfg.Digest.Cron, "slack_hr_channel", cfg.Slack.HRChannel,
			"teams", a.teams != nil, "console", a.console != nil)
	}
	if len(a.dirSources) > 0 {
		names := make([]string, 0, len(a.dirSources))
		for _, s := range a.dirSources {
			names = append(names, s.name)
		}
		a.log.Info("directory on: escalations go to the approver's own manager, in the approver's hours",
			"sources", strings.Join(names, ","), "every", "1h")
		a.log.Info("directory check on: a typed email the directory does not know is refused with the nearest known one unless confirmed; nothing is checked until a source has listed people",
			"sources", strings.Join(names, ","))
	} else {
		a.log.Info("directory off: escalations go to escalation.escalate_to",
			"why", "none of Okta, Microsoft Entra ID, Google Workspace or the BambooHR API is configured")
		a.log.Warn("directory check off: a mistyped email opens a case for nobody",
			"why", "none of Okta, Microsoft Entra ID, Google Workspace, the BambooHR API, Slack or Teams (with its Offboarding channel) is configured")
	}
	if a.reconciler != nil {
		a.log.Info("reconciliation on", "source", "bamboohr", "idp", a.reconcileIdP, "every", "1h")
	} else {
		a.log.Info("reconciliation off", "source", "bamboohr", "why", a.reconcileOff)
	}
	switch {
	case cfg.Console.Enabled && a.console == nil:
		a.log.Warn("console and dashboard off", "why", a.consoleOff)
	case cfg.Console.Enabled:
		signIn := "demo: pick whom you act as"
		switch {
		case a.signin != nil && a.signin.OIDC() && cfg.Console.Token != "":
			signIn = "oidc; console.token signs in an admin"
		case a.signin != nil && a.signin.OIDC():
			signIn = "oidc"
		case a.signin != nil:
			signIn = "console.token only (an admin); set console.oidc.* for people to sign in"
		}
		a.log.Info("console on", "url", "http://"+cfg.HTTP.Listen+"/console", "dashboard", "http://"+cfg.HTTP.Listen+"/",
			"sign_in", signIn, "oidc_issuer", cfg.Console.OIDC.Issuer, "redirect_url", cfg.OIDCRedirectURL())
		if cfg.Demo && cfg.OIDCEnabled() {
			a.log.Warn("demo mode: console.oidc is ignored; the console lets you pick whom you act as")
		}
	default:
		a.log.Info("console and dashboard off", "why", "console.enabled is false")
	}
	if cfg.AssistantEnabled() {
		server := "the OpenAI API"
		if u, err := url.Parse(cfg.Assistant.BaseURL); err == nil && u.Host != "" {
			server = u.Host
		}
		why := "assistant.api_key is set"
		if cfg.Assistant.APIKey == "" {
			why = "assistant.base_url is set"
		}
		attrs := []any{"why", why, "model", cfg.Assistant.Model, "server", server, "max_tool_rounds", cfg.Assistant.MaxToolRounds}
		if assistant.IsAzure(cfg.Assistant.BaseURL) {
			// The api-version decides whether Azure accepts the tools.
			attrs = append(attrs, "azure_api_version", cfg.Assistant.APIVersion)
		}
		a.log.Info("assistant: a language model answers questions, with read-only tools; the rules answer when it fails", attrs...)
	} else {
		a.log.Info("assistant: the built-in rules answer questions", "why", "no assistant.api_key or assistant.base_url")
	}
	if len(cfg.API.Tokens) == 0 {
		a.log.Info("REST API off", "why", "no api.tokens configured")
	} else {
		a.log.Info("REST API on", "tokens", len(cfg.API.Tokens))
	}
}

// logIdentitySystems says which identity systems revoke access (those
// configured whose connector suspends accounts), and how Google Workspace
// acts when it is one of them.
func (a *app) logIdentitySystems() {
	cfg := a.cfg
	var on []string
	for _, st := range a.actions.Status() {
		if st.Configured && slices.Contains(st.Capabilities, offboard.IdentitySuspend) {
			on = append(on, st.Connector)
		}
	}
	if len(on) == 0 {
		a.log.Warn("no identity system is on: nothing suspends accounts",
			"why", "set okta.org_url, entra.tenant_id or google.service_account_key and their credentials")
	} else {
		a.log.Info("identity systems on", "systems", strings.Join(on, ","))
	}
	if !cfg.GoogleEnabled() {
		a.log.Info("Google Workspace off", "why", "not configured: set google.service_account_key (or its _file) and google.admin_email")
		return
	}
	api := cfg.Google.APIURL
	if api == "" {
		api = "Google's endpoints"
	}
	a.log.Info("Google Workspace on: the service account acts as admin_email through domain-wide delegation; Gmail delegation acts as the leaver",
		"admin_email", cfg.Google.AdminEmail, "customer", cfg.Google.Customer, "api", api,
		"delete_after", cfg.Google.DeleteAfter.String(), "transfer_check_every", cfg.Google.TransferCheckEvery.String())
}
