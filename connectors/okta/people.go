package okta

import (
	"context"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/offboard-dev/offboard"
)

// peoplePage is how many users one list request asks for (Okta's
// maximum for /api/v1/users is 200), so a 10,000-person org is 50
// requests an hour.
const peoplePage = 200

// People lists Okta's users (all but deprovisioned) with their name,
// manager and time zone, for cases opened with an email alone and for
// escalations to go to an approver's own manager in
// the approver's working hours. It only reads (okta.users.read).
//
// Okta's managerId attribute is free text: orgs fill it with the
// manager's Okta id, login, email or employee number. Each is tried in
// that order; a value that matches nobody but looks like an email is
// taken as the manager's email.
func (c *Client) People(ctx context.Context) ([]offboard.Person, error) {
	ctx, rec := withRecorder(ctx)
	users, resp, err := c.sdk.User.ListUsers(ctx, query.NewQueryParams(query.WithLimit(peoplePage)))
	if err != nil {
		return nil, c.classify(err, rec, "list users")
	}
	for resp != nil && resp.HasNextPage() {
		var more []*okta.User
		if resp, err = resp.Next(ctx, &more); err != nil {
			return nil, c.classify(err, rec, "list users")
		}
		users = append(users, more...)
	}
	emailOf := map[string]string{}
	for _, u := range users {
		email := profileString(u, "email")
		if email == "" {
			continue
		}
		for _, key := range []string{u.Id, profileString(u, "login"), email, profileString(u, "employeeNumber")} {
			if k := strings.ToLower(key); k != "" {
				if _, taken := emailOf[k]; !taken {
					emailOf[k] = email
				}
			}
		}
	}
	out := make([]offboard.Person, 0, len(users))
	for _, u := range users {
		email := profileString(u, "email")
		if email == "" {
			continue
		}
		name := profileString(u, "displayName")
		if name == "" {
			name = strings.TrimSpace(profileString(u, "firstName") + " " + profileString(u, "lastName"))
		}
		p := offboard.Person{Email: email, Name: name, TimeZone: profileString(u, "timezone")}
		if ref := profileString(u, "managerId"); ref != "" {
			if m, ok := emailOf[strings.ToLower(ref)]; ok {
				p.ManagerEmail = m
			} else if strings.Contains(ref, "@") {
				p.ManagerEmail = ref
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func profileString(u *okta.User, key string) string {
	if u == nil || u.Profile == nil {
		return ""
	}
	s, _ := (*u.Profile)[key].(string)
	return strings.TrimSpace(s)
}
