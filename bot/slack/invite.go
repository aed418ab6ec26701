package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// Invite state is kept in the room record (RoomRef.Invites, one entry
// per person), so the engine stays the only writer and a retried notice
// knows who is still missing.
const (
	inviteIn      = "in"      // in the channel
	invitePending = "pending" // not invited yet; tried again later
	// refused:<code> — Slack will not add them (a guest, a deactivated
	// account); noAccount — no Slack account has this email.
	inviteRefused = "refused:"
	noAccount     = "no_slack_account"
)

// maxInviteBatch is conversations.invite's limit on users per call.
const maxInviteBatch = 1000

// maxInviteTries bounds how many deliveries retry missing invites; after
// that the header card keeps saying who is missing.
const maxInviteTries = 10

// wantedEmails are the people who work the case, never the person
// leaving. A confidential case gets only HR, IT, the requester and the
// manager.
func (p *Platform) wantedEmails(v *offboard.CaseView) []string {
	c := v.Case
	emails := []string{c.Requester.Email, c.Employee.ManagerEmail}
	roles := []offboard.Role{offboard.RoleHR}
	if c.Confidential {
		roles = append(roles, offboard.RoleIT)
	} else {
		for _, t := range v.Tasks {
			if r := v.Departments.RoleOf(t.Department); !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	for _, r := range roles {
		emails = append(emails, p.members(r)...)
	}
	var out []string
	for _, e := range emails {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || slices.Contains(out, e) || e == strings.ToLower(c.Employee.Email) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// syncInvites invites everyone not yet in the channel, in batches with
// force so one refused person never keeps the others out, and returns
// each person's state for the driver to record on the room. Its error is
// set while someone could still be invited later (a rate limit, Slack
// unavailable), so the outbox delivers the notice again; the cards are
// posted meanwhile.
func (p *Platform) syncInvites(ctx context.Context, v *offboard.CaseView, room offboard.RoomRef) (offboard.RoomRef, error) {
	if v.Case.Status != offboard.CaseOpen {
		return offboard.RoomRef{}, nil // a closed case's channel may be archived; nobody new needs in
	}
	tries := room.InviteRounds
	var todo []string
	for _, e := range p.wantedEmails(v) {
		st := room.Invites[e]
		if st == "" || st == invitePending {
			todo = append(todo, e)
		}
	}
	if len(todo) == 0 || tries >= maxInviteTries {
		return offboard.RoomRef{}, nil
	}
	changes := map[string]string{}
	ids := map[string]string{} // Slack id → email
	var lookupErr error
	for _, e := range todo {
		id, err := p.lookupUser(ctx, e)
		switch {
		case err != nil:
			changes[e] = invitePending
			lookupErr = err
		case id == "":
			changes[e] = noAccount
		default:
			ids[id] = e
		}
	}
	users := make([]string, 0, len(ids))
	for id := range ids {
		users = append(users, id)
	}
	sort.Strings(users)
	var inviteErr error
	for chunk := range slices.Chunk(users, maxInviteBatch) {
		refused, err := p.inviteBatch(ctx, room.ID, chunk)
		if code := slackErrorCode(err); permanentInviteError[code] {
			// The channel itself refuses (archived, gone, a scope
			// missing): trying again changes nothing.
			p.log.Warn("slack: Slack refused every invite to a case channel", "case_id", v.Case.ID, "err", code)
			for _, id := range chunk {
				refused[id] = code
			}
			err = nil
		}
		for _, id := range chunk {
			switch {
			case err != nil:
				changes[ids[id]] = invitePending
			case refused[id] != "":
				changes[ids[id]] = inviteRefused + refused[id]
				p.log.Warn("slack: Slack refused to add a person to a case channel", "case_id", v.Case.ID, "user", id, "err", refused[id])
			default:
				changes[ids[id]] = inviteIn
			}
		}
		if err != nil {
			inviteErr = err
			break
		}
	}
	changed := offboard.RoomRef{Invites: changes, InviteRounds: tries + 1}
	if inviteErr == nil {
		inviteErr = lookupErr
	}
	if inviteErr == nil {
		return changed, nil
	}
	if tries+1 >= maxInviteTries {
		p.log.Warn("slack: gave up inviting people to a case channel; the header card lists them", "case_id", v.Case.ID, "err", inviteErr)
		return changed, nil
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](inviteErr); ok {
		return changed, rl
	}
	return changed, offboard.Errorf(offboard.EUNAVAILABLE, "slack: invites to %s still pending: %v", room.ID, inviteErr)
}

// lookupUser finds a person's Slack id; "" with no error means Slack has
// no account with that email.
func (p *Platform) lookupUser(ctx context.Context, email string) (string, error) {
	p.mu.Lock()
	id, ok := p.ids[email]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	var u *slack.User
	err := p.paced(ctx, methodScope("users.lookupByEmail"), "users.lookupByEmail", func() error {
		var err error
		u, err = p.api.GetUserByEmailContext(ctx, email)
		return err
	})
	switch {
	case isSlackError(err, "users_not_found"):
	case err != nil:
		return "", p.chatError("users.lookupByEmail", err)
	default:
		id = u.ID
	}
	p.mu.Lock()
	p.ids[email] = id
	p.mu.Unlock()
	return id, nil
}

// inviteBatch invites users with force=true: Slack adds the valid ones
// and lists the others in errors[]. It returns those refusals by user
// (being in already, or being the bot, is no refusal), or an error when
// the call as a whole failed.
func (p *Platform) inviteBatch(ctx context.Context, channel string, users []string) (map[string]string, error) {
	refused := map[string]string{}
	err := p.paced(ctx, methodScope("conversations.invite"), "conversations.invite", func() error {
		_, err := p.api.ForceInviteUsersToConversationContext(ctx, channel, users...)
		return err
	})
	if err == nil {
		return refused, nil
	}
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || len(se.Errors) == 0 {
		return refused, p.chatError("conversations.invite", err)
	}
	for _, e := range se.Errors {
		ci := e.ConversationsInviteResponseError
		if ci == nil || ci.Error == "already_in_channel" || ci.Error == "cant_invite_self" {
			continue
		}
		refused[ci.User] = ci.Error
	}
	return refused, nil
}

// permanentInviteError are conversations.invite's answers about the
// channel or the app rather than one person: no retry helps.
var permanentInviteError = map[string]bool{
	"channel_not_found": true, "is_archived": true, "not_in_channel": true, "missing_scope": true,
	"method_not_supported_for_channel_type": true, "restricted_action": true,
	"not_authed": true, "invalid_auth": true, "account_inactive": true,
}

// slackErrorCode is Slack's error code in err ("" when there is none).
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// inviteProblems lists, for the header card, who is not in the channel
// and why, in a stable order.
func inviteProblems(room offboard.RoomRef) []string {
	var out []string
	for email, st := range room.Invites {
		if st == inviteIn {
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s)", email, inviteReason(st)))
	}
	sort.Strings(out)
	return out
}

// inviteReason says in words why someone is not in the channel.
func inviteReason(st string) string {
	switch code, _ := strings.CutPrefix(st, inviteRefused); code {
	case invitePending:
		return "invite pending: Slack is busy, trying again"
	case noAccount:
		return "no Slack account with this email"
	case "user_is_restricted", "user_is_ultra_restricted", "ura_max_channels":
		return "a guest account Slack will not add; a workspace admin can invite them"
	case "user_not_found", "account_inactive":
		return "the Slack account is deactivated"
	case "user_is_bot":
		return "a bot"
	default:
		return "Slack refused: " + code
	}
}
