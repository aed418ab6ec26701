package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/offboard-dev/offboard"
)

// membersPage is how many members one pagedmembers call asks for (the
// Bot Connector allows 50 to 500).
const membersPage = 500

// maxMemberPages bounds one read: a connector that kept answering with
// a continuation token would otherwise never let the directory finish.
const maxMemberPages = 1000

// People lists the members of the team that holds the Offboarding
// channel, for the directory that catches mistyped emails: someone in
// Teams but in neither the identity system nor the HRIS is still
// someone. It needs the Bot Connector's address, configured (teams.service_url) or learned
// from Teams' first activity; until then it fails and the directory
// keeps what it had.
func (p *Platform) People(ctx context.Context) ([]offboard.Person, error) {
	serviceURL := p.currentServiceURL()
	if serviceURL == "" || p.channelID == "" {
		return nil, errors.New("teams: the team's members cannot be read before teams.offboarding_channel_id is set and the service URL is known")
	}
	var out []offboard.Person
	err := p.pagedMembers(ctx, serviceURL, p.channelID, func(a account) {
		// Email first: it is what HR and the identity system know people by; the UPN
		// stands in when Teams has no mail address.
		who := a.person(p.clock.Now())
		if strings.Contains(who.email, "@") {
			out = append(out, offboard.Person{Email: who.email, Name: who.name})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("teams: team members: %w", err)
	}
	return out, nil
}

// pagedMembers pages through GET /v3/conversations/{conv}/pagedmembers,
// calling fn for each member.
func (p *Platform) pagedMembers(ctx context.Context, serviceURL, conv string, fn func(account)) error {
	token := ""
	for range maxMemberPages {
		q := url.Values{"pageSize": {fmt.Sprint(membersPage)}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		var page struct {
			ContinuationToken string    `json:"continuationToken"`
			Members           []account `json:"members"`
		}
		target := endpoint(serviceURL, "conversations", conv, "pagedmembers") + "?" + q.Encode()
		if err := p.conn.do(ctx, http.MethodGet, target, nil, &page); err != nil {
			return err
		}
		for _, m := range page.Members {
			fn(m)
		}
		if page.ContinuationToken == "" {
			return nil
		}
		token = page.ContinuationToken
	}
	return fmt.Errorf("more than %d pages", maxMemberPages)
}
