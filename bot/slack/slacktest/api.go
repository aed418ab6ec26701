package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is a Slack {"ok":false,"error":…} answer.
type apiError string

type handler func(s *Server, c *Call) (any, apiError)

var methods = map[string]handler{
	"auth.test":              (*Server).authTest,
	"chat.postMessage":       (*Server).chatPostMessage,
	"chat.update":            (*Server).chatUpdate,
	"chat.postEphemeral":     (*Server).chatPostEphemeral,
	"conversations.create":   (*Server).conversationsCreate,
	"conversations.invite":   (*Server).conversationsInvite,
	"conversations.setTopic": (*Server).conversationsSetTopic,
	"conversations.archive":  (*Server).conversationsArchive,
	"users.lookupByEmail":    (*Server).usersLookupByEmail,
	"users.info":             (*Server).usersInfo,
	"users.list":             (*Server).usersList,
	"views.open":             (*Server).viewsOpen,
	"views.update":           (*Server).viewsUpdate,
	"apps.connections.open":  (*Server).appsConnectionsOpen,
	"conversations.info":     (*Server).conversationsInfo,
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	c := Call{Method: method, At: time.Now()}

	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if len(body) > 0 {
			c.JSON = json.RawMessage(body)
		}
		c.Form = r.URL.Query()
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_form_data"})
			return
		}
		c.Form = r.Form
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.Token = tok
	} else {
		c.Token = c.Form.Get("token")
	}

	s.mu.Lock()
	delay := s.latency
	s.mu.Unlock()
	if delay > 0 && method != "apps.connections.open" {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notify()

	if q := s.fail[method]; len(q) > 0 {
		f := q[0]
		s.fail[method] = q[1:]
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		for k, v := range f.headers {
			h.Set(k, v)
		}
		body := f.body
		if f.echo && f.status == http.StatusOK {
			b, _ := json.Marshal(map[string]any{"ok": false, "error": "invalid_auth: token " + c.Token + " was rejected"})
			body = string(b)
		} else if f.echo {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			body = "Bad gateway; request " + c.Method + " with token " + c.Token + " and form " + c.Form.Encode()
		}
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, body)
		return
	}

	h, ok := methods[method]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	want := s.botToken
	if method == "apps.connections.open" {
		want = s.appToken
	}
	if c.Token == "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	if c.Token != want {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if s.limit(w, &c, time.Now()) {
		return
	}
	if method != "apps.connections.open" {
		w.Header().Set("X-OAuth-Scopes", s.grantedScopes())
	}
	resp, errCode := h(s, &c)
	if errCode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": string(errCode)})
		return
	}
	out := map[string]any{"ok": true}
	if m, ok := resp.(map[string]any); ok {
		for k, v := range m {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// param reads a parameter from the form or, for JSON calls, the body.
func (c *Call) param(name string) string {
	if v := c.Form.Get(name); v != "" {
		return v
	}
	if len(c.JSON) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(c.JSON, &m) != nil {
		return ""
	}
	switch v := m[name].(type) {
	case string:
		return v
	case bool:
		return fmt.Sprint(v)
	case float64:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func (s *Server) appsConnectionsOpen(*Call) (any, apiError) {
	u, _ := url.Parse(s.srv.URL)
	u.Scheme = "ws"
	u.Path = "/ws"
	return map[string]any{"url": u.String()}, ""
}

func (s *Server) authTest(*Call) (any, apiError) {
	return map[string]any{
		"url": "https://offboard-test.slack.com/", "team": "Offboard Test", "user": "offboard",
		"team_id": TeamID, "user_id": BotUser, "bot_id": BotID,
	}, ""
}

func (s *Server) channel(id string) *Channel {
	for _, c := range s.channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *Server) message(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

// channelByRef finds a channel by id, or by name ("#name" or "name"),
// as chat.postMessage accepts both.
func (s *Server) channelByRef(ref string) *Channel {
	if ch := s.channel(ref); ch != nil {
		return ch
	}
	name := strings.TrimPrefix(ref, "#")
	for _, c := range s.channels {
		if c.Name != "" && c.Name == name {
			return c
		}
	}
	return nil
}

// canonical is a channel reference's id when the fake knows it.
func (s *Server) canonical(ref string) string {
	if ch := s.channelByRef(ref); ch != nil {
		return ch.ID
	}
	return ref
}

func (s *Server) isUser(id string) bool {
	for _, u := range s.users {
		if u.ID == id {
			return true
		}
	}
	return false
}

// postable checks a channel for chat.postMessage as Slack does: a user
// id opens the bot's direct message with that member; a channel must
// exist (channel_not_found), not be archived (is_archived) and have the
// bot in it (not_in_channel) unless it is public and the token has
// chat:write.public.
func (s *Server) postable(ref string) apiError {
	e := s.memberOf(ref)
	if e == "not_in_channel" && !s.noWritePublic {
		if ch := s.channelByRef(ref); ch != nil && !ch.Private {
			return ""
		}
	}
	return e
}

// memberOf checks that the bot is in a channel (or ref is a member's id,
// for a direct message), as chat.update and chat.postEphemeral need.
func (s *Server) memberOf(ref string) apiError {
	if ref == "" {
		return "channel_not_found"
	}
	ch := s.channelByRef(ref)
	if ch == nil {
		if s.isUser(ref) {
			return ""
		}
		return "channel_not_found"
	}
	if ch.Archived {
		return "is_archived"
	}
	if !slices.Contains(ch.Members, BotUser) {
		return "not_in_channel"
	}
	return ""
}

func blocksParam(c *Call) json.RawMessage {
	b := c.param("blocks")
	if b == "" || b == "null" {
		return nil
	}
	return json.RawMessage(b)
}

func (s *Server) newTS() string {
	return fmt.Sprintf("%d.%06d", 1700000000+s.nextSeq(), s.seq)
}

func (s *Server) chatPostMessage(c *Call) (any, apiError) {
	ch := c.param("channel")
	if e := s.postable(ch); e != "" {
		return nil, e
	}
	ch = s.canonical(ch)
	if e := validBlocks(blocksParam(c), maxMessageBlocks); e != "" {
		return nil, e
	}
	m := &Message{TS: s.newTS(), Channel: ch, Text: c.param("text"), Blocks: blocksParam(c), Thread: c.param("thread_ts")}
	if m.Text == "" && m.Blocks == nil {
		return nil, "no_text"
	}
	s.messages = append(s.messages, m)
	return map[string]any{"channel": ch, "ts": m.TS, "message": map[string]any{
		"type": "message", "text": m.Text, "ts": m.TS, "thread_ts": m.Thread, "user": BotUser, "bot_id": BotID,
	}}, ""
}

func (s *Server) chatUpdate(c *Call) (any, apiError) {
	ch, ts := c.param("channel"), c.param("ts")
	if e := s.memberOf(ch); e != "" {
		return nil, e
	}
	ch = s.canonical(ch)
	m := s.message(ch, ts)
	if m == nil || m.User != "" {
		return nil, "message_not_found"
	}
	if e := validBlocks(blocksParam(c), maxMessageBlocks); e != "" {
		return nil, e
	}
	m.Text = c.param("text")
	m.Blocks = blocksParam(c)
	m.Updated++
	return map[string]any{"channel": ch, "ts": ts, "text": m.Text, "message": map[string]any{
		"type": "message", "text": m.Text, "ts": ts, "user": BotUser, "bot_id": BotID,
	}}, ""
}

func (s *Server) chatPostEphemeral(c *Call) (any, apiError) {
	ch, u := c.param("channel"), c.param("user")
	if e := s.memberOf(ch); e != "" {
		return nil, e
	}
	if u == "" || !s.isUser(u) {
		return nil, "user_not_found"
	}
	ch = s.canonical(ch)
	if e := validBlocks(blocksParam(c), maxMessageBlocks); e != "" {
		return nil, e
	}
	m := &Message{TS: s.newTS(), Channel: ch, Text: c.param("text"), Blocks: blocksParam(c), Thread: c.param("thread_ts"), User: u}
	if m.Text == "" && m.Blocks == nil {
		return nil, "no_text"
	}
	s.messages = append(s.messages, m)
	return map[string]any{"message_ts": m.TS}, ""
}

func validName(name string) apiError {
	switch {
	case name == "":
		return "invalid_name_required"
	case len(name) > 80:
		return "invalid_name_maxlength"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "invalid_name_specials"
		}
	}
	return ""
}

func channelJSON(ch *Channel) map[string]any {
	return map[string]any{
		"id": ch.ID, "name": ch.Name, "is_channel": true, "is_group": false, "is_private": ch.Private,
		"is_archived": ch.Archived, "is_member": true, "creator": BotUser, "created": 1700000000,
		"topic":       map[string]any{"value": ch.Topic, "creator": BotUser, "last_set": 0},
		"num_members": len(ch.Members),
	}
}

func (s *Server) conversationsCreate(c *Call) (any, apiError) {
	name := c.param("name")
	if e := validName(name); e != "" {
		return nil, e
	}
	private := c.param("is_private") == "true"
	if private && s.restrictPrivate {
		return nil, "restricted_action"
	}
	for _, ch := range s.channels {
		if ch.Name == name {
			return nil, "name_taken"
		}
	}
	ch := &Channel{ID: fmt.Sprintf("C%08d", s.nextSeq()), Name: name, Private: private, Members: []string{BotUser}}
	s.channels = append(s.channels, ch)
	return map[string]any{"channel": channelJSON(ch)}, ""
}

// conversationsInvite follows Slack's contract: up to 1000 users; the
// bot must be in the channel; without force one bad user fails the whole
// call and nobody is added; with force the valid users are added and the
// answer is still ok:false, with every refused user in errors[].
func (s *Server) conversationsInvite(c *Call) (any, apiError) {
	ch := s.channel(c.param("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	if ch.Archived {
		return nil, "is_archived"
	}
	if !slices.Contains(ch.Members, BotUser) {
		return nil, "not_in_channel"
	}
	users := splitList(c.param("users"))
	switch {
	case len(users) == 0:
		return nil, "no_user"
	case len(users) > 1000:
		return nil, "too_many_users"
	}
	force := c.param("force") == "true" || c.param("force") == "1"
	var failed []map[string]any
	var ok []string
	for _, u := range users {
		var code string
		switch {
		case u == BotUser:
			code = "cant_invite_self"
		case !s.isUser(u):
			code = "user_not_found"
		case s.refuse[u] != "":
			code = s.refuse[u]
		case slices.Contains(ch.Members, u):
			code = "already_in_channel"
		}
		if code != "" {
			failed = append(failed, map[string]any{"user": u, "ok": false, "error": code})
			continue
		}
		if !slices.Contains(ok, u) {
			ok = append(ok, u)
		}
	}
	if len(failed) > 0 && !force {
		return nil, apiError(failed[0]["error"].(string))
	}
	ch.Members = append(ch.Members, ok...)
	if len(failed) > 0 {
		return map[string]any{"ok": false, "error": failed[0]["error"], "errors": failed}, ""
	}
	return map[string]any{"channel": channelJSON(ch)}, ""
}

func (s *Server) conversationsSetTopic(c *Call) (any, apiError) {
	ch := s.channel(c.param("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	if ch.Archived {
		return nil, "is_archived"
	}
	topic := c.param("topic")
	if len([]rune(topic)) > 250 {
		return nil, "too_long"
	}
	ch.Topic = topic
	return map[string]any{"channel": channelJSON(ch)}, ""
}

func (s *Server) conversationsArchive(c *Call) (any, apiError) {
	ch := s.channel(c.param("channel"))
	if ch == nil {
		return nil, "channel_not_found"
	}
	if ch.Archived {
		return nil, "already_archived"
	}
	ch.Archived = true
	return nil, ""
}

func userJSON(u user) map[string]any {
	return map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.Name, "deleted": false,
		"profile": map[string]any{"email": u.Email, "real_name": u.Name, "display_name": u.Name},
	}
}

func (s *Server) usersLookupByEmail(c *Call) (any, apiError) {
	email := c.param("email")
	for _, u := range s.users {
		if email != "" && strings.EqualFold(u.Email, email) {
			return map[string]any{"user": userJSON(u)}, ""
		}
	}
	return nil, "users_not_found"
}

func (s *Server) usersInfo(c *Call) (any, apiError) {
	id := c.param("user")
	for _, u := range s.users {
		if u.ID == id {
			return map[string]any{"user": userJSON(u)}, ""
		}
	}
	return nil, "user_not_found"
}

// usersList pages through the members, Slackbot first as in a real
// workspace (it has no email). The cursor is opaque to callers; a limit
// above 1000 or below 1 means 1000 here, a bad cursor is invalid_cursor.
func (s *Server) usersList(c *Call) (any, apiError) {
	all := append([]map[string]any{{"id": "USLACKBOT", "team_id": TeamID, "name": "slackbot", "real_name": "Slackbot",
		"deleted": false, "is_bot": false, "profile": map[string]any{"real_name": "Slackbot", "display_name": "Slackbot"}}},
		make([]map[string]any, 0, len(s.users))...)
	for _, u := range s.users {
		all = append(all, userJSON(u))
	}
	from := 0
	if cur := c.param("cursor"); cur != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cur, "dXNlcjo"))
		if err != nil || !strings.HasPrefix(cur, "dXNlcjo") || n < 0 || n > len(all) {
			return nil, "invalid_cursor"
		}
		from = n
	}
	limit, _ := strconv.Atoi(c.param("limit"))
	if limit < 1 || limit > 1000 {
		limit = 1000
	}
	to := min(from+limit, len(all))
	next := ""
	if to < len(all) {
		next = "dXNlcjo" + strconv.Itoa(to)
	}
	return map[string]any{"members": all[from:to], "cache_ts": time.Now().Unix(),
		"response_metadata": map[string]any{"next_cursor": next}}, ""
}

func viewJSON(v *View) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(v.View, &m)
	if m == nil {
		m = map[string]any{}
	}
	m["id"] = v.ID
	m["hash"] = v.Hash
	m["team_id"] = TeamID
	m["app_id"] = APIAppID
	m["bot_id"] = BotID
	return map[string]any{"view": m}
}

func (s *Server) viewsOpen(c *Call) (any, apiError) {
	var req struct {
		TriggerID string          `json:"trigger_id"`
		View      json.RawMessage `json:"view"`
	}
	if json.Unmarshal(c.JSON, &req) != nil || len(req.View) == 0 {
		return nil, "invalid_arguments"
	}
	issued, known := s.issued[req.TriggerID]
	switch {
	case req.TriggerID == "" || !known:
		return nil, "invalid_trigger_id"
	case s.triggers[req.TriggerID]:
		return nil, "exchanged_trigger_id"
	case time.Since(issued) > TriggerLifetime:
		return nil, "expired_trigger_id"
	}
	if e := validView(req.View); e != "" {
		return nil, e
	}
	s.triggers[req.TriggerID] = true
	n := s.nextSeq()
	v := &View{ID: fmt.Sprintf("V%d", len(s.views)+1), TriggerID: req.TriggerID, View: req.View, Hash: fmt.Sprintf("hash-%d", n)}
	s.views = append(s.views, v)
	return viewJSON(v), ""
}

func (s *Server) viewsUpdate(c *Call) (any, apiError) {
	var req struct {
		View       json.RawMessage `json:"view"`
		ExternalID string          `json:"external_id"`
		Hash       string          `json:"hash"`
		ViewID     string          `json:"view_id"`
	}
	if json.Unmarshal(c.JSON, &req) != nil || len(req.View) == 0 {
		return nil, "invalid_arguments"
	}
	var v *View
	for _, x := range s.views {
		if x.ID == req.ViewID {
			v = x
		}
	}
	if v == nil {
		return nil, "not_found"
	}
	if e := validView(req.View); e != "" {
		return nil, e
	}
	if req.Hash != "" && req.Hash != v.Hash {
		return nil, "hash_conflict"
	}
	v.View = req.View
	v.Updated++
	v.Hash = fmt.Sprintf("hash-%d", s.nextSeq())
	return viewJSON(v), ""
}
