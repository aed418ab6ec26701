package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// usersPage is how many members one users.list call asks for; Slack
// recommends no more than 200.
const usersPage = 200

// People lists the workspace's members with an email, for the directory
// that catches mistyped emails: someone in Slack but in neither the
// identity system nor the HRIS is still someone. Bots, apps, deleted accounts and Slackbot
// are left out. It waits out Slack's rate limit (it runs on the
// directory's hourly schedule, outside the outbox, so it fights no
// retry of the workers).
func (p *Platform) People(ctx context.Context) ([]offboard.Person, error) {
	users, err := p.api.GetUsersContext(ctx, slack.GetUsersOptionLimit(usersPage))
	if err != nil {
		return nil, fmt.Errorf("slack: users.list: %w", err)
	}
	out := make([]offboard.Person, 0, len(users))
	for _, u := range users {
		email := strings.ToLower(strings.TrimSpace(u.Profile.Email))
		if u.Deleted || u.IsBot || u.IsAppUser || email == "" {
			continue
		}
		name := u.RealName
		if name == "" {
			name = u.Profile.RealName
		}
		out = append(out, offboard.Person{Email: email, Name: name})
	}
	return out, nil
}
