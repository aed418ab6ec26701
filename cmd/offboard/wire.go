package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/anchor"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/console"
	slackbot "github.com/offboard-dev/offboard/bot/slack"
	teamsbot "github.com/offboard-dev/offboard/bot/teams"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/connectors/bamboohr"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
	"github.com/offboard-dev/offboard/connectors/hris"
	jamfconn "github.com/offboard-dev/offboard/connectors/jamf"
	msconn "github.com/offboard-dev/offboard/connectors/microsoft"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/flows/runner"
	"github.com/offboard-dev/offboard/internal/metered"
	"github.com/offboard-dev/offboard/metrics"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web"
	"github.com/offboard-dev/offboard/web/signin"
)

// app is every long-lived part of a running offboard, wired together.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	clock    offboard.Clock
	db       storeBackend
	actions  *connectors.Registry
	engine   *flows.Engine
	runner   *runner.Runner
	schedule *runner.Schedule
	// leadership says when this replica runs the runner and the schedule
	// (leader.go).
	leadership offboard.Leadership
	web        *web.Server
	router     *bot.Router
	// slack is nil unless slack tokens are configured.
	slack *slackbot.Platform
	// slackPace compresses Slack's paces (wireOptions.slackPace).
	slackPace int
	// teams is nil unless teams.app_id is set.
	teams *teamsbot.Platform
	// console is nil unless console.enabled (and, outside demo mode, a
	// way to sign in is configured; consoleOff then says why not).
	console    *console.Console
	consoleOff string
	// signin says who is at the browser outside demo mode; nil in demo
	// mode (people pick whom they act as) and when the console is off.
	signin *signin.Auth
	// notifiers are the chat platforms that get notices; digests those
	// that post the daily digest.
	notifiers offboard.Notifiers
	digests   []digestPoster
	// platforms are the same notifiers by platform name, in the order
	// wired (platformNames): the engine queues a notice once for each,
	// and the runner hands each job to its own.
	platforms     map[string]offboard.Notifier
	platformNames []string
	// directory knows who reports to whom and where people work, read
	// from Okta and BambooHR outside any transaction (directory.go).
	directory  *offboard.Directory
	dirSources []namedSource
	// intake serves the HR webhooks; serve flushes its refusal summaries.
	intake *hris.Intake
	// redactor removes every configured secret from what is logged,
	// stored, posted or sent to the model.
	redactor *offboard.Redactor
	// audit appends events that change no case (refusals, sign-ins,
	// panics in scheduled work) to the chain, redacted by the store.
	audit offboard.AuditLog
	// reconciler is nil when reconciliation is off; reconcileOff says why.
	reconciler   *runner.Reconciler
	reconcileOff string
	// reconcileIdP names the identity system reconciliation reads.
	reconcileIdP string
	// backups is nil unless store.backup.dir is set.
	backups *backups
	// checkpointer signs the audit chain's head into audit.checkpoint_file;
	// nil when anchoring is off (anchor.go).
	checkpointer *anchor.Checkpointer
	// metrics serves /metrics; nil when metrics.enabled is off. meter is
	// the same as the port the parts report to (nil then too: a nil
	// *metrics.Metrics must not become a non-nil interface).
	metrics *metrics.Metrics
	meter   offboard.Metrics
}

// digestPoster is a chat platform that posts the daily digest.
type digestPoster interface {
	PostDigest(ctx context.Context, d offboard.Digest) error
}

// wireOptions let tests replace the clock and add actions.
type wireOptions struct {
	clock offboard.Clock
	// actions registers extra actions before playbooks are validated.
	actions func(*connectors.Registry) error
	// bamboohrBaseURL replaces the BambooHR API address (tests).
	bamboohrBaseURL string
	// slackPace, when set, divides Slack's paces (a benchmark against a
	// fake Slack whose limits run that many times faster).
	slackPace int
	// leadership is the election of replicas sharing a store (etcd); nil:
	// this process alone runs the workers and the schedule.
	leadership offboard.Leadership
}

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// newLogger writes cfg's log format to w; every record passes the
// redactor first, so no configured secret is ever written.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(offboard.RedactingHandler(h, redactorFor(cfg)))
}

// redactorFor returns the one redaction step, fed with every secret of
// cfg: logs, the store, chat and the model all go through it.
func redactorFor(cfg *config.Config) *offboard.Redactor {
	return offboard.NewRedactor(append(cfg.Secrets(), googleKeySecrets(cfg)...)...)
}

// googleKeySecrets is the private key inside Google's service account
// key: the JSON file is one secret, but its key decoded (a PEM, line by
// line) is the part worth stealing wherever it shows up.
func googleKeySecrets(cfg *config.Config) []string {
	var k struct {
		PrivateKey string `json:"private_key"`
	}
	if cfg.Google.ServiceAccountKey == "" || json.Unmarshal([]byte(cfg.Google.ServiceAccountKey.Reveal()), &k) != nil || k.PrivateKey == "" {
		return nil
	}
	return []string{k.PrivateKey}
}

// openConfiguredStore loads the config and opens its store read-only, or
// the store file at override when set.
func openConfiguredStore(cfgPath, override string) (*store.DB, error) {
	cfg, err := loadConfig(cfgPath)
	switch {
	case err != nil && override != "" && errors.Is(err, fs.ErrNotExist):
		// A named copy is verified where there may be no config (an
		// auditor's machine, serve's restore advice); only the lock
		// timeout would come from it.
		cfg = config.Default()
	case err != nil:
		return nil, err
	}
	if override != "" {
		cfg.Store.Path = override
	}
	return openStoreReadOnly(cfg)
}

// openStore opens the configured store for serve: it waits the lock
// timeout, creates a new file, and refuses a damaged page structure
// before writing to it. The contents are not read through the memory
// map at start: that would make the whole file resident (700 MB for
// 100,000 cases against a 60 MB budget); audit verify reads them.
func openStore(cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: cfg.Store.LockTimeout.D(), Logger: log, Check: true})
	return db, withRestoreAdvice(err)
}

// openStoreReadOnly opens the configured store for a command that only
// reads: the file must exist, and it is neither created nor changed.
func openStoreReadOnly(cfg *config.Config) (*store.DB, error) {
	db, err := store.Open(cfg.Store.Path, store.Options{LockTimeout: cfg.Store.LockTimeout.D(), ReadOnly: true, Check: true, CheckContents: true})
	return db, withRestoreAdvice(err)
}

// withRestoreAdvice tells the admin what to do about a corrupt store.
func withRestoreAdvice(err error) error {
	ce, ok := errors.AsType[*store.CorruptError](err)
	if !ok {
		return err
	}
	return fmt.Errorf("%w\n  offboard will not use it. Restore the newest backup copy of the file:\n"+
		"  1. stop offboard;\n"+
		"  2. offboard restore --from COPY (the newest file in store.backup.dir): it checks the copy, keeps the damaged file beside %s and puts the copy in place;\n"+
		"  3. start offboard. Whatever happened after the backup was taken is not in it: check recent cases against chat and the HR system", err, ce.Path)
}

// newActions builds the action registry: the manual action, and every
// connector either configured or declared as "not configured" so that
// its tasks fail visibly with the reason instead of pretending success.
func newActions(cfg *config.Config, extra func(*connectors.Registry) error) (*connectors.Registry, error) {
	reg, _, err := newActionsWithClients(cfg, extra, nil)
	return reg, err
}

// identitySystems are the identity connectors newActionsWithClients built,
// for reconciliation and the directory; each is nil when off or when
// extra registered its actions.
type identitySystems struct {
	okta   *oktaconn.Client
	entra  *msconn.Entra
	google *googleconn.Google
}

// newActionsWithClients is newActions that also returns the identity
// systems it built. Each connector is registered with its declaration, so
// the playbook gets its capabilities; one whose actions extra registered
// (tests' fakes) is only declared.
// Each client's requests are counted under its system in m (nil: not
// counted).
func newActionsWithClients(cfg *config.Config, extra func(*connectors.Registry) error, m offboard.Metrics) (*connectors.Registry, identitySystems, error) {
	var ids identitySystems
	reg := connectors.NewRegistry()
	if err := reg.Register(offboard.ActionManual, connectors.Manual()); err != nil {
		return nil, ids, err
	}
	if extra != nil {
		if err := extra(reg); err != nil {
			return nil, ids, err
		}
	}
	okta := oktaconn.Declaration()
	if cfg.OktaEnabled() && !reg.Declared(okta.Name) && !reg.Known(okta.Actions[0]) {
		client, err := oktaconn.New(context.Background(), oktaconn.Options{Config: cfg.Okta, Licenses: cfg.Licenses,
			HTTPClient: meteredHTTP(cfg.Okta.RequestTimeout.D(), okta.Name, m)})
		if err != nil {
			return nil, ids, fmt.Errorf("%s: %w", okta.Name, err)
		}
		if err := client.Register(reg); err != nil {
			return nil, ids, err
		}
		ids.okta = client
	}
	var err error
	if ids.entra, err = registerEntra(cfg, reg, m); err != nil {
		return nil, ids, err
	}
	if ids.google, err = registerGoogle(cfg, reg, m); err != nil {
		return nil, ids, err
	}
	if err := registerJamf(cfg, reg, m); err != nil {
		return nil, ids, err
	}
	// Okta unconfigured is declared so a fresh install's playbook says
	// what to configure; a company on Entra ID or Google Workspace alone
	// gets no Okta tasks that could only fail.
	if !reg.Declared(okta.Name) && !cfg.EntraEnabled() && !cfg.GoogleEnabled() {
		if err := reg.DeclareConnector(okta, oktaconn.NotConfigured); err != nil {
			return nil, ids, err
		}
	}
	return reg, ids, nil
}

// registerEntra registers Microsoft Entra ID when entra.tenant_id is set
// (and extra did not provide its actions), and Microsoft Intune on the
// same Graph client when intune.enabled is set, so both share one token
// and one throttling pause. Not configured, it is not declared at all:
// unlike Okta, the historic default, its tasks would only add failures to
// every Okta company's cases.
func registerEntra(cfg *config.Config, reg *connectors.Registry, m offboard.Metrics) (*msconn.Entra, error) {
	entra := msconn.Declaration()
	intune := msconn.IntuneDeclaration()
	wantEntra := cfg.EntraEnabled() && !reg.Declared(entra.Name) && !reg.Known(entra.Actions[0])
	wantIntune := cfg.IntuneEnabled() && !reg.Declared(intune.Name) && !reg.Known(intune.Actions[0])
	if !wantEntra && !wantIntune {
		return nil, nil
	}
	client, err := newGraphClient(cfg, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", entra.Name, err)
	}
	if wantIntune {
		if err := msconn.NewIntune(client).Register(reg); err != nil {
			return nil, err
		}
	}
	if !wantEntra {
		return nil, nil
	}
	system := msconn.NewEntra(client, cfg.Licenses).DeleteAfter(cfg.Entra.DeleteAfter.D())
	return system, system.Register(reg)
}

// newEntra builds the Entra ID system from the entra section.
func newEntra(cfg *config.Config) (*msconn.Entra, error) {
	client, err := newGraphClient(cfg, nil)
	if err != nil {
		return nil, err
	}
	return msconn.NewEntra(client, cfg.Licenses).DeleteAfter(cfg.Entra.DeleteAfter.D()), nil
}

// newGraphClient is the Microsoft Graph client of the entra section,
// its requests counted in m (nil: not counted).
func newGraphClient(cfg *config.Config, m offboard.Metrics) (*msconn.Client, error) {
	e := cfg.Entra
	return msconn.New(msconn.Options{HTTPClient: meteredHTTP(e.RequestTimeout.D(), msconn.API, m),
		TenantID: e.TenantID, ClientID: e.ClientID, ClientSecret: e.ClientSecret.Reveal(),
		Certificate: []byte(e.Certificate), PrivateKey: []byte(e.PrivateKey.Reveal()),
		GraphURL: e.GraphURL, LoginURL: e.LoginURL, Timeout: e.RequestTimeout.D(), Redactor: redactorFor(cfg),
	})
}

// registerJamf registers Jamf Pro when jamf.url is set (and extra did
// not provide its actions). Not configured, it is not declared at all,
// like Intune: its device tasks would only fail.
func registerJamf(cfg *config.Config, reg *connectors.Registry, m offboard.Metrics) error {
	decl := jamfconn.Declaration()
	if !cfg.JamfEnabled() || reg.Declared(decl.Name) || reg.Known(decl.Actions[0]) {
		return nil
	}
	j, err := newJamf(cfg, m)
	if err != nil {
		return fmt.Errorf("%s: %w", decl.Name, err)
	}
	return j.Register(reg)
}

// newJamf builds the Jamf Pro system from the jamf section, its requests
// counted in m (nil: not counted).
func newJamf(cfg *config.Config, m offboard.Metrics) (*jamfconn.Jamf, error) {
	j := cfg.Jamf
	client, err := jamfconn.New(jamfconn.Options{HTTPClient: meteredHTTP(j.RequestTimeout.D(), jamfconn.API, m), URL: j.URL, ClientID: j.ClientID, ClientSecret: j.ClientSecret.Reveal(),
		Timeout: j.RequestTimeout.D(), Redactor: redactorFor(cfg)})
	if err != nil {
		return nil, err
	}
	return jamfconn.NewJamf(client), nil
}

// registerGoogle registers Google Workspace when
// google.service_account_key is set (and extra did not provide its
// actions). Not configured, it is not declared at all, like Entra ID.
func registerGoogle(cfg *config.Config, reg *connectors.Registry, m offboard.Metrics) (*googleconn.Google, error) {
	decl := googleconn.Declaration()
	if !cfg.GoogleEnabled() || reg.Declared(decl.Name) || reg.Known(decl.Actions[0]) {
		return nil, nil
	}
	g, err := newGoogle(cfg, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", decl.Name, err)
	}
	return g, g.Register(reg)
}

// newGoogle builds the Google Workspace connector from the google
// section, with the top-level licenses prices for the license report.
func newGoogle(cfg *config.Config, m offboard.Metrics) (*googleconn.Google, error) {
	c, err := newGoogleClient(cfg, m)
	if err != nil {
		return nil, err
	}
	g := cfg.Google
	licenses := make([]googleconn.License, 0, len(g.Licenses))
	for _, l := range g.Licenses {
		licenses = append(licenses, googleconn.License{ProductID: l.ProductID, SKUID: l.SKUID, Name: l.Name})
	}
	return googleconn.NewGoogle(c, googleconn.Settings{DeleteAfter: g.DeleteAfter.D(), Licenses: licenses,
		Prices: cfg.Licenses, TransferCheckEvery: g.TransferCheckEvery.D()}), nil
}

// newGoogleClient is the Google API client of the google section, its
// requests counted in m (nil: not counted).
func newGoogleClient(cfg *config.Config, m offboard.Metrics) (*googleconn.Client, error) {
	g := cfg.Google
	var transport http.RoundTripper
	if m != nil {
		transport = metered.Transport(nil, googleconn.API, m)
	}
	return googleconn.New(googleconn.Options{Transport: transport, ServiceAccountKey: []byte(g.ServiceAccountKey.Reveal()),
		AdminEmail: g.AdminEmail, Customer: g.Customer, APIURL: g.APIURL, Timeout: g.RequestTimeout.D()})
}

// wire builds the app from a loaded config. The caller owns db (opened
// and closed outside so the CLI can reuse it). Each step wires one
// concern; later steps use what earlier ones set on the app.
func wire(cfg *config.Config, log *slog.Logger, db storeBackend, o wireOptions) (*app, error) {
	a := &app{cfg: cfg, log: log, db: db, redactor: redactorFor(cfg), clock: o.clock, slackPace: o.slackPace}
	a.audit = db.AuditLog(a.redactor)
	if a.clock == nil {
		a.clock = offboard.WallClock()
	}
	if file, ok := db.(*store.DB); ok {
		// etcd's snapshots take the place of file backups (etcdToolsAdvice).
		a.backups = newBackups(cfg.Store.Backup, cfg.Audit, file, a.audit, log, a.clock)
	}
	var err error
	if a.metrics, err = newMetrics(cfg, db, a.audit, log); err != nil {
		return nil, err
	}
	if a.metrics != nil {
		a.meter = a.metrics
	}
	var ids identitySystems
	if a.actions, ids, err = newActionsWithClients(cfg, o.actions, a.meter); err != nil {
		return nil, err
	}
	a.directory = newDirectory()
	if err := a.wireEngine(); err != nil {
		return nil, err
	}
	if err := a.wireChat(); err != nil {
		return nil, err
	}
	if a.teams != nil && ids.entra != nil {
		// A Teams sender's object id names the Entra user when Teams'
		// roster gives no email: roles and the directory then agree.
		a.teams.UsePeople(ids.entra)
	}
	if err := a.wireLeadership(o.leadership); err != nil {
		return nil, err
	}
	if err := a.wireRunner(); err != nil {
		return nil, err
	}
	if err := a.wireAnchor(); err != nil {
		return nil, err
	}
	bamboo, err := a.wireHTTP(o.bamboohrBaseURL)
	if err != nil {
		return nil, err
	}
	if err := a.wireReconcile(ids, bamboo, a.clock); err != nil {
		return nil, err
	}
	if err := a.wireDirectory(ids, bamboo); err != nil {
		return nil, err
	}
	return a, nil
}

// wireEngine builds the one writer and the chat router in front of it.
func (a *app) wireEngine() error {
	cfg, log, clock := a.cfg, a.log, a.clock
	hour, minute := cfg.RevocationClock()
	// The engine wakes the runner after every commit that queued jobs;
	// no caller of Apply wakes it itself.
	wake := func() {
		if a.runner != nil {
			a.runner.Wake()
		}
	}
	var err error
	a.engine, err = flows.New(flows.Options{
		Store: a.db, Clock: clock, Roles: a.rolesOf, Location: cfg.Location(),
		RevocationHour: hour, RevocationMinute: minute,
		Playbooks: cfg.Playbooks, Connectors: a.actions.Connectors(), KnownAction: a.actions.Known,
		DeactivateAfter: cfg.Okta.DeactivateAfter.D(), MaxAttempts: cfg.Runner.MaxAttempts,
		MaxFuture: cfg.Cases.MaxFuture.D(), MaxPast: cfg.Cases.MaxPast.D(),
		Delegates: cfg.DelegatesOf, NameOf: a.directory.NameOf,
		// A typed email no directory knows is refused with the nearest
		// known one, until someone confirms it (issue 12).
		Lookup: a.directory.Lookup,
		// Departments name task owners, their roles and the leads that
		// tasks staying overdue escalate to.
		Departments: cfg.DepartmentSet(),
		Escalation: flows.EscalationPolicy{
			RemindAfter: cfg.Escalation.RemindAfter.D(), EscalateAfter: cfg.Escalation.EscalateAfter.D(),
			EscalateTo: cfg.Escalation.EscalateTo, MaxLevel: cfg.Escalation.MaxLevel,
			ManagerOf:     a.directory.ManagerOf,
			BusinessHours: businessHours(cfg, a.directory.Location),
		},
		Redactor: a.redactor, Logger: log.With("component", "engine"), AfterCommit: wake,
		// A closed case is anchored at once (a no-op when anchoring is off).
		AfterClose: func() { a.nudgeCheckpoint() },
		// Filled by wireChat, which runs before anything applies a command.
		NoticePlatforms: func() []string { return a.platformNames },
		// A device not back this long after access went asks the manager
		// and Finance for a write-off (0 in config: never).
		WriteOffAfter: cfg.WriteOffAfter(),
		// A closed case's leaver's name and email go this long after it
		// closed (erasure.go; 0: kept).
		Retention: cfg.Retention.PersonalData.D(),
		// Case counts and times to revocation for /metrics (nil: off).
		Metrics: a.meter,
		// etcd bounds a transaction's operations: a layoff's due tasks
		// are ticked a few cases at a time (0: the engine's default).
		TickBatch: tickBatchFor(a.db),
	})
	if err != nil {
		return fmt.Errorf("playbooks: %w", err)
	}
	asst, err := newAssistant(cfg, log, a.engine, clock, a.rolesOf)
	if err != nil {
		return err
	}
	a.router, err = bot.New(bot.Options{Engine: a.engine, Clock: clock, Location: cfg.Location(),
		Logger: log.With("component", "bot"), Roles: a.rolesOf, Assistant: asst, Directories: a.formDirectories(),
		People: a.directory, Audit: a.audit})
	return err
}

// formDirectories names, on the open-case form, the identity systems
// (from the connectors' declarations) and the HR system that know people.
func (a *app) formDirectories() bot.Directories {
	var d bot.Directories
	for _, c := range a.actions.Connectors().Implementing(offboard.IdentitySuspend) {
		d.Identity = append(d.Identity, c.Label)
	}
	d.HR = []string{"BambooHR"}
	return d
}

// wireChat builds the chat platforms that are configured: Slack, Teams
// and the built-in console.
func (a *app) wireChat() error {
	cfg, log, clock := a.cfg, a.log, a.clock
	var err error
	if cfg.SlackEnabled() {
		channels := map[offboard.Department]string{}
		for d, s := range cfg.Departments {
			channels[d] = s.SlackChannel
		}
		a.slack, err = slackbot.New(slackbot.Options{
			AppToken: cfg.Slack.AppToken.Reveal(), BotToken: cfg.Slack.BotToken.Reveal(), APIURL: cfg.Slack.APIURL,
			TeamID: cfg.Slack.TeamID, AppID: cfg.Slack.AppID,
			Router: a.router, Engine: a.engine, Members: func(r offboard.Role) []string { return cfg.Roles[r] },
			DepartmentChannels: channels, HRChannel: cfg.Slack.HRChannel, ChannelTemplate: cfg.Slack.ChannelNameTemplate,
			ArchiveOnComplete: cfg.Slack.ArchiveOnComplete, Clock: clock, Location: cfg.Location(),
			Delivered: a.db, Batches: a.db, Logger: log.With("component", "slack"), Metrics: a.meter,
		}.Compressed(a.slackPace))
		if err != nil {
			return err
		}
		a.addNotifier(slackbot.PlatformName, a.slack)
		a.digests = append(a.digests, a.slack)
	}
	if cfg.TeamsEnabled() {
		channels := map[offboard.Department]string{}
		for d, s := range cfg.Departments {
			channels[d] = s.TeamsChannel
		}
		a.teams, err = teamsbot.New(teamsbot.Options{
			AppID: cfg.Teams.AppID, AppPassword: cfg.Teams.AppPassword.Reveal(), TenantID: cfg.Teams.TenantID,
			OpenIDMetadataURL: cfg.Teams.OpenIDMetadataURL, LoginURL: cfg.Teams.LoginURL, ServiceURL: cfg.Teams.ServiceURL,
			OffboardingChannelID: cfg.Teams.OffboardingChannelID, DepartmentChannels: channels,
			Router: a.router, Engine: a.engine, Clock: clock, Location: cfg.Location(),
			Delivered: a.db, Logger: log.With("component", "teams"), Metrics: a.meter,
		})
		if err != nil {
			return err
		}
		a.addNotifier(teamsbot.PlatformName, a.teams)
		a.digests = append(a.digests, a.teams)
	}
	if cfg.Console.Enabled {
		return a.wireConsole(clock)
	}
	return nil
}

// addNotifier wires a chat platform's notifier under its name.
func (a *app) addNotifier(platform string, n offboard.Notifier) {
	a.notifiers = append(a.notifiers, n)
	if a.platforms == nil {
		a.platforms = map[string]offboard.Notifier{}
	}
	a.platforms[platform] = n
	a.platformNames = append(a.platformNames, platform)
}

// wireRunner builds the outbox worker pool and the cron schedule (the
// escalation tick and the daily digest).
func (a *app) wireRunner() error {
	cfg, log, clock, db, redactor := a.cfg, a.log, a.clock, a.db, a.redactor
	var notifier offboard.Notifier
	if len(a.notifiers) > 0 {
		notifier = a.notifiers
	}
	var err error
	a.runner, err = runner.New(runner.Options{
		Jobs: db, Engine: a.engine, Actions: a.actions, Clock: clock, Notifier: notifier, Platforms: a.platforms,
		Workers: cfg.Runner.Workers, BackoffBase: cfg.Runner.BackoffBase.D(), BackoffMax: cfg.Runner.BackoffMax.D(),
		Redactor: redactor, Logger: log.With("component", "runner"),
		Leadership: a.leadership, Audit: a.audit,
	})
	if err != nil {
		return err
	}
	a.schedule, err = runner.NewSchedule(runner.ScheduleOptions{
		Engine: a.engine, TickSpec: cfg.Escalation.Check, Location: cfg.Location(),
		Logger: log.With("component", "schedule"), Audit: a.audit, Clock: clock, Leadership: a.leadership,
	})
	if err != nil {
		return fmt.Errorf("escalation.check: %w", err)
	}
	if !cfg.Digest.Enabled || len(a.digests) == 0 {
		return nil
	}
	// The digest changes nothing, so it is no engine command: it is read
	// and posted straight away, in company time.
	err = a.schedule.AddFunc(cfg.Digest.Cron, "digest", func(ctx context.Context) {
		d, err := a.engine.Digest(ctx, clock.Now())
		if err != nil {
			a.log.Warn("digest: reading the cases failed", "err", err)
			return
		}
		if d.Empty() {
			return
		}
		for _, p := range a.digests {
			if err := p.PostDigest(ctx, d); err != nil {
				a.log.Warn("digest: posting failed; the next digest tries again", "err", err)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("digest.cron: %w", err)
	}
	return nil
}

// wireHTTP builds the HTTP server and mounts the API, the console pages,
// Teams' endpoint and the HR webhooks. It returns the BambooHR API
// client (nil when not configured) for reconciliation and the directory.
func (a *app) wireHTTP(bamboohrBaseURL string) (*bamboohr.Client, error) {
	cfg, log, clock, db := a.cfg, a.log, a.clock, a.db
	tokens := make([]web.Token, 0, len(cfg.API.Tokens))
	for _, t := range cfg.API.Tokens {
		tokens = append(tokens, web.Token{Name: t.Name, Secret: t.Token.Reveal(), Role: t.Role})
	}
	var err error
	o := web.Options{
		Engine: a.engine, Ping: db.Ping, Tokens: tokens, Version: offboard.Version,
		Logger: log.With("component", "http"),
		Listen: cfg.HTTP.Listen, PublicURL: cfg.HTTP.PublicURL, AllowedHosts: cfg.HTTP.AllowedHosts,
		Audit: a.audit,
	}
	if a.backups != nil {
		o.Backup = a.backups.take
	}
	if cfg.EtcdBackend() {
		o.Backup = refuseFileBackup
	}
	a.web, err = web.New(o)
	if err != nil {
		return nil, err
	}
	// The BambooHR API client also serves event-based webhooks, which
	// carry no field values.
	bamboo, err := newBambooHRAPI(cfg, clock, bamboohrBaseURL, a.meter)
	if err != nil {
		return nil, err
	}
	var records offboard.HRRecordReader // a nil *bamboohr.Client must stay a nil interface
	if bamboo != nil {
		records = bamboo
	}
	intake, err := hris.New(hris.Options{
		Engine: a.engine, Config: cfg.HRIS, Clock: clock, Location: cfg.Location(), BambooHRAPI: records,
		Logger: log.With("component", "hris"),
		// Rejected deliveries change no case; they are recorded in the
		// audit chain all the same.
		Audit: a.audit,
	})
	if err != nil {
		return nil, fmt.Errorf("hris: %w", err)
	}
	a.intake = intake
	// Summaries of unauthenticated refusals are written each minute,
	// not only when the next refusal arrives: on every replica, each
	// counting its own.
	if err := a.schedule.AddReplicaFunc("@every 1m", "refusal summaries", func(ctx context.Context) {
		intake.FlushRefusals(ctx, false)
	}); err != nil {
		return nil, err
	}
	if cfg.Console.Enabled {
		if err := a.mountPages(clock); err != nil {
			return nil, err
		}
	}
	if a.teams != nil {
		a.web.Mount("POST /api/messages", a.teams)
	}
	if a.metrics != nil {
		a.web.Mount("GET /metrics", a.metrics.Handler())
	}
	a.web.Mount("POST /webhooks/bamboohr", intake.BambooHR())
	a.web.Mount("POST /webhooks/hris", intake.Generic())
	return bamboo, nil
}

// rolesOf returns a person's configured roles by email, and by their
// Azure AD object id when Teams has seen them (config may name Teams users
// either way).
func (a *app) rolesOf(email string) []offboard.Role {
	roles := a.cfg.RolesOf(email)
	if a.teams == nil {
		return roles
	}
	if id := a.teams.AADObjectID(email); id != "" {
		for _, r := range a.cfg.RolesOf(id) {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// businessHours returns when nudges may go out, or nil (always) when
// business_hours is off. Hours and days are read in the time zone of the
// person nudged (zoneOf, from the directory), else the company's.
func businessHours(cfg *config.Config, zoneOf func(email string) *time.Location) func(time.Time, string) bool {
	b := cfg.BusinessHours
	if !b.Enabled {
		return nil
	}
	minutes := func(s string) int {
		t, err := time.Parse("15:04", s)
		if err != nil {
			return -1
		}
		return t.Hour()*60 + t.Minute()
	}
	start, end := minutes(b.Start), minutes(b.End)
	if start < 0 || end < 0 {
		return nil // config validation refuses this; never hold nudges forever
	}
	days := map[time.Weekday]bool{}
	for _, d := range b.Days {
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if strings.EqualFold(d, wd.String()[:3]) {
				days[wd] = true
			}
		}
	}
	company := cfg.Location()
	return func(t time.Time, email string) bool {
		loc := company
		if email != "" && zoneOf != nil {
			if z := zoneOf(email); z != nil {
				loc = z
			}
		}
		t = t.In(loc)
		m := t.Hour()*60 + t.Minute()
		return days[t.Weekday()] && m >= start && m < end
	}
}

// wireReconcile schedules the hourly reconciliation of the HR source
// (the BambooHR API) against the identity system (Okta, else Entra ID,
// else Google Workspace) when both are configured, and otherwise records
// why it is off.
func (a *app) wireReconcile(ids identitySystems, api *bamboohr.Client, clock offboard.Clock) error {
	cfg := a.cfg
	var idp offboard.IdentityStatusSource
	switch {
	case api == nil:
		a.reconcileOff = "not configured: set hris.bamboohr.api_key and hris.bamboohr.subdomain"
		return nil
	case ids.okta != nil:
		idp, a.reconcileIdP = ids.okta, oktaconn.Declaration().Name
	case ids.entra != nil:
		idp, a.reconcileIdP = ids.entra, msconn.Declaration().Name
	case ids.google != nil:
		idp, a.reconcileIdP = ids.google, googleconn.System
	case !cfg.OktaEnabled() && !cfg.EntraEnabled() && !cfg.GoogleEnabled():
		a.reconcileOff = "no identity system is configured: set okta.org_url, entra.tenant_id or google.service_account_key and their credentials"
		return nil
	default:
		a.reconcileOff = "the identity actions are provided by something other than the Okta, Entra ID or Google Workspace connector"
		return nil
	}
	var err error
	a.reconciler, err = runner.NewReconciler(runner.ReconcileOptions{
		Engine: a.engine, Decide: a.engine, HR: api, IdP: idp, Clock: clock, Location: cfg.Location(),
		Logger: a.log.With("component", "reconcile"),
	})
	if err != nil {
		return err
	}
	return a.schedule.AddFunc("@every 1h", "reconcile", func(ctx context.Context) {
		// Errors are logged by Run; the next run tries again.
		_, _ = a.reconciler.Run(ctx)
	})
}

// shutdownContext bounds how long shutdown steps may take.
func shutdownContext(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// resolvePlaybooks validates the configured playbooks and lists them with
// their task counts.
func resolvePlaybooks(cfg *config.Config, reg *connectors.Registry) (string, error) {
	pbs, err := flows.ResolvePlaybooks(cfg.Playbooks, reg.Connectors(), reg.Known, cfg.DepartmentSet())
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(pbs))
	for n, p := range pbs {
		names = append(names, fmt.Sprintf("%s (%d tasks)", n, len(p.Tasks)))
	}
	return strings.Join(sorted(names), ", "), nil
}
