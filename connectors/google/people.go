package google

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"

	directory "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/offboard-dev/offboard"
)

// Google Workspace lists its people for the directory, so a company on
// Workspace alone gets names for cards, managers for escalations and the
// typo check without an HRIS.
var _ offboard.DirectorySource = (*Google)(nil)

// peopleFields are the parts of users.list the directory reads (a
// partial response: a list of 500 full users is large).
const peopleFields = "nextPageToken,users(primaryEmail,name/fullName,suspended,archived,relations)"

// maxPeoplePages bounds the walk (500 users a page): 200,000 users.
const maxPeoplePages = 400

// People lists the organisation's users (users.list, customer
// my_customer, paged) with their managers: the "manager" relation, which
// the Admin console fills from a user's "Manager's email". Suspended and
// archived users are listed (a case may name someone already suspended);
// a suspended or archived manager is not, so escalations never go to an
// account no one reads, and neither is a relation whose value is a name
// rather than an address. Workspace keeps no time zone on the user, so
// business hours use the company's for these people.
func (g *Google) People(ctx context.Context) ([]offboard.Person, error) {
	svc, err := g.c.Directory(ctx, ScopeUser)
	if err != nil {
		return nil, err
	}
	cl := call{what: "list the Google Workspace users", scope: ScopeUser, subject: g.c.admin}
	var users []*directory.User
	token := ""
	for page := 0; ; page++ {
		if page == maxPeoplePages {
			return nil, fmt.Errorf("google: %s: more than %d pages of users", cl.what, maxPeoplePages)
		}
		list, err := svc.Users.List().Customer(g.c.customer).MaxResults(500).PageToken(token).
			Fields(googleapi.Field(peopleFields)).Context(ctx).Do()
		if err != nil {
			return nil, g.c.fail(cl, err)
		}
		users = append(users, list.Users...)
		if token = list.NextPageToken; token == "" {
			break
		}
	}
	inactive := map[string]bool{}
	for _, u := range users {
		if u.Suspended || u.Archived {
			inactive[lower(u.PrimaryEmail)] = true
		}
	}
	out := make([]offboard.Person, 0, len(users))
	for _, u := range users {
		email := lower(u.PrimaryEmail)
		if email == "" {
			continue
		}
		p := offboard.Person{Email: email}
		if u.Name != nil {
			p.Name = strings.TrimSpace(u.Name.FullName)
		}
		if m := managerOf(u); m != "" && !inactive[m] && m != email {
			p.ManagerEmail = m
		}
		out = append(out, p)
	}
	return out, nil
}

// managerOf reads the user's "manager" relation: an address, lowercased,
// or "" when there is none or its value is not one address.
func managerOf(u *directory.User) string {
	if u.Relations == nil {
		return ""
	}
	// The library leaves relations untyped; they are UserRelation objects.
	raw, err := json.Marshal(u.Relations)
	if err != nil {
		return ""
	}
	var rels []directory.UserRelation
	if json.Unmarshal(raw, &rels) != nil {
		return ""
	}
	for _, r := range rels {
		if r.Type != "manager" {
			continue
		}
		a, err := mail.ParseAddress(strings.TrimSpace(r.Value))
		if err != nil || a.Name != "" || a.Address != strings.TrimSpace(r.Value) {
			return ""
		}
		return lower(a.Address)
	}
	return ""
}
