package teams

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// DoctorOptions is what `offboard doctor` checks in Teams.
type DoctorOptions struct {
	AppID, AppPassword, TenantID string
	// LoginURL is the token service base; empty means DefaultLoginURL.
	LoginURL   string
	HTTPClient *http.Client
}

// Doctor asks the tenant's token endpoint for a Bot Connector token, the
// first thing every send does. It writes nothing.
func Doctor(ctx context.Context, o DoctorOptions) []offboard.CheckResult {
	const name = "Teams: token"
	if o.LoginURL == "" {
		o.LoginURL = DefaultLoginURL
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	c := newConnector(o.AppID, o.AppPassword, o.LoginURL, o.TenantID, hc, time.Now)
	if _, err := c.bearer(ctx); err != nil {
		detail := c.redact.String(err.Error())
		fix := "check teams.app_id, teams.app_password and teams.tenant_id against the bot's app registration in Entra ID"
		switch {
		case strings.Contains(detail, "AADSTS7000215"), strings.Contains(detail, "AADSTS7000222"):
			fix = "teams.app_password is wrong or expired: create a new client secret under the app registration → Certificates & secrets"
		case strings.Contains(detail, "AADSTS700016"):
			fix = "teams.app_id is not an app of tenant teams.tenant_id: copy the Application (client) ID and Directory (tenant) ID from the app registration"
		case strings.Contains(detail, "AADSTS90002"):
			fix = "teams.tenant_id names no tenant: copy the Directory (tenant) ID from the app registration"
		}
		return []offboard.CheckResult{offboard.CheckFailed(name, detail, fix)}
	}
	return []offboard.CheckResult{offboard.CheckOf(name, "the tenant's token endpoint issued a Bot Connector token for app "+o.AppID)}
}
