package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one Socket Mode connection.
type wsConn struct {
	ws      *websocket.Conn
	writeMu sync.Mutex // gorilla allows one concurrent writer (WriteControl excepted)
}

func (c *wsConn) write(msg []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.done:
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	default:
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws}

	s.mu.Lock()
	select {
	case <-s.done: // closed while upgrading
		s.mu.Unlock()
		_ = ws.Close()
		return
	default:
	}
	s.wg.Add(2)
	s.conns = append(s.conns, c)
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.conns),
		"debug_info":      map[string]any{"host": "slacktest", "approximate_connection_time": 3600},
		"connection_info": map[string]any{"app_id": APIAppID},
	})
	// Hello and the pending envelopes are written under s.mu so no
	// envelope sent meanwhile can overtake them.
	if c.write(hello) == nil {
		for len(s.pending) > 0 {
			if c.write(s.pending[0]) != nil {
				break
			}
			s.pending = s.pending[1:]
		}
	}
	s.active = c
	s.notify()
	s.mu.Unlock()

	stop := make(chan struct{})
	go func() { // pinger
		defer s.wg.Done()
		t := time.NewTicker(PingInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-s.done:
				return
			case <-t.C:
				if err := ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)); err != nil {
					return
				}
			}
		}
	}()

	// Reader: acks. Runs in the handler goroutine (hijacked, so
	// httptest.Server.Close does not wait for it; s.wg does).
	defer s.wg.Done()
	defer close(stop)
	defer ws.Close()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			s.mu.Lock()
			if s.active == c {
				s.active = nil
			}
			s.notify()
			s.mu.Unlock()
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		s.ackSeen[ack.EnvelopeID] = true
		s.ackAt[ack.EnvelopeID] = time.Now()
		if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
			s.acks[ack.EnvelopeID] = ack.Payload
		}
		s.notify()
		s.mu.Unlock()
	}
}

// Connections says how many websocket connections were opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// WaitConnected waits until a Socket Mode client is connected (the n-th
// connection, counting from 1, has been opened and is live).
func (s *Server) WaitConnected(t testing.TB, n int, d time.Duration) {
	t.Helper()
	if !s.waitFor(d, func() bool { return len(s.conns) >= n && s.active != nil }) {
		t.Fatalf("slacktest: %d connections (active=%v) after %v, want %d", len(s.conns), s.active != nil, d, n)
	}
}

// Disconnect asks the connected client to reconnect, as Slack does
// before it rotates a connection.
func (s *Server) Disconnect() {
	msg, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     "refresh_requested",
		"debug_info": map[string]any{"host": "slacktest"},
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active != nil {
		_ = s.active.write(msg)
		s.active = nil // envelopes wait for the next connection
	}
	s.notify()
}

// send wraps payload in an envelope and sends it to the live connection,
// or queues it for the next one.
func (s *Server) send(typ string, payload any, acceptsResponse bool) string {
	// Marshal structs through a pointer: slack.InteractionCallback's
	// MarshalJSON has a pointer receiver, and without it the state is lost.
	if v := reflect.ValueOf(payload); v.Kind() == reflect.Struct {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		payload = p.Interface()
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("slacktest: marshal %s payload: %v", typ, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envelopeSeq++
	id := fmt.Sprintf("env-%d", s.envelopeSeq)
	raw = s.prepareEnvelope(id, typ, raw)
	env := map[string]any{
		"type":                     typ,
		"envelope_id":              id,
		"payload":                  json.RawMessage(raw),
		"accepts_response_payload": acceptsResponse,
		"retry_attempt":            0,
		"retry_reason":             "",
	}
	s.sent[id] = env
	s.sentAt[id] = time.Now()
	s.deliver(env)
	return id
}

// deliver writes an envelope to the live connection or queues it. The
// caller holds s.mu.
func (s *Server) deliver(env map[string]any) {
	msg, _ := json.Marshal(env)
	if s.active == nil || s.active.write(msg) != nil {
		s.pending = append(s.pending, msg)
	}
}

// Redeliver sends an envelope again with the same id and retry_attempt
// 1, as Slack does when it did not see an ack in time.
func (s *Server) Redeliver(envelopeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env, ok := s.sent[envelopeID]
	if !ok {
		panic("slacktest: redeliver of unknown envelope " + envelopeID)
	}
	again := map[string]any{}
	for k, v := range env {
		again[k] = v
	}
	again["retry_attempt"] = 1
	again["retry_reason"] = "timeout"
	s.deliver(again)
}

// SendSlashCommand sends a "slash_commands" envelope. cmd is usually a
// slack.SlashCommand (or a map with its JSON fields). Returns the
// envelope id.
func (s *Server) SendSlashCommand(cmd any) string {
	return s.send("slash_commands", cmd, true)
}

// SendInteraction sends an "interactive" envelope (block_actions,
// view_submission, …). Pass a slack.InteractionCallback (value or
// pointer) or a map.
func (s *Server) SendInteraction(cb any) string {
	return s.send("interactive", cb, true)
}

// SendBlockSuggestion sends what Slack sends as someone types into an
// external_select of an open modal: an "interactive" envelope with a
// block_suggestion payload naming the user, the input (block_id and
// action_id), what was typed (value) and the view. Its ack carries the
// options (WaitAck); Slack shows at most 100 of them.
func (s *Server) SendBlockSuggestion(userID, blockID, actionID, typed, callbackID, privateMetadata string) string {
	s.mu.Lock()
	n := s.nextSeq()
	s.mu.Unlock()
	payload := map[string]any{
		"type":       "block_suggestion",
		"user":       map[string]any{"id": userID, "team_id": TeamID},
		"team":       map[string]any{"id": TeamID},
		"api_app_id": APIAppID,
		"token":      "",
		"container":  map[string]any{"type": "view", "view_id": fmt.Sprintf("V%08d", n)},
		"action_id":  actionID,
		"block_id":   blockID,
		"value":      typed,
		"view": map[string]any{"id": fmt.Sprintf("V%08d", n), "type": "modal", "callback_id": callbackID,
			"private_metadata": privateMetadata, "team_id": TeamID, "app_id": APIAppID},
	}
	return s.send("interactive", payload, true)
}

// SendEvent sends an "events_api" envelope whose inner event is inner
// (e.g. slackevents.AppMentionEvent or a map) with its "type" set to
// eventType ("app_mention", "message").
func (s *Server) SendEvent(inner any, eventType string) string {
	raw, err := json.Marshal(inner)
	if err != nil {
		panic(fmt.Sprintf("slacktest: marshal event: %v", err))
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		panic(fmt.Sprintf("slacktest: event must marshal to a JSON object: %v", err))
	}
	ev["type"] = eventType
	s.mu.Lock()
	n := s.nextSeq()
	s.mu.Unlock()
	outer := map[string]any{
		"token":          "",
		"team_id":        TeamID,
		"api_app_id":     APIAppID,
		"type":           "event_callback",
		"event_id":       fmt.Sprintf("Ev%08d", n),
		"event_time":     time.Now().Unix(),
		"event":          ev,
		"authorizations": []map[string]any{{"team_id": TeamID, "user_id": BotUser, "is_bot": true}},
	}
	return s.send("events_api", outer, false)
}

// WaitAck waits for the ack of envelopeID and returns its payload (nil
// if the ack carried none). It fails the test if no ack comes within d.
func (s *Server) WaitAck(t testing.TB, envelopeID string, d time.Duration) json.RawMessage {
	t.Helper()
	var payload json.RawMessage
	if !s.waitFor(d, func() bool {
		payload = s.acks[envelopeID]
		return s.ackSeen[envelopeID]
	}) {
		t.Fatalf("slacktest: no ack for envelope %s within %v", envelopeID, d)
	}
	return payload
}

// AckLatency is the time from sending an envelope to reading its ack (0
// when not acked yet): what Slack's 3-second rule measures.
// AckTimes returns when the envelope was sent and when it was acked
// (zero when it was not).
func (s *Server) AckTimes(envelopeID string) (sent, acked time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentAt[envelopeID], s.ackAt[envelopeID]
}

func (s *Server) AckLatency(envelopeID string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.ackAt[envelopeID]
	if !ok {
		return 0
	}
	return at.Sub(s.sentAt[envelopeID])
}
