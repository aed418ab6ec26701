package config

import (
	"cmp"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// channelPlaceholders are what slack.channel_name_template may contain.
var channelPlaceholders = []string{"{first}", "{last}", "{case_id}"}

func (c *Config) validateSlack(v *validator) {
	s := c.Slack
	if !c.SlackEnabled() {
		return
	}
	hasApp := s.AppToken != "" || s.AppTokenFile != ""
	hasBot := s.BotToken != "" || s.BotTokenFile != ""
	switch {
	case !hasApp:
		v.add("slack.app_token", "required when slack.bot_token is set (an app-level token, xapp-…, for socket mode)")
	case s.AppToken != "" && !strings.HasPrefix(s.AppToken.Reveal(), "xapp-"):
		v.add("slack.app_token", "must start with xapp- (the app-level token with connections:write)")
	}
	switch {
	case !hasBot:
		v.add("slack.bot_token", "required when slack.app_token is set (the bot token, xoxb-…)")
	case s.BotToken != "" && !strings.HasPrefix(s.BotToken.Reveal(), "xoxb-"):
		v.add("slack.bot_token", "must start with xoxb- (the bot user OAuth token)")
	}
	if checkURL(v, "slack.api_url", s.APIURL, false) && !strings.HasSuffix(s.APIURL, "/") {
		v.add("slack.api_url", "must end with /, got %q", s.APIURL)
	}
	c.validateChannelTemplate(v)
}

func (c *Config) validateChannelTemplate(v *validator) {
	const p = "slack.channel_name_template"
	tmpl := c.Slack.ChannelNameTemplate
	if tmpl == "" {
		v.add(p, "required")
		return
	}
	if !strings.Contains(tmpl, "{case_id}") {
		v.add(p, "must contain {case_id} so that two cases never share a channel name")
	}
	rest := tmpl
	for _, ph := range channelPlaceholders {
		rest = strings.ReplaceAll(rest, ph, "")
	}
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		v.add(p, "unknown placeholder in %q; want %s", tmpl, strings.Join(channelPlaceholders, ", "))
		return
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			v.add(p, "Slack channel names allow only lowercase letters, digits, - and _; got %q", tmpl)
			return
		}
	}
}

func (c *Config) validateTeams(v *validator) {
	t := c.Teams
	if !c.TeamsEnabled() {
		switch {
		case t.AppPassword != "" || t.AppPasswordFile != "":
			v.add("teams.app_id", "required when teams.app_password is set")
		case t.TenantID != "":
			v.add("teams.app_id", "required when teams.tenant_id is set")
		}
		return
	}
	if t.AppPassword == "" && t.AppPasswordFile == "" {
		v.add("teams.app_password", "required when teams.app_id is set")
	}
	if t.TenantID == "" {
		v.add("teams.tenant_id", "required when teams.app_id is set")
	}
	checkURL(v, "teams.openid_metadata_url", t.OpenIDMetadataURL, true)
	checkURL(v, "teams.login_url", t.LoginURL, true)
	if t.ServiceURL != "" {
		checkURL(v, "teams.service_url", t.ServiceURL, false)
	}
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// validateSchedule checks escalation, the digest and business hours.
func (c *Config) validateSchedule(v *validator) {
	e := c.Escalation
	if strings.TrimSpace(e.Check) == "" {
		v.add("escalation.check", `required (a cron spec such as "@every 1m")`)
	}
	positive(v, "escalation.remind_after", e.RemindAfter)
	if e.EscalateAfter <= e.RemindAfter {
		v.add("escalation.escalate_after", "must be longer than escalation.remind_after (%s), got %s", e.RemindAfter, e.EscalateAfter)
	}
	for i, addr := range e.EscalateTo {
		if !validEmail(addr) {
			v.add(indexPath("escalation.escalate_to", i), "want an email address, got %q", addr)
		}
	}
	inRange(v, "escalation.max_level", e.MaxLevel, 1, 10)

	if c.Digest.Enabled && strings.TrimSpace(c.Digest.Cron) == "" {
		v.add("digest.cron", `required when digest.enabled is true (a cron spec such as "0 9 * * 1-5")`)
	}

	b := c.BusinessHours
	if !b.Enabled {
		return
	}
	sh, sm, okStart := parseClock(b.Start)
	if !okStart {
		v.add("business_hours.start", "want HH:MM on a 24-hour clock, got %q", b.Start)
	}
	eh, em, okEnd := parseClock(b.End)
	if !okEnd {
		v.add("business_hours.end", "want HH:MM on a 24-hour clock, got %q", b.End)
	}
	if okStart && okEnd && eh*60+em <= sh*60+sm {
		v.add("business_hours.end", "must be later than business_hours.start (%s), got %s", b.Start, b.End)
	}
	if len(b.Days) == 0 {
		v.add("business_hours.days", "required when business_hours.enabled is true (e.g. [mon, tue, wed, thu, fri])")
	}
	seen := map[string]bool{}
	for i, d := range b.Days {
		p := indexPath("business_hours.days", i)
		switch day := strings.ToLower(d); {
		case !slices.Contains(weekdays, day):
			v.add(p, "want one of %s, got %q%s", strings.Join(weekdays, ", "), d, didYouMean(day, weekdays))
		case seen[day]:
			v.add(p, "%s is listed twice", d)
		default:
			seen[day] = true
		}
	}
}

func (c *Config) validateAssistant(v *validator) {
	a := c.Assistant
	if !c.AssistantEnabled() && a.APIKeyFile == "" {
		return
	}
	if a.BaseURL != "" {
		checkURL(v, "assistant.base_url", a.BaseURL, false)
	}
	if strings.TrimSpace(a.Model) == "" {
		v.add("assistant.model", "required when the assistant is enabled")
	}
	inRange(v, "assistant.max_tool_rounds", a.MaxToolRounds, 1, 20)
	positive(v, "assistant.timeout", a.Timeout)
	validateAPIVersion(v, a.APIVersion)
}

// validateAPIVersion checks assistant.api_version: a date (YYYY-MM-DD,
// with -preview for a preview) from which Azure OpenAI has tool calling:
// 2024-02-01 and later GA versions, previews from 2023-12-01. Earlier
// ones (2023-05-15, the GA go-openai would pick) refuse the tools, and
// every question would fall back to the rules.
func validateAPIVersion(v *validator, version string) {
	date, _ := strings.CutSuffix(version, "-preview")
	if _, err := time.Parse("2006-01-02", date); err != nil || len(date) != len("2006-01-02") {
		v.add("assistant.api_version", "want an Azure OpenAI api-version such as %s (YYYY-MM-DD, or YYYY-MM-DD-preview), got %q",
			DefaultAzureAPIVersion, version)
		return
	}
	if date < "2023-12-01" {
		v.add("assistant.api_version", "%s has no tool calling, which the assistant needs; use %s or later", version, DefaultAzureAPIVersion)
	}
}

// --- helpers ---

func positive(v *validator, path string, d offboard.Duration) {
	if d <= 0 {
		v.add(path, "must be longer than 0, got %s", d)
	}
}

func inRange(v *validator, path string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(path, "must be from %d to %d, got %d", lo, hi, n)
	}
}

// checkURL reports a value that is not an absolute http(s) URL. With
// httpsOnly, plain http is accepted only for loopback hosts (test fakes).
// It reports whether the URL is fine.
func checkURL(v *validator, path, raw string, httpsOnly bool) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(path, "want an absolute URL such as https://example.com/, got %q", raw)
		return false
	}
	if httpsOnly && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		v.add(path, "must use https (http is allowed only for localhost), got %q", raw)
		return false
	}
	return true
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validAllowedHost accepts "name" or "name:port", nothing with a
// scheme, path or spaces.
func validAllowedHost(h string) bool {
	if h == "" || strings.ContainsAny(h, "/@?# ") {
		return false
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		n, err := strconv.Atoi(port)
		return host != "" && err == nil && n > 0 && n <= 65535
	}
	return !strings.Contains(strings.Trim(h, "[]"), ":") || net.ParseIP(strings.Trim(h, "[]")) != nil
}

func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	return err == nil && isLoopbackHost(host)
}

// parseClock parses "HH:MM" on a 24-hour clock.
func parseClock(s string) (hour, minute int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	digit := func(b byte) (int, bool) { return int(b - '0'), b >= '0' && b <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	hour, minute = h1*10+h2, m1*10+m2
	if !ok1 || !ok2 || !ok3 || !ok4 || hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// validEmail is deliberately loose: one @, something on both sides, no
// spaces. Identity is matched by string, so exotic forms are the admin's
// business.
// validObjectID reports whether s looks like an Azure AD object id (a
// GUID): Teams knows people by it, so roles may name them that way.
func validObjectID(s string) bool {
	return len(s) == 36 && guidRE.MatchString(s)
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t\r\n<>,;") &&
		!strings.Contains(domain, "@")
}

// isLabel reports whether s is a DNS label.
func isLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func roleNames() []string {
	var out []string
	for _, r := range offboard.ConfigurableRoles() {
		out = append(out, string(r))
	}
	return out
}

func roleList() string { return strings.Join(roleNames(), ", ") }

func didYouMean(w string, known []string) string {
	if s := suggest(w, known); s != "" && s != w {
		return ` — did you mean "` + s + `"?`
	}
	return ""
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateBackup checks store.backup: a schedule needs a directory, and
// a directory keeps at least one backup.
func validateBackup(v *validator, b Backup) {
	switch {
	case b.Every < 0:
		v.add("store.backup.every", "must not be negative, got %s; 0 (or unset) takes backups on demand only", b.Every)
	case b.Every > 0 && b.Every.D() < MinBackupEvery:
		v.add("store.backup.every", "must be at least 1m (each backup copies the whole store), got %s", b.Every)
	case b.Every > 0 && strings.TrimSpace(b.Dir) == "":
		v.add("store.backup.dir", "required when store.backup.every is set (%s)", b.Every)
	}
	if b.Keep < 1 {
		v.add("store.backup.keep", "must be at least 1, got %d", b.Keep)
	}
}
