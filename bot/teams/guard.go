package teams

import (
	"context"
	"regexp"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
)

// A channel is read by the whole team, unlike Slack's private case
// channels: what the router answers there about a confidential case is
// redacted the way the case thread is.

var caseIDRE = regexp.MustCompile(`\bOFF-\d+\b`)

// shared reports whether others than the sender read the conversation (a
// channel or a group chat): only a personal chat is private.
func shared(act schema.Activity) bool {
	return act.Conversation.ConversationType != "personal"
}

// guard redacts a reply shown in a channel or group chat for every confidential case it
// names.
func (p *Platform) guard(ctx context.Context, act schema.Activity, r offboard.Reply) offboard.Reply {
	if !shared(act) {
		return r
	}
	seen := map[string]bool{}
	var texts []string
	texts = append(texts, r.Text)
	for _, c := range r.Cards {
		texts = append(texts, c.Title, c.Subtitle, c.Footer)
		for _, s := range c.Sections {
			texts = append(texts, s.Heading, s.Text)
		}
	}
	for _, t := range texts {
		for _, m := range caseIDRE.FindAllString(t, -1) {
			if seen[m] {
				continue
			}
			seen[m] = true
			id, ok := offboard.ParseCaseID(m)
			if !ok {
				continue
			}
			v, err := p.engine.GetCase(ctx, self(), id)
			if err != nil || !v.Case.Confidential {
				continue
			}
			r.Text = redactText(v.Case, r.Text)
			for i := range r.Cards {
				r.Cards[i] = redact(v.Case, r.Cards[i])
			}
		}
	}
	return r
}
