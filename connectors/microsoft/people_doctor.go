package microsoft

import (
	"context"
	"net/http"
	"net/url"

	"github.com/offboard-dev/offboard"
)

// DirectoryDoctor checks, read-only, what the directory reads: users
// with their managers (escalations go to Entra managers), and one
// mailbox time zone, which is optional (MailboxSettings.Read): without
// it business hours use the company's time zone.
func (e *Entra) DirectoryDoctor(ctx context.Context) []offboard.CheckResult {
	const name = "Entra ID: directory"
	q := url.Values{"$select": {peopleFields}, "$expand": {"manager($select=" + managerFields + ")"}, "$top": {"1"}}
	var list struct {
		Value []directoryUser `json:"value"`
	}
	if err := e.c.do(ctx, call{method: http.MethodGet, path: "/users?" + q.Encode(), out: &list, what: "list users with their managers",
		perm: "User.Read.All"}); err != nil {
		return []offboard.CheckResult{offboard.CheckFailed(name, offboard.ErrorMessage(err), fixPermissions)}
	}
	out := []offboard.CheckResult{offboard.CheckOf(name, "users and their managers answered: escalations reach Entra ID managers")}
	if len(list.Value) == 0 {
		return out
	}
	const tzName = "Entra ID: mailbox time zones"
	var tz struct {
		Value string `json:"value"`
	}
	err := e.c.do(ctx, call{method: http.MethodGet, path: "/users/" + url.PathEscape(list.Value[0].ID) + "/mailboxSettings/timeZone",
		out: &tz, what: "read a mailbox time zone", perm: "MailboxSettings.Read"})
	switch offboard.ErrorCode(err) {
	case "":
		return append(out, offboard.CheckOf(tzName, "one mailbox time zone answered: business hours follow each person's zone"))
	case offboard.ENOTFOUND:
		return append(out, offboard.CheckResult{Name: tzName, Status: offboard.CheckWarn,
			Detail: "the first user has no Exchange Online mailbox; time zones are read for those who do"})
	case offboard.EFORBIDDEN:
		return append(out, offboard.CheckResult{Name: tzName, Status: offboard.CheckWarn,
			Detail: "not readable: business hours use the company's time zone",
			Fix:    "optional: grant the application permission MailboxSettings.Read with admin consent"})
	}
	return append(out, offboard.CheckFailed(tzName, offboard.ErrorMessage(err), fixPermissions))
}
