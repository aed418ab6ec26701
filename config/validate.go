package config

import (
	"fmt"
	"math"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path is the dotted key, e.g. "api.tokens[0].role"; empty for a
	// problem with the text itself (a syntax error, an unset variable).
	Path string
	// Line is the 1-based line in the file, 0 when the key is not in it.
	Line int
	// Message says what is wrong, for people.
	Message string
}

// String formats the problem without the file name: "12: okta.org_url: …".
func (p Problem) String() string { return p.format("") }

func (p Problem) format(source string) string {
	var b strings.Builder
	b.WriteString(source)
	if p.Line > 0 {
		if source != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a configuration, in file
// order (problems of keys absent from the file last).
type ValidationError struct {
	Source   string
	Problems []Problem
}

// Error prints one problem a line: "config.yaml:12: okta.org_url: …".
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.Source)
	}
	return strings.Join(lines, "\n")
}

func newValidationError(source string, problems []Problem) *ValidationError {
	problems = slices.Clone(problems)
	sort.SliceStable(problems, func(i, j int) bool {
		li, lj := problems[i].Line, problems[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return &ValidationError{Source: source, Problems: problems}
}

// validator collects problems, each with the line of its key.
type validator struct {
	root     *yaml.Node
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Line: lineOf(v.root, path), Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err(source string) error {
	if len(v.problems) == 0 {
		return nil
	}
	return newValidationError(source, v.problems)
}

// Validate checks every value and returns a *ValidationError listing all
// problems, or nil. Sections that are off (Slack without tokens, Okta
// without org_url, …) are not checked. It also loads the company time zone
// for Location.
func (c *Config) Validate() error {
	if c.meta == nil {
		c.meta = &meta{}
	}
	v := &validator{root: c.meta.root}
	c.validate(v)
	return v.err(c.meta.source)
}

func (c *Config) validate(v *validator) {
	c.validateCore(v)
	c.validateAccess(v)
	c.validateRunner(v)
	c.validateCases(v)
	c.validateDevices(v)
	c.validateOkta(v)
	c.validateEntra(v)
	c.validateIntune(v)
	c.validateGoogle(v)
	c.validateJamf(v)
	c.validateDemo(v)
	c.validateHRIS(v)
	c.validateSlack(v)
	c.validateTeams(v)
	c.validateSchedule(v)
	c.validateAssistant(v)
	c.validateAudit(v)
	c.validateEvidence(v)
	c.validateMetrics(v)
}

func (c *Config) validateCore(v *validator) {
	if strings.TrimSpace(c.Company.Name) == "" {
		v.add("company.name", "required")
	}
	switch tz := c.Company.TimeZone; {
	case tz == "":
		v.add("company.time_zone", `required (an IANA name such as "Europe/Berlin", or "UTC")`)
	default:
		loc, err := time.LoadLocation(tz)
		if err != nil {
			v.add("company.time_zone", `unknown time zone %q; want an IANA name such as "Europe/Berlin"`, tz)
		} else if c.meta != nil {
			c.meta.loc = loc
		}
	}
	if _, _, ok := parseClock(c.Company.RevocationTime); !ok {
		v.add("company.revocation_time", "want HH:MM on a 24-hour clock, got %q", c.Company.RevocationTime)
	}

	c.validateStoreBackend(v)
	positive(v, "store.lock_timeout", c.Store.LockTimeout)
	validateBackup(v, c.Store.Backup)
	validateRetention(v, c.Retention)

	if _, port, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		v.add("http.listen", "want host:port such as 127.0.0.1:8080, got %q", c.HTTP.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add("http.listen", "port %q is not a number from 0 to 65535", port)
	}
	if c.HTTP.PublicURL != "" {
		checkURL(v, "http.public_url", c.HTTP.PublicURL, false)
	}
	for i, h := range c.HTTP.AllowedHosts {
		if !validAllowedHost(h) {
			v.add(fmt.Sprintf("http.allowed_hosts[%d]", i), "want a host name or host:port such as offboard.example.com, got %q", h)
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err == nil && !loopbackListen(c.HTTP.Listen) && c.HTTP.PublicURL == "" && len(c.HTTP.AllowedHosts) == 0 {
		// Otherwise every request from elsewhere would get 421.
		v.add("http.allowed_hosts", "set it or http.public_url when http.listen (%q) is not a loopback address: name the hosts clients reach offboard at", c.HTTP.Listen)
	}

	if !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(c.Log.Level)) {
		v.add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, strings.ToLower(c.Log.Format)) {
		v.add("log.format", "want text or json, got %q", c.Log.Format)
	}
}

// validateAccess checks who may do what: API tokens, roles, departments,
// playbook names and the console.
func (c *Config) validateAccess(v *validator) {
	names := map[string]int{}
	tokens := map[Secret]int{}
	for i, t := range c.API.Tokens {
		p := indexPath("api.tokens", i)
		switch j, dup := names[t.Name]; {
		case strings.TrimSpace(t.Name) == "":
			v.add(p+".name", "required")
		case dup:
			v.add(p+".name", "duplicate name %q (also api.tokens[%d])", t.Name, j)
		default:
			names[t.Name] = i
		}
		switch j, dup := tokens[t.Token]; {
		case t.Token == "":
			if t.TokenFile == "" { // a broken token_file is reported already
				v.add(p+".token", "required (or token_file)")
			}
		case len(t.Token) < 16:
			v.add(p+".token", "too short: want at least 16 characters")
		case dup:
			v.add(p+".token", "same token as api.tokens[%d]; each token needs its own value", j)
		default:
			tokens[t.Token] = i
		}
		switch {
		case t.Role == "":
			v.add(p+".role", "required (one of %s)", roleList())
		case !t.Role.Valid():
			v.add(p+".role", "unknown role %q; want one of %s", t.Role, roleList())
		}
	}

	assignable := c.AssignableRoles()
	for _, r := range sortedKeys(c.Roles) {
		p := keyPath("roles", string(r))
		if !slices.Contains(assignable, r) {
			known := roleNamesOf(assignable)
			v.add(p, "unknown role %q; want one of %s%s", r, strings.Join(known, ", "), didYouMean(string(r), known))
			continue
		}
		for i, e := range c.Roles[r] {
			if !validEmail(e) && !validObjectID(e) {
				v.add(indexPath(p, i), "want an email address (or a Teams user's AAD object id), got %q", e)
			}
		}
	}

	for _, who := range sortedKeys(c.Delegates) {
		p := keyPath("delegates", who)
		if !validEmail(who) {
			v.add(p, "want the approver's email address as the key, got %q", who)
		}
		for i, e := range c.Delegates[who] {
			switch {
			case !validEmail(e):
				v.add(indexPath(p, i), "want an email address, got %q", e)
			case strings.EqualFold(e, who):
				v.add(indexPath(p, i), "%s cannot be their own delegate", e)
			}
		}
	}

	c.validateDepartments(v)

	playbooks := map[string]int{}
	for i, pb := range c.Playbooks {
		p := indexPath("playbooks", i) + ".name"
		switch j, dup := playbooks[pb.Name]; {
		case strings.TrimSpace(pb.Name) == "":
			v.add(p, "required")
		case dup:
			v.add(p, "duplicate playbook name %q (also playbooks[%d])", pb.Name, j)
		default:
			playbooks[pb.Name] = i
		}
	}

	if c.Console.Enabled {
		switch {
		case c.Console.Token != "" && len(c.Console.Token) < 16:
			v.add("console.token", "too short: want at least 16 characters")
		case c.Console.Token == "" && c.Console.TokenFile == "" && (c.Demo || !c.OIDCEnabled()) && !loopbackListen(c.HTTP.Listen):
			// In demo mode anyone who reaches the console may act as
			// anyone, so only a password keeps it off the network.
			v.add("console.token", "required when console.enabled is true, http.listen (%q) is not a loopback address and no one signs in (console.oidc.issuer, outside demo mode)", c.HTTP.Listen)
		}
	}
	c.validateOIDC(v)
}

func (c *Config) validateRunner(v *validator) {
	inRange(v, "runner.workers", c.Runner.Workers, 1, 64)
	inRange(v, "runner.max_attempts", c.Runner.MaxAttempts, 1, 50)
	positive(v, "runner.backoff_base", c.Runner.BackoffBase)
	if c.Runner.BackoffMax < c.Runner.BackoffBase {
		v.add("runner.backoff_max", "must be at least runner.backoff_base (%s)", c.Runner.BackoffBase)
	}

	for _, app := range sortedKeys(c.Licenses) {
		price := c.Licenses[app]
		p := keyPath("licenses", app)
		if strings.TrimSpace(app) == "" {
			v.add(p, "app name is empty")
		}
		if math.IsNaN(price) || math.IsInf(price, 0) || price < 0 {
			v.add(p, "want a monthly seat price of 0 or more, got %v", price)
		}
	}
}

// validateCases keeps the date window sane: at least a day each way, and
// a horizon short enough that every date derived from it (a deactivation
// 30 days later) stays a storable year.
func (c *Config) validateCases(v *validator) {
	const day = offboard.Duration(24 * time.Hour)
	if m := c.Cases.MaxFuture; m < day || m > 3650*day {
		v.add("cases.max_future", "must be from 1d to 3650d, got %s", m)
	}
	if m := c.Cases.MaxPast; m < day || m > 36500*day {
		v.add("cases.max_past", "must be from 1d to 36500d, got %s", m)
	}
}

func (c *Config) validateOkta(v *validator) {
	o := c.Okta
	hasToken := o.APIToken != "" || o.APITokenFile != ""
	hasKey := o.PrivateKey != "" || o.PrivateKeyFile != ""
	if !c.OktaEnabled() {
		switch {
		case hasToken:
			v.add("okta.org_url", "required when okta.api_token is set")
		case o.ClientID != "" || hasKey:
			v.add("okta.org_url", "required when okta.client_id or okta.private_key is set")
		}
		return
	}
	if o.InsecureHTTPForTests {
		checkURL(v, "okta.org_url", o.OrgURL, false)
	} else if checkURL(v, "okta.org_url", o.OrgURL, false) && !strings.HasPrefix(o.OrgURL, "https://") {
		v.add("okta.org_url", "must be https (set okta.insecure_http_for_tests only for a local fake)")
	}
	oauth := o.ClientID != "" || hasKey
	switch {
	case hasToken && oauth:
		v.add("okta.api_token", "set either okta.api_token or okta.client_id with okta.private_key, not both")
	case oauth && o.ClientID == "":
		v.add("okta.client_id", "required with okta.private_key")
	case oauth && !hasKey:
		v.add("okta.private_key", "required with okta.client_id (or private_key_file)")
	case oauth && len(o.Scopes) == 0:
		v.add("okta.scopes", "required with okta.client_id")
	case !hasToken && !oauth:
		v.add("okta.client_id", "required when okta.org_url is set: an OAuth service app (client_id + private_key), or okta.api_token")
	}
	switch o.DPoP {
	case "", "auto", "on", "off":
	default:
		v.add("okta.dpop", "want auto, on or off, got %q", o.DPoP)
	}
	if o.RateShare <= 0 || o.RateShare > 1 {
		v.add("okta.rate_share", "want a fraction above 0 and at most 1 (0.5 = half of what remains), got %v", o.RateShare)
	}
	if o.MaxConcurrent < 1 || o.MaxConcurrent > 1000 {
		v.add("okta.max_concurrent", "want a number of requests from 1 to 1000 (Okta allows a Workforce org 75 at once, shared by everyone, and one app half of that by default), got %d", o.MaxConcurrent)
	}
	positive(v, "okta.request_timeout", o.RequestTimeout)
}

func (c *Config) validateHRIS(v *validator) {
	b := c.HRIS.BambooHR
	if b.PreviousWebhookSecret != "" && b.WebhookSecret == "" && b.WebhookSecretFile == "" {
		v.add("hris.bamboohr.webhook_secret", "required when hris.bamboohr.previous_webhook_secret is set")
	}
	hasKey := b.APIKey != "" || b.APIKeyFile != ""
	switch {
	case hasKey && b.Subdomain == "":
		v.add("hris.bamboohr.subdomain", "required when hris.bamboohr.api_key is set")
	case !hasKey && b.Subdomain != "":
		v.add("hris.bamboohr.api_key", "required when hris.bamboohr.subdomain is set")
	}
	if b.Subdomain != "" && !isLabel(b.Subdomain) {
		v.add("hris.bamboohr.subdomain", `want the subdomain only ("acme" for acme.bamboohr.com), got %q`, b.Subdomain)
	}
	for _, name := range sortedKeys(b.TerminationTypes) {
		p := keyPath("hris.bamboohr.termination_types", name)
		if strings.TrimSpace(name) == "" {
			v.add(p, "want a BambooHR termination type as the key, got an empty one")
			continue
		}
		if _, err := offboard.ParseDepartureKind(string(b.TerminationTypes[name])); err != nil {
			v.add(p, "unknown departure kind %q for %q; want voluntary, involuntary, retirement or contract_end",
				b.TerminationTypes[name], name)
		}
	}

	g := c.HRIS.Generic
	if g.Token != "" && len(g.Token) < 16 {
		v.add("hris.generic.token", "too short: want at least 16 characters")
	}
	f := g.Fields
	for _, fp := range []struct {
		key, path string
		required  bool
	}{
		{"event_id", f.EventID, false}, {"email", f.Email, true}, {"name", f.Name, false},
		{"manager_email", f.ManagerEmail, false}, {"termination_date", f.TerminationDate, true},
		{"effective_at", f.EffectiveAt, false}, {"kind", f.Kind, false}, {"hris_id", f.HRISID, false},
		{"title", f.Title, false}, {"department", f.Department, false}, {"time_zone", f.TimeZone, false},
	} {
		key := "hris.generic.fields." + fp.key
		switch {
		case strings.TrimSpace(fp.path) == "":
			if fp.required {
				v.add(key, `required: the dotted path of the value in the JSON body, e.g. "data.employee.%s"`, fp.key)
			}
		default:
			if msg := checkFieldPath(fp.path); msg != "" {
				v.add(key, "%s in %q; want a dotted path such as \"data.events[0].date\"", msg, fp.path)
			}
		}
	}
}

// checkFieldPath checks a dotted JSON path with optional array indexes
// ("data.events[0].date") and says what is wrong, or "".
func checkFieldPath(p string) string {
	for i, part := range strings.Split(p, ".") {
		name, rest := part, ""
		if j := strings.IndexByte(part, '['); j >= 0 {
			name, rest = part[:j], part[j:]
		}
		if name == "" && (i > 0 || rest == "") {
			return "empty segment"
		}
		if strings.ContainsAny(name, "] \t") {
			return "unexpected character"
		}
		for rest != "" {
			end := strings.IndexByte(rest, ']')
			if rest[0] != '[' || end < 0 {
				return "unclosed or misplaced ["
			}
			if n, err := strconv.Atoi(rest[1:end]); err != nil || n < 0 {
				return "array index must be a number"
			}
			rest = rest[end+1:]
		}
	}
	return ""
}
