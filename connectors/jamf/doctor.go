package jamf

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/offboard-dev/offboard"
)

// fixPrivileges is the README's Jamf Pro setup, as the fix.
const fixPrivileges = "give the API client's API role the privileges in README → Jamf Pro"

// zeroManagementID names no device: the doctor's command read uses it so
// that it lists nothing and changes nothing.
const zeroManagementID = "00000000-0000-0000-0000-000000000000"

// Doctor runs Jamf Pro's read-only checks: the token, one computer and one
// mobile device listed, and the command history readable. The lock and
// wipe privileges have no read to try them with, and a lock is not a
// check: the result says so.
func (j *Jamf) Doctor(ctx context.Context) []offboard.CheckResult {
	q := url.Values{"page": {"0"}, "page-size": {"1"}, "section": {"GENERAL"}}
	cmdQ := url.Values{"page": {"0"}, "page-size": {"1"}, "filter": {"clientManagementId==" + rsqlString(zeroManagementID)}}
	checks := []struct {
		name, path, priv string
	}{
		{"Jamf Pro: read computers", "/v1/computers-inventory?" + q.Encode(), PrivReadComputers},
		{"Jamf Pro: read mobile devices", "/v2/mobile-devices/detail?" + q.Encode(), PrivReadMobileDevices},
		{"Jamf Pro: read MDM commands", "/v2/mdm/commands?" + cmdQ.Encode(), PrivReadCommands},
	}
	lockWipe := offboard.CheckResult{Name: "Jamf Pro: lock and wipe", Status: offboard.CheckWarn,
		Detail: "not checked: " + PrivComputerLock + " and " + PrivComputerWipe + " (and the mobile device ones) can only be tried by sending a command to a device; make sure the API role holds them"}
	// The token first: refused credentials are one problem with one fix,
	// not three missing privileges.
	if _, err := j.c.tokens.token(ctx); err != nil {
		return []offboard.CheckResult{offboard.CheckFailed("Jamf Pro: API client token", offboard.ErrorMessage(j.c.tokenError(err)),
			"make sure the API client is enabled in Jamf Pro (Settings → API roles and clients) and jamf.url is the server's address"), lockWipe}
	}
	var out []offboard.CheckResult
	for _, ch := range checks {
		var p page[struct{}]
		if err := j.c.do(ctx, call{method: http.MethodGet, path: ch.path, out: &p, what: ch.name[len("Jamf Pro: "):], priv: ch.priv}); err != nil {
			out = append(out, offboard.CheckFailed(ch.name, offboard.ErrorMessage(err), fixPrivileges))
			continue
		}
		path, _, _ := strings.Cut(ch.path, "?")
		out = append(out, offboard.CheckOf(ch.name, "GET /api"+path+" answered"))
	}
	return append(out, lockWipe)
}
