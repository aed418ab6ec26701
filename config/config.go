package config

import (
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration file. Start from Default (Parse and
// Load do); the yaml keys are the snake_case names in the struct tags.
type Config struct {
	Company       Company                                    `yaml:"company" json:"company"`
	Store         Store                                      `yaml:"store" json:"store"`
	Audit         Audit                                      `yaml:"audit" json:"audit"`
	Evidence      Evidence                                   `yaml:"evidence" json:"evidence"`
	Retention     Retention                                  `yaml:"retention" json:"retention"`
	HTTP          HTTP                                       `yaml:"http" json:"http"`
	Log           Log                                        `yaml:"log" json:"log"`
	API           API                                        `yaml:"api" json:"api"`
	Roles         map[offboard.Role][]string                 `yaml:"roles" json:"roles"`
	Delegates     map[string][]string                        `yaml:"delegates" json:"delegates"`
	Departments   map[offboard.Department]DepartmentSettings `yaml:"departments" json:"departments"`
	Playbooks     []offboard.Playbook                        `yaml:"playbooks" json:"playbooks"`
	Runner        Runner                                     `yaml:"runner" json:"runner"`
	Cases         Cases                                      `yaml:"cases" json:"cases"`
	Okta          Okta                                       `yaml:"okta" json:"okta"`
	Entra         Entra                                      `yaml:"entra" json:"entra"`
	Intune        Intune                                     `yaml:"intune" json:"intune"`
	Google        Google                                     `yaml:"google" json:"google"`
	Jamf          Jamf                                       `yaml:"jamf" json:"jamf"`
	Licenses      map[string]float64                         `yaml:"licenses" json:"licenses"`
	Devices       Devices                                    `yaml:"devices" json:"devices"`
	HRIS          HRIS                                       `yaml:"hris" json:"hris"`
	Slack         Slack                                      `yaml:"slack" json:"slack"`
	Teams         Teams                                      `yaml:"teams" json:"teams"`
	Escalation    Escalation                                 `yaml:"escalation" json:"escalation"`
	Digest        Digest                                     `yaml:"digest" json:"digest"`
	BusinessHours BusinessHours                              `yaml:"business_hours" json:"business_hours"`
	Assistant     Assistant                                  `yaml:"assistant" json:"assistant"`
	Console       Console                                    `yaml:"console" json:"console"`
	Metrics       Metrics                                    `yaml:"metrics" json:"metrics"`
	Demo          bool                                       `yaml:"demo" json:"demo"`
	// DemoFlavour picks which identity system the demo fakes: "okta"
	// (the default), "microsoft" (Entra ID and Intune) or "google"
	// (Google Workspace).
	DemoFlavour string `yaml:"demo_flavour" json:"demo_flavour,omitempty"`

	// meta is a pointer so that fmt prints an address, never the parsed
	// document (which holds the expanded secret values).
	meta *meta
}

// meta is what Parse knows about where the values came from.
type meta struct {
	source string     // file name for messages
	root   *yaml.Node // parsed document, for line numbers
	loc    *time.Location
	// departmentOrder is the order of the departments: keys, as the file
	// lists them (a map forgets it).
	departmentOrder []offboard.Department
}

// Company describes the employer.
type Company struct {
	Name           string `yaml:"name" json:"name"`
	TimeZone       string `yaml:"time_zone" json:"time_zone"`
	RevocationTime string `yaml:"revocation_time" json:"revocation_time"`
}

// Store configures the store: the bbolt file (the default) or etcd.
type Store struct {
	// Backend is "bbolt" (one process, one file) or "etcd" (replicas
	// sharing one cluster; Etcd then).
	Backend     string            `yaml:"backend" json:"backend"`
	Etcd        Etcd              `yaml:"etcd" json:"etcd"`
	Path        string            `yaml:"path" json:"path"`
	LockTimeout offboard.Duration `yaml:"lock_timeout" json:"lock_timeout"`
	Backup      Backup            `yaml:"backup" json:"backup"`
}

// Backup configures hot backups of the store while serve runs.
type Backup struct {
	// Dir receives the backup files; empty turns backups off (the admin
	// API's on-demand backup then says so).
	Dir string `yaml:"dir" json:"dir"`
	// Every is the interval of scheduled backups; zero: on demand only.
	Every offboard.Duration `yaml:"every" json:"every"`
	// Keep is how many checked backups stay in Dir; older ones go.
	Keep int `yaml:"keep" json:"keep"`
}

// Retention says how long personal data is kept (retention.go in the
// store, README "Retention of personal data").
type Retention struct {
	// PersonalData is how long after a case closes its leaver's name and
	// email are kept; serve erases them after. Zero: kept for ever.
	PersonalData offboard.Duration `yaml:"personal_data" json:"personal_data"`
}

// MinPersonalDataRetention is the shortest retention.personal_data: a
// case's records must outlive any retry, dispute or reconciliation of
// its exit.
const MinPersonalDataRetention = 30 * 24 * time.Hour

// MinBackupEvery is the shortest store.backup.every: each backup copies
// the whole file.
const MinBackupEvery = time.Minute

// HTTP configures the one HTTP server.
type HTTP struct {
	Listen    string `yaml:"listen" json:"listen"`
	PublicURL string `yaml:"public_url" json:"public_url"`
	// AllowedHosts are the Host names (name or name:port) served besides
	// loopback names and PublicURL's host; any other Host gets 421.
	AllowedHosts []string `yaml:"allowed_hosts" json:"allowed_hosts"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level" json:"level"`
	Format string `yaml:"format" json:"format"`
}

// SlogLevel returns Level as a slog.Level (info when unknown).
func (l Log) SlogLevel() slog.Level {
	switch strings.ToLower(l.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// API configures the REST API.
type API struct {
	Tokens []APIToken `yaml:"tokens" json:"tokens"`
}

// APIToken is one bearer token for /api/v1 and the role it acts with.
type APIToken struct {
	Name      string        `yaml:"name" json:"name"`
	Token     Secret        `yaml:"token" json:"token"`
	TokenFile string        `yaml:"token_file" json:"token_file,omitempty"`
	Role      offboard.Role `yaml:"role" json:"role"`
}

// Runner configures the outbox worker pool.
type Runner struct {
	Workers       int               `yaml:"workers" json:"workers"`
	MaxAttempts   int               `yaml:"max_attempts" json:"max_attempts"`
	BackoffBase   offboard.Duration `yaml:"backoff_base" json:"backoff_base"`
	BackoffMax    offboard.Duration `yaml:"backoff_max" json:"backoff_max"`
	ShutdownGrace offboard.Duration `yaml:"shutdown_grace" json:"shutdown_grace"`
}

// Cases bounds the dates a termination notice may carry: a last day or
// effective time further ahead than MaxFuture or further back than
// MaxPast is refused as a typo or a placeholder (9999-12-31).
type Cases struct {
	MaxFuture offboard.Duration `yaml:"max_future" json:"max_future"`
	MaxPast   offboard.Duration `yaml:"max_past" json:"max_past"`
}

// Okta configures the Okta connector; it is enabled when OrgURL is set.
type Okta struct {
	OrgURL       string `yaml:"org_url" json:"org_url"`
	APIToken     Secret `yaml:"api_token" json:"api_token"`
	APITokenFile string `yaml:"api_token_file" json:"api_token_file,omitempty"`
	// OAuth 2.0 service app (recommended): client id, private key (PEM)
	// and its key id, and the scopes granted.
	ClientID       string   `yaml:"client_id" json:"client_id"`
	PrivateKey     Secret   `yaml:"private_key" json:"private_key"`
	PrivateKeyFile string   `yaml:"private_key_file" json:"private_key_file,omitempty"`
	PrivateKeyID   string   `yaml:"private_key_id" json:"private_key_id"`
	Scopes         []string `yaml:"scopes" json:"scopes"`
	// DPoP says whether token requests carry a DPoP proof (RFC 9449):
	// "auto" (default) sends one when the app requires it, "on" always,
	// "off" never.
	DPoP string `yaml:"dpop" json:"dpop"`
	// InsecureHTTPForTests allows an http org_url (a local fake Okta).
	InsecureHTTPForTests bool `yaml:"insecure_http_for_tests" json:"insecure_http_for_tests"`
	// RateShare is the part of Okta's remaining rate limit offboard may
	// use; the limits are shared by the whole org.
	RateShare float64 `yaml:"rate_share" json:"rate_share"`
	// MaxConcurrent caps offboard's Okta requests in flight; Okta limits
	// the whole org's (75 for Workforce orgs).
	MaxConcurrent   int               `yaml:"max_concurrent" json:"max_concurrent"`
	DeactivateAfter offboard.Duration `yaml:"deactivate_after" json:"deactivate_after"`
	RequestTimeout  offboard.Duration `yaml:"request_timeout" json:"request_timeout"`
}

// HRIS configures inbound HR systems.
type HRIS struct {
	BambooHR BambooHR    `yaml:"bamboohr" json:"bamboohr"`
	Generic  GenericHRIS `yaml:"generic" json:"generic"`
}

// BambooHR configures the BambooHR webhook and API.
type BambooHR struct {
	WebhookSecret             Secret `yaml:"webhook_secret" json:"webhook_secret"`
	WebhookSecretFile         string `yaml:"webhook_secret_file" json:"webhook_secret_file,omitempty"`
	PreviousWebhookSecret     Secret `yaml:"previous_webhook_secret" json:"previous_webhook_secret"`
	PreviousWebhookSecretFile string `yaml:"previous_webhook_secret_file" json:"previous_webhook_secret_file,omitempty"`
	APIKey                    Secret `yaml:"api_key" json:"api_key"`
	APIKeyFile                string `yaml:"api_key_file" json:"api_key_file,omitempty"`
	Subdomain                 string `yaml:"subdomain" json:"subdomain"`
	// TerminationTypes maps BambooHR's termination type ("Resignation",
	// "Dismissal", …) to a departure kind, compared without regard to
	// case. Entries in the file are added to (or override) the defaults.
	// A type not found here opens a voluntary case flagged for HR.
	TerminationTypes map[string]offboard.DepartureKind `yaml:"termination_types" json:"termination_types"`
}

// GenericHRIS configures the generic JSON intake webhook. It is on when
// Token is set; senders authenticate with "Authorization: Bearer <token>".
type GenericHRIS struct {
	Token     Secret `yaml:"token" json:"token"`
	TokenFile string `yaml:"token_file" json:"token_file,omitempty"`
	// Fields says where in the JSON body each value is, as a dotted path
	// with optional array indexes: "data.employee.work_email",
	// "data.events[0].date". An empty path means the value is not sent.
	Fields GenericFields `yaml:"fields" json:"fields"`
	// IgnoreFields are paths the body may carry that offboard does not
	// read (with everything below them); any other key not on a path of
	// Fields is refused with 422.
	IgnoreFields []string `yaml:"ignore_fields" json:"ignore_fields"`
}

// GenericFields are the dotted paths of the generic intake's values.
type GenericFields struct {
	EventID         string `yaml:"event_id" json:"event_id"`
	Email           string `yaml:"email" json:"email"`
	Name            string `yaml:"name" json:"name"`
	ManagerEmail    string `yaml:"manager_email" json:"manager_email"`
	TerminationDate string `yaml:"termination_date" json:"termination_date"`
	EffectiveAt     string `yaml:"effective_at" json:"effective_at"`
	Kind            string `yaml:"kind" json:"kind"`
	HRISID          string `yaml:"hris_id" json:"hris_id"`
	Title           string `yaml:"title" json:"title"`
	Department      string `yaml:"department" json:"department"`
	TimeZone        string `yaml:"time_zone" json:"time_zone"`
}

// DefaultTerminationTypes returns the built-in BambooHR termination type
// mapping.
func DefaultTerminationTypes() map[string]offboard.DepartureKind {
	return map[string]offboard.DepartureKind{
		"Resignation":     offboard.Voluntary,
		"Voluntary":       offboard.Voluntary,
		"Retirement":      offboard.Retirement,
		"Termination":     offboard.Involuntary,
		"Involuntary":     offboard.Involuntary,
		"Dismissal":       offboard.Involuntary,
		"End of contract": offboard.ContractEnd,
	}
}

// DefaultGenericFields returns the paths of a flat body:
// {"event_id", "email", "name", "manager_email", "termination_date", "kind", …}.
func DefaultGenericFields() GenericFields {
	return GenericFields{
		EventID: "event_id", Email: "email", Name: "name", ManagerEmail: "manager_email",
		TerminationDate: "termination_date", EffectiveAt: "effective_at", Kind: "kind",
		HRISID: "hris_id", Title: "title", Department: "department", TimeZone: "time_zone",
	}
}

// Slack configures the Slack platform; enabled when either token is set.
type Slack struct {
	AppToken            Secret `yaml:"app_token" json:"app_token"`
	AppTokenFile        string `yaml:"app_token_file" json:"app_token_file,omitempty"`
	BotToken            Secret `yaml:"bot_token" json:"bot_token"`
	BotTokenFile        string `yaml:"bot_token_file" json:"bot_token_file,omitempty"`
	APIURL              string `yaml:"api_url" json:"api_url"`
	TeamID              string `yaml:"team_id" json:"team_id"`
	AppID               string `yaml:"app_id" json:"app_id"`
	ChannelNameTemplate string `yaml:"channel_name_template" json:"channel_name_template"`
	ArchiveOnComplete   bool   `yaml:"archive_on_complete" json:"archive_on_complete"`
	HRChannel           string `yaml:"hr_channel" json:"hr_channel"`
}

// Teams configures the Microsoft Teams platform; enabled when AppID is set.
type Teams struct {
	AppID                string `yaml:"app_id" json:"app_id"`
	AppPassword          Secret `yaml:"app_password" json:"app_password"`
	AppPasswordFile      string `yaml:"app_password_file" json:"app_password_file,omitempty"`
	TenantID             string `yaml:"tenant_id" json:"tenant_id"`
	OpenIDMetadataURL    string `yaml:"openid_metadata_url" json:"openid_metadata_url"`
	OffboardingChannelID string `yaml:"offboarding_channel_id" json:"offboarding_channel_id"`
	ServiceURL           string `yaml:"service_url" json:"service_url"`
	// LoginURL is the Microsoft identity platform base; tokens come from
	// <login_url>/<tenant_id>/oauth2/v2.0/token. Change only for a test fake.
	LoginURL string `yaml:"login_url" json:"login_url"`
}

// Escalation configures reminders and escalation of stalled tasks.
type Escalation struct {
	Check         string            `yaml:"check" json:"check"`
	RemindAfter   offboard.Duration `yaml:"remind_after" json:"remind_after"`
	EscalateAfter offboard.Duration `yaml:"escalate_after" json:"escalate_after"`
	EscalateTo    []string          `yaml:"escalate_to" json:"escalate_to"`
	MaxLevel      int               `yaml:"max_level" json:"max_level"`
}

// Digest configures the daily digest.
type Digest struct {
	Cron    string `yaml:"cron" json:"cron"`
	Enabled bool   `yaml:"enabled" json:"enabled"`
}

// BusinessHours limits reminders to working time when enabled.
type BusinessHours struct {
	Enabled bool     `yaml:"enabled" json:"enabled"`
	Start   string   `yaml:"start" json:"start"`
	End     string   `yaml:"end" json:"end"`
	Days    []string `yaml:"days" json:"days"`
}

// Assistant configures the question-answering assistant; enabled when
// APIKey or BaseURL is set.
type Assistant struct {
	APIKey     Secret `yaml:"api_key" json:"api_key"`
	APIKeyFile string `yaml:"api_key_file" json:"api_key_file,omitempty"`
	BaseURL    string `yaml:"base_url" json:"base_url"`
	Model      string `yaml:"model" json:"model"`
	// APIVersion is Azure OpenAI's api-version; only Azure base URLs use it.
	APIVersion    string            `yaml:"api_version" json:"api_version"`
	MaxToolRounds int               `yaml:"max_tool_rounds" json:"max_tool_rounds"`
	Timeout       offboard.Duration `yaml:"timeout" json:"timeout"`
}

// DefaultAzureAPIVersion is the current GA Azure OpenAI data-plane
// inference version; it has tool calling. bot/assistant falls back to the
// same for library use (a test in cmd/offboard keeps them equal).
const DefaultAzureAPIVersion = "2024-10-21"

// Console configures the built-in web console.
type Console struct {
	Enabled   bool   `yaml:"enabled" json:"enabled"`
	Token     Secret `yaml:"token" json:"token"`
	TokenFile string `yaml:"token_file" json:"token_file,omitempty"`
	// OIDC signs people in outside demo mode.
	OIDC OIDC `yaml:"oidc" json:"oidc"`
}

func dur(d time.Duration) offboard.Duration { return offboard.Duration(d) }

// Default returns the configuration used for every key the file leaves
// unset. It validates cleanly.
func Default() *Config {
	return &Config{
		Company:     Company{Name: "Example Corp", TimeZone: "UTC", RevocationTime: "18:00"},
		Store:       Store{Backend: BackendBbolt, Etcd: defaultEtcd(), Path: "offboard.db", LockTimeout: dur(2 * time.Second), Backup: Backup{Keep: 14}},
		Audit:       Audit{CheckpointEvery: dur(DefaultCheckpointEvery)},
		Departments: DefaultDepartments(),
		HTTP:        HTTP{Listen: "127.0.0.1:8080"},
		Console:     Console{OIDC: defaultOIDC()},
		Metrics:     Metrics{Enabled: true},
		Log:         Log{Level: "info", Format: "text"},
		Runner: Runner{
			Workers:       16,
			MaxAttempts:   5,
			BackoffBase:   dur(2 * time.Second),
			BackoffMax:    dur(5 * time.Minute),
			ShutdownGrace: dur(10 * time.Second),
		},
		Cases: Cases{MaxFuture: dur(730 * 24 * time.Hour), MaxPast: dur(3650 * 24 * time.Hour)},
		// A laptop not back a month after access went is put to the
		// manager and Finance to write off.
		Devices: Devices{WriteOffAfter: dur(30 * 24 * time.Hour)},
		Entra:   Entra{RequestTimeout: dur(30 * time.Second)},
		Google: Google{Customer: "my_customer", RequestTimeout: dur(30 * time.Second),
			TransferCheckEvery: dur(time.Minute)},
		Jamf: Jamf{RequestTimeout: dur(30 * time.Second)},
		Okta: Okta{DeactivateAfter: dur(7 * 24 * time.Hour), RequestTimeout: dur(30 * time.Second), RateShare: 0.5, MaxConcurrent: 16,
			Scopes: []string{"okta.users.manage", "okta.users.read", "okta.groups.manage", "okta.apps.read"}, DPoP: "auto"},
		Slack: Slack{
			APIURL:              "https://slack.com/api/",
			ChannelNameTemplate: "offboard-{first}-{last}-{case_id}",
			ArchiveOnComplete:   true,
		},
		Teams: Teams{OpenIDMetadataURL: "https://login.botframework.com/v1/.well-known/openidconfiguration",
			LoginURL: "https://login.microsoftonline.com"},
		Escalation: Escalation{
			Check:         "@every 1m",
			RemindAfter:   dur(24 * time.Hour),
			EscalateAfter: dur(48 * time.Hour),
			MaxLevel:      3,
		},
		Digest: Digest{Cron: "0 9 * * 1-5", Enabled: true},
		BusinessHours: BusinessHours{
			Start: "09:00",
			End:   "17:00",
			Days:  []string{"mon", "tue", "wed", "thu", "fri"},
		},
		Assistant: Assistant{Model: "gpt-4o-mini", APIVersion: DefaultAzureAPIVersion, MaxToolRounds: 4, Timeout: dur(20 * time.Second)},
		HRIS: HRIS{
			BambooHR: BambooHR{TerminationTypes: DefaultTerminationTypes()},
			Generic:  GenericHRIS{Fields: DefaultGenericFields()},
		},
	}
}

// Location returns the company time zone. Validate loads it once; before
// that (or if it does not load) it is loaded on each call, falling back
// to UTC.
func (c *Config) Location() *time.Location {
	if c.meta != nil && c.meta.loc != nil {
		return c.meta.loc
	}
	if loc, err := time.LoadLocation(c.Company.TimeZone); err == nil && c.Company.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// RevocationClock returns company.revocation_time as hour and minute
// (18:00 if it does not parse; Validate reports that).
func (c *Config) RevocationClock() (hour, minute int) {
	h, m, ok := parseClock(c.Company.RevocationTime)
	if !ok {
		return 18, 0
	}
	return h, m
}

// RolesOf returns the roles configured for a person, compared by email
// without regard to case, in the order of AssignableRoles.
func (c *Config) RolesOf(email string) []offboard.Role {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil
	}
	var out []offboard.Role
	for _, r := range c.AssignableRoles() {
		if slices.ContainsFunc(c.Roles[r], func(e string) bool {
			return strings.EqualFold(strings.TrimSpace(e), email)
		}) {
			out = append(out, r)
		}
	}
	return out
}

// DelegatesOf returns who may decide approvals addressed to approver
// (an email, compared without regard to case).
func (c *Config) DelegatesOf(approver string) []string {
	for k, v := range c.Delegates {
		if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(approver)) {
			return v
		}
	}
	return nil
}

// SlackEnabled reports whether either Slack token is set.
func (c *Config) SlackEnabled() bool { return c.Slack.AppToken != "" || c.Slack.BotToken != "" }

// TeamsEnabled reports whether teams.app_id is set.
func (c *Config) TeamsEnabled() bool { return c.Teams.AppID != "" }

// OktaEnabled reports whether okta.org_url is set.
func (c *Config) OktaEnabled() bool { return c.Okta.OrgURL != "" }

// AssistantEnabled reports whether assistant.api_key or assistant.base_url
// is set.
func (c *Config) AssistantEnabled() bool {
	return c.Assistant.APIKey != "" || c.Assistant.BaseURL != ""
}

// Source returns the file name the config was parsed from ("" for one
// built in code).
func (c *Config) Source() string {
	if c.meta == nil {
		return ""
	}
	return c.meta.source
}
