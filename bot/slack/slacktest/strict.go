package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Slack's published behaviour the fake enforces, so that code which
// passes here also passes against the real service.

// TriggerLifetime is how long a trigger_id can open a view (Slack: 3 s).
const TriggerLifetime = 3 * time.Second

// Default chat.postMessage limit per channel: Slack allows about one
// message per second per channel, with short bursts.
const (
	defaultChatBurst = 20
	defaultChatEvery = time.Second
)

// bucket is a token bucket: one channel's posts, or one method's calls.
type bucket struct {
	tokens float64
	at     time.Time
}

// AddChannel declares a public channel that exists before the test (a
// department's, HR's, the one a slash command came from). member says
// whether the bot is in it. Slack refuses posts to ids it does not know
// (channel_not_found); with chat:write.public, which our manifest
// grants, the bot may post in public channels it is not in.
func (s *Server) AddChannel(id, name string, member bool) { s.addChannel(id, name, false, member) }

// AddPrivateChannel declares a private channel: Slack refuses the bot's
// posts there unless it was invited (not_in_channel).
func (s *Server) AddPrivateChannel(id, name string, member bool) {
	s.addChannel(id, name, true, member)
}

// SetChatWritePublic says whether the bot token has chat:write.public
// (default: yes, as slack-app-manifest.yaml asks).
func (s *Server) SetChatWritePublic(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noWritePublic = !on
}

func (s *Server) addChannel(id, name string, private, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := &Channel{ID: id, Name: name, Private: private}
	if member {
		ch.Members = []string{BotUser}
	}
	s.channels = append(s.channels, ch)
}

// RefuseInvite makes conversations.invite refuse a user with code, as
// Slack does for guests and others it cannot add: user_is_restricted,
// user_is_ultra_restricted, ura_max_channels, cant_invite, user_is_bot.
func (s *Server) RefuseInvite(userID, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[userID] = code
}

// RestrictPrivateChannels makes conversations.create answer
// restricted_action for private channels, as in a workspace where only
// admins may create them.
func (s *Server) RestrictPrivateChannels(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restrictPrivate = on
}

// SetLatency delays every Web API answer by d (a slow Slack).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetChatLimit sets chat.postMessage's per-channel limit: burst posts at
// once, then one per every. Past it the answer is HTTP 429 with
// Retry-After, as Slack's.
func (s *Server) SetChatLimit(burst int, every time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatBurst, s.chatEvery = burst, every
	for k := range s.buckets {
		if strings.HasPrefix(k, "chat:") {
			delete(s.buckets, k)
		}
	}
}

// IssueTrigger returns a fresh trigger id, as Slack hands out with an
// interaction, valid for TriggerLifetime.
func (s *Server) IssueTrigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("%d.%d.trigger", s.nextSeq(), time.Now().UnixNano())
	s.issued[id] = time.Now()
	return id
}

// retryAfter is Slack's Retry-After: whole seconds, at least one.
func retryAfter(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	return fmt.Sprint(max(secs, 1))
}

// recordTrigger remembers the trigger id and response_url of an
// envelope's payload (the caller holds s.mu), and points a missing
// response_url at the fake so tests can read what the app answered there.
func (s *Server) prepareEnvelope(id, typ string, raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	if t, _ := m["trigger_id"].(string); t != "" {
		if _, ok := s.issued[t]; !ok {
			s.issued[t] = time.Now()
		}
		s.envTrigger[id] = t
	}
	// A block_suggestion is answered in its ack and has no response_url.
	if t, _ := m["type"].(string); (typ == "slash_commands" || typ == "interactive") && t != "block_suggestion" {
		if u, _ := m["response_url"].(string); u == "" {
			m["response_url"] = s.srv.URL + "/response/" + id
			if b, err := json.Marshal(m); err == nil {
				return b
			}
		}
	}
	return raw
}

// serveResponse keeps what the app posted to a response_url the fake
// handed out.
func (s *Server) serveResponse(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var msg struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(body, &msg) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_json"})
		return
	}
	if e := validBlocks(msg.Blocks, maxMessageBlocks); e != "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": string(e)})
		return
	}
	s.mu.Lock()
	s.responses[id] = append(s.responses[id], json.RawMessage(body))
	s.notify()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// WaitAnswer waits for the app's answer to an envelope: the ack's
// payload when it carries one, else the first message posted to its
// response_url, else nil once a view was opened with its trigger id. It
// fails the test after d.
func (s *Server) WaitAnswer(t testing.TB, envelopeID string, d time.Duration) json.RawMessage {
	t.Helper()
	var out json.RawMessage
	if !s.waitFor(d, func() bool {
		if !s.ackSeen[envelopeID] {
			return false
		}
		if p := s.acks[envelopeID]; len(p) > 0 {
			out = p
			return true
		}
		if r := s.responses[envelopeID]; len(r) > 0 {
			out = r[0]
			return true
		}
		trig := s.envTrigger[envelopeID]
		for _, v := range s.views {
			if trig != "" && v.TriggerID == trig {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("slacktest: no answer to envelope %s within %v", envelopeID, d)
	}
	return out
}
