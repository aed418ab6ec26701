package microsoft

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Entra ID lists its people for the directory (escalations reach Entra
// managers; names and time zones for cards and business hours).
var _ offboard.DirectorySource = (*Entra)(nil)

// peopleFields are what the directory reads of each user; managerFields
// of each user's manager. $top is Graph's largest page; with $expand,
// Graph answers at most 100 a page and pages on by @odata.nextLink.
const (
	peopleFields  = "id,displayName,mail,userPrincipalName,accountEnabled"
	managerFields = "id,mail,userPrincipalName,accountEnabled"
	peoplePage    = 999
)

// directoryUser is a user as the directory list reads it.
type directoryUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	Mail              string `json:"mail"`
	UserPrincipalName string `json:"userPrincipalName"`
	AccountEnabled    *bool  `json:"accountEnabled"`
	Manager           *struct {
		ID                string `json:"id"`
		Mail              string `json:"mail"`
		UserPrincipalName string `json:"userPrincipalName"`
		AccountEnabled    *bool  `json:"accountEnabled"`
	} `json:"manager"`
}

// address is how offboard knows a user: the mail, else the user
// principal name; "" for a guest known only by its #EXT# name, which no
// one types and no mail reaches.
func address(mail, upn string) string {
	if m := strings.ToLower(strings.TrimSpace(mail)); m != "" {
		return m
	}
	upn = strings.ToLower(strings.TrimSpace(upn))
	if strings.Contains(upn, "#ext#") {
		return ""
	}
	return upn
}

// People lists the tenant's users (GET /users, paged) with their
// managers, and their mailbox time zones where the app may read them.
// Disabled users are listed (a case may name someone already disabled);
// a disabled manager is not: escalations must not go to an account no
// one reads, so such a person's manager is left for other sources or
// the fallback.
func (e *Entra) People(ctx context.Context) ([]offboard.Person, error) {
	q := url.Values{"$select": {peopleFields}, "$expand": {"manager($select=" + managerFields + ")"},
		"$top": {fmt.Sprint(peoplePage)}}
	path := "/users?" + q.Encode()
	var out []offboard.Person
	var ids []string
	for path != "" {
		var page struct {
			Value    []directoryUser `json:"value"`
			NextLink string          `json:"@odata.nextLink"`
		}
		if err := e.c.do(ctx, call{method: http.MethodGet, path: path, out: &page, what: "list users", perm: "User.Read.All"}); err != nil {
			return nil, err
		}
		for _, u := range page.Value {
			email := address(u.Mail, u.UserPrincipalName)
			if email == "" {
				continue
			}
			p := offboard.Person{Email: email, Name: strings.TrimSpace(u.DisplayName)}
			if m := u.Manager; m != nil && (m.AccountEnabled == nil || *m.AccountEnabled) {
				p.ManagerEmail = address(m.Mail, m.UserPrincipalName)
			}
			out = append(out, p)
			ids = append(ids, u.ID)
		}
		next, err := e.c.relative(page.NextLink)
		if err != nil {
			return nil, err
		}
		path = next
	}
	zones := e.timeZones(ctx, ids)
	for i := range out {
		out[i].TimeZone = zones[i]
	}
	return out, nil
}

// relative turns Graph's absolute @odata.nextLink into a path under
// /v1.0. A link to anywhere else is refused: the token goes only to the
// configured Graph.
func (c *Client) relative(link string) (string, error) {
	if link == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(link, c.graphURL+"/v1.0/")
	if !ok {
		return "", fmt.Errorf("microsoft graph: list users: the next page is not on %s/v1.0; refusing to follow it", c.graphURL)
	}
	return "/" + rest, nil
}

// timeZones reads each user's mailbox time zone, 20 to a batch, as IANA
// names ("" where unknown). It needs MailboxSettings.Read, which is
// optional: without it (or while Graph throttles) the directory keeps
// its people without time zones and business hours use the company's.
// A user without an Exchange Online mailbox has none.
func (e *Entra) timeZones(ctx context.Context, ids []string) []string {
	zones := make([]string, len(ids))
	answers := make([]struct {
		Value string `json:"value"`
	}, len(ids))
	for start := 0; start < len(ids); start += batchLimit {
		end := min(start+batchLimit, len(ids))
		calls := make([]call, 0, end-start)
		for i := start; i < end; i++ {
			calls = append(calls, call{method: http.MethodGet, path: "/users/" + url.PathEscape(ids[i]) + "/mailboxSettings/timeZone",
				out: &answers[i], what: "read a mailbox time zone", perm: "MailboxSettings.Read"})
		}
		for j, err := range e.c.batch(ctx, calls) {
			switch code := offboard.ErrorCode(err); {
			case err == nil:
				zones[start+j] = ianaZone(answers[start+j].Value)
			case code == offboard.EFORBIDDEN:
				e.c.log.Info("microsoft: directory read without time zones: grant MailboxSettings.Read to read mailbox time zones")
				return zones
			case code == offboard.ENOTFOUND:
				// No mailbox: no time zone.
			default:
				e.c.log.Warn("microsoft: directory time zones not read", "err", offboard.ErrorMessage(err))
				return zones
			}
		}
	}
	return zones
}

// ianaZone returns the IANA name of a mailbox time zone, which Outlook
// stores as a Windows name unless the administrator chose IANA names; ""
// when unknown.
func ianaZone(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	if z, ok := windowsZones[name]; ok {
		name = z
	}
	if !strings.Contains(name, "/") && name != "UTC" {
		return ""
	}
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

// PersonByObjectID names the enabled user with the object id (what Teams
// calls aadObjectId): mail, else user principal name, and display name.
// An id that is not a GUID is EINVALID (a UPN would otherwise be looked
// up as one); a disabled account EFORBIDDEN, so its roles go with it.
func (e *Entra) PersonByObjectID(ctx context.Context, objectID string) (offboard.Person, error) {
	if !isGUID(objectID) {
		return offboard.Person{}, offboard.Errorf(offboard.EINVALID, "%q is not a Microsoft Entra ID object id", objectID)
	}
	u, err := e.c.GetUser(ctx, objectID)
	if err != nil {
		return offboard.Person{}, err
	}
	if !u.Enabled() {
		return offboard.Person{}, offboard.Errorf(offboard.EFORBIDDEN, "the Microsoft Entra ID account %s is disabled", u.UserPrincipalName)
	}
	email := address(u.Mail, u.UserPrincipalName)
	if email == "" {
		return offboard.Person{}, offboard.Errorf(offboard.ENOTFOUND, "the Microsoft Entra ID user %s has no mail and a guest name", objectID)
	}
	return offboard.Person{Email: email, Name: strings.TrimSpace(u.DisplayName)}, nil
}

// isGUID reports whether s is 8-4-4-4-12 hexadecimal digits.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
