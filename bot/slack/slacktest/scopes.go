package slacktest

import (
	"slices"
	"strings"
)

// DefaultScopes are the bot token scopes slack-app-manifest.yaml asks
// for; the fake grants them unless a test says otherwise (SetScopes).
var DefaultScopes = []string{
	"commands", "chat:write", "chat:write.public", "groups:write", "groups:write.invites",
	"users:read", "users:read.email", "app_mentions:read", "im:history", "im:write",
	"channels:read", "groups:read",
}

// SetScopes replaces the bot token's granted scopes. Slack lists them in
// the x-oauth-scopes header of every Web API answer, and refuses a
// method whose scope is missing with missing_scope.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
	s.noWritePublic = !slices.Contains(scopes, "chat:write.public")
}

// grantedScopes is the x-oauth-scopes header value; the caller holds s.mu.
func (s *Server) grantedScopes() string {
	granted := s.scopes
	if granted == nil {
		granted = DefaultScopes
	}
	granted = slices.DeleteFunc(slices.Clone(granted), func(sc string) bool {
		return sc == "chat:write.public" && s.noWritePublic
	})
	return strings.Join(granted, ",")
}

// hasScope says whether the bot token holds scope; the caller holds s.mu.
func (s *Server) hasScope(scope string) bool {
	return slices.Contains(strings.Split(s.grantedScopes(), ","), scope)
}

// conversationsInfo answers as Slack does: the channel must exist
// (channel_not_found) and the token needs channels:read for a public
// channel, groups:read for a private one (missing_scope). is_member says
// whether the bot is in it.
func (s *Server) conversationsInfo(c *Call) (any, apiError) {
	ch := s.channel(c.param("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	need := "channels:read"
	if ch.Private {
		need = "groups:read"
	}
	if !s.hasScope(need) {
		return nil, "missing_scope"
	}
	out := channelJSON(ch)
	out["is_member"] = slices.Contains(ch.Members, BotUser)
	return map[string]any{"channel": out}, ""
}
