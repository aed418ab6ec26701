package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
)

// RequiredBotScopes are the bot token scopes slack-app-manifest.yaml
// asks for (a test keeps the two equal).
var RequiredBotScopes = []string{
	"commands", "chat:write", "chat:write.public", "groups:write", "groups:write.invites",
	"users:read", "users:read.email", "app_mentions:read", "im:history", "im:write",
	"channels:read", "groups:read",
}

// DoctorOptions is what `offboard doctor` checks in Slack.
type DoctorOptions struct {
	AppToken, BotToken, APIURL string
	// Channels are the department channel ids, by department.
	Channels   map[offboard.Department]string
	HTTPClient *http.Client
}

const reinstall = "add it under OAuth & Permissions → Bot Token Scopes (or in slack-app-manifest.yaml) and reinstall the app"

// Doctor runs the read-only Slack checks: auth.test, the granted scopes,
// socket mode (apps.connections.open, which hands out a URL but opens
// no connection) and each department channel (conversations.info).
func Doctor(ctx context.Context, o DoctorOptions) []offboard.CheckResult {
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	opts := []slack.Option{slack.OptionHTTPClient(hc), slack.OptionAppLevelToken(o.AppToken)}
	if o.APIURL != "" {
		u := o.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	api := slack.New(o.BotToken, opts...)
	var out []offboard.CheckResult

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		out = append(out, offboard.CheckFailed("Slack: auth.test", slackErrText(err),
			"set slack.bot_token to the Bot User OAuth Token (xoxb-…) under OAuth & Permissions; reinstall the app if it was revoked"))
		return append(out, socketCheck(ctx, api))
	}
	out = append(out, offboard.CheckOf("Slack: auth.test",
		fmt.Sprintf("as @%s in workspace %s (%s)", auth.User, auth.Team, auth.TeamID)))
	out = append(out, scopeCheck(auth.Header))
	out = append(out, socketCheck(ctx, api))
	depts := make([]offboard.Department, 0, len(o.Channels))
	for d := range o.Channels {
		depts = append(depts, d)
	}
	slices.Sort(depts)
	for _, d := range depts {
		if o.Channels[d] == "" {
			continue
		}
		out = append(out, channelCheck(ctx, api, d, o.Channels[d], auth.Header))
	}
	return out
}

func scopeCheck(h http.Header) offboard.CheckResult {
	const name = "Slack: scopes"
	raw := h.Get("X-OAuth-Scopes")
	if raw == "" {
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn,
			Detail: "Slack did not list the token's scopes (no x-oauth-scopes header)"}
	}
	granted := map[string]bool{}
	for _, s := range strings.Split(raw, ",") {
		granted[strings.TrimSpace(s)] = true
	}
	var missing []string
	for _, s := range RequiredBotScopes {
		if !granted[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		it := "it"
		if len(missing) > 1 {
			it = "them"
		}
		return offboard.CheckFailed(name, "missing "+strings.Join(missing, ", "), strings.Replace(reinstall, "add it", "add "+it, 1))
	}
	return offboard.CheckOf(name, fmt.Sprintf("all %d bot scopes granted", len(RequiredBotScopes)))
}

func socketCheck(ctx context.Context, api *slack.Client) offboard.CheckResult {
	const name = "Slack: socket mode"
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return offboard.CheckFailed(name, "apps.connections.open: "+slackErrText(err),
			"set slack.app_token to an App-Level Token (xapp-…) with connections:write (Basic Information → App-Level Tokens), and turn on Socket Mode")
	}
	return offboard.CheckOf(name, "apps.connections.open handed out a connection URL")
}

func channelCheck(ctx context.Context, api *slack.Client, d offboard.Department, id string, h http.Header) offboard.CheckResult {
	name := fmt.Sprintf("Slack: channel of %s (%s)", d, id)
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	switch {
	case isSlackError(err, "channel_not_found"):
		return offboard.CheckFailed(name, "channel not found (or private and the bot was never invited)",
			fmt.Sprintf("set departments.%s.slack_channel to the channel's id (channel details → bottom: C…), and for a private channel /invite @offboard there", d))
	case isSlackError(err, "missing_scope"):
		return offboard.CheckFailed(name, "conversations.info: missing_scope", "add channels:read and groups:read under OAuth & Permissions → Bot Token Scopes and reinstall the app")
	case err != nil:
		return offboard.CheckFailed(name, "conversations.info: "+slackErrText(err), "")
	}
	label := "#" + ch.Name
	if ch.IsArchived {
		return offboard.CheckFailed(name, label+" is archived", fmt.Sprintf("unarchive it or point departments.%s.slack_channel at a live channel", d))
	}
	if ch.IsMember {
		return offboard.CheckOf(name, label+": exists, the bot is in it")
	}
	publicPost := strings.Contains(","+strings.ReplaceAll(h.Get("X-OAuth-Scopes"), " ", "")+",", ",chat:write.public,")
	if !ch.IsPrivate && publicPost {
		return offboard.CheckResult{Name: name, Status: offboard.CheckWarn,
			Detail: label + ": the bot is not in it; it can post (chat:write.public) but not update its cards there",
			Fix:    "/invite @offboard in " + label}
	}
	return offboard.CheckFailed(name, label+": the bot is not in it, so it cannot post there", "/invite @offboard in "+label)
}

// slackErrText is a Slack error code, never a body or a token.
func slackErrText(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Sprintf("HTTP %d", sc.Code)
	}
	return offboard.UpstreamText([]byte(err.Error()))
}
