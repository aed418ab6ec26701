package teamstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fake token endpoint accepts, and the token it issues.
const (
	AppID       = "00000000-0000-0000-0000-00000000b075"
	AppPassword = "fake-app-secret"
	TenantID    = "11111111-2222-3333-4444-555555555555"
	BotToken    = "fake-bot-token"
	ChannelID   = "19:offboarding@thread.tacv2"
)

// Activity is one activity the bot sent or updated, as the connector got
// it.
type Activity struct {
	ID             string
	ConversationID string
	ReplyToID      string
	Text           string
	// Attachments' contents (Adaptive Cards), as JSON objects.
	Cards []map[string]any
	// Mentioned are the ids of mention entities.
	Mentioned []string
	// Updates counts PUTs of this activity.
	Updates int
	Raw     map[string]any
}

// Conversation is one conversation the bot created.
type Conversation struct {
	ID        string
	ChannelID string // channelData.channel.id, for a channel thread
	Members   []string
	TenantID  string
	IsGroup   bool
	Bot       string // bot.id
}

// Member is a person the members API knows. Email is their mail address
// and UPN their sign-in name (Email when empty): in many tenants the two
// differ (rick.stevens@ vs rstevens@).
type Member struct {
	ID, AADObjectID, Email, UPN, Name string
}

func (m Member) upn() string {
	if m.UPN != "" {
		return m.UPN
	}
	return m.Email
}

// account is the member as the Bot Connector describes a Teams user
// (TeamsChannelAccount, in the shape Microsoft documents for
// GET /v3/conversations/{id}/members/{userId} and pagedmembers): the AAD
// object id is "objectId" (activities' "from" call it "aadObjectId"),
// and the display name comes as givenName and surname.
func (m Member) account() map[string]any {
	given, surname, _ := strings.Cut(m.Name, " ")
	return map[string]any{"id": m.ID, "objectId": m.AADObjectID, "givenName": given, "surname": surname,
		"email": m.Email, "userPrincipalName": m.upn(), "tenantId": TenantID, "userRole": "user"}
}

// MessageLimit is the most an activity may weigh, counted as Teams counts
// it: the whole JSON payload encoded as UTF-16. Microsoft has published
// 28 KB (Teams' limits for a post), then 40 KB and 100 KB (bot messages);
// the fake holds bots to the strictest.
const MessageLimit = 28 << 10

// utf16Size is the size of s encoded as UTF-16.
func utf16Size(b []byte) int {
	n := 0
	for _, r := range string(b) {
		if r >= 0x10000 {
			n += 4
		} else {
			n += 2
		}
	}
	return n
}

// Login is the tenant token endpoint.
type Login struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []url.Values
	password string // accepted client secret (default AppPassword)
	echo     int    // answer this many requests with an error echoing them
}

// SetPassword makes the endpoint accept password as the client secret.
func (l *Login) SetPassword(password string) {
	l.mu.Lock()
	l.password = password
	l.mu.Unlock()
}

// EchoFailures answers the next n token requests with 401 and an
// error_description that quotes the request body, as token endpoints
// and proxies do in some failures: the client secret comes back in it,
// URL-encoded.
func (l *Login) EchoFailures(n int) {
	l.mu.Lock()
	l.echo = n
	l.mu.Unlock()
}

// NewLogin starts the token endpoint for TenantID.
func NewLogin(t testing.TB) *Login {
	l := &Login{password: AppPassword}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		l.mu.Lock()
		l.requests = append(l.requests, form)
		password, echo := l.password, l.echo > 0
		if echo {
			l.echo--
		}
		l.mu.Unlock()
		if echo {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"error": "invalid_client",
				"error_description": "AADSTS7000215: Invalid client secret provided. Request body: " + string(raw)})
			return
		}
		// Entra ID tells a wrong secret (AADSTS7000215) from an app the
		// tenant does not know (AADSTS700016).
		if r.PathValue("tenant") == TenantID && form.Get("client_id") == AppID && form.Get("client_secret") != password {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
			return
		}
		if r.PathValue("tenant") != TenantID || form.Get("client_id") != AppID ||
			form.Get("client_secret") != password || form.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"error": "invalid_client", "error_description": "AADSTS700016: not found in tenant"})
			return
		}
		writeJSON(w, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": BotToken})
	})
	l.srv = httptest.NewServer(mux)
	t.Cleanup(l.srv.Close)
	return l
}

// URL is the login base (teams login URL option).
func (l *Login) URL() string { return l.srv.URL }

// Requests counts token requests.
func (l *Login) Requests() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.requests)
}

// Connector is the Bot Connector service.
type Connector struct {
	srv *httptest.Server

	mu           sync.Mutex
	seq          int
	convs        []Conversation
	activities   []*Activity
	members      map[string]Member // by id, AAD object id and UPN (lower case)
	throttle     int               // answer this many calls with 429
	refused      []Refusal
	notInstalled map[string]bool // channel ids where the app is not installed (refuse.go)
	changed      chan struct{}
}

// Refusal is a call the connector refused as the real service would.
type Refusal struct {
	Method, Path string
	Status       int
	Code         string
}

// NewConnector starts the connector service.
func NewConnector(t testing.TB) *Connector {
	c := &Connector{members: map[string]Member{}, changed: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/conversations", c.auth(c.refuseChannels(c.create)))
	mux.HandleFunc("POST /v3/conversations/{conv}/activities", c.auth(c.send))
	mux.HandleFunc("POST /v3/conversations/{conv}/activities/{id}", c.auth(c.send))
	mux.HandleFunc("PUT /v3/conversations/{conv}/activities/{id}", c.auth(c.update))
	mux.HandleFunc("GET /v3/conversations/{conv}/members/{user}", c.auth(c.member))
	mux.HandleFunc("GET /v3/conversations/{conv}/pagedmembers", c.auth(c.pagedMembers))
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

// URL is the service URL activities carry.
func (c *Connector) URL() string { return c.srv.URL + "/" }

// AddMember makes a person known to the members API. GET
// .../members/{userId} finds them by Teams id, AAD object id or user
// principal name, as documented; not by email when it differs from the
// UPN.
func (c *Connector) AddMember(m Member) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members[m.ID] = m
	c.members[m.AADObjectID] = m
	c.members[strings.ToLower(m.upn())] = m
}

// Refusals returns the calls refused so far (bad arguments, oversized
// messages).
func (c *Connector) Refusals() []Refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Refusal(nil), c.refused...)
}

// refuse answers with the Bot Connector's error shape and records it.
func (c *Connector) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	c.mu.Lock()
	c.refused = append(c.refused, Refusal{Method: r.Method, Path: r.URL.Path, Status: status, Code: code})
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeJSON(w, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// Throttle answers the next n calls with 429 and Retry-After: 7.
func (c *Connector) Throttle(n int) {
	c.mu.Lock()
	c.throttle = n
	c.mu.Unlock()
}

func (c *Connector) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+BotToken {
			http.Error(w, `{"error":{"code":"Unauthorized"}}`, http.StatusUnauthorized)
			return
		}
		c.mu.Lock()
		throttled := c.throttle > 0
		if throttled {
			c.throttle--
		}
		c.mu.Unlock()
		if throttled {
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"error":{"code":"TooManyRequests"}}`, http.StatusTooManyRequests)
			return
		}
		h(w, r)
	}
}

func (c *Connector) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func readBody(r *http.Request) (map[string]any, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// tooBig refuses an activity over MessageLimit with 413
// RequestEntityTooLarge and the error code MessageSizeTooBig, as Teams
// does.
func (c *Connector) tooBig(w http.ResponseWriter, r *http.Request, activity any) bool {
	b, _ := json.Marshal(activity)
	if utf16Size(b) <= MessageLimit {
		return false
	}
	c.refuse(w, r, http.StatusRequestEntityTooLarge, "MessageSizeTooBig", "Message size too large.")
	return true
}

func (c *Connector) create(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	conv := Conversation{IsGroup: body["isGroup"] == true}
	conv.TenantID, _ = body["tenantId"].(string)
	channelTenant := ""
	if cd, ok := body["channelData"].(map[string]any); ok {
		if ch, ok := cd["channel"].(map[string]any); ok {
			conv.ChannelID, _ = ch["id"].(string)
		}
		if tn, ok := cd["tenant"].(map[string]any); ok {
			channelTenant, _ = tn["id"].(string)
		}
	}
	if b, ok := body["bot"].(map[string]any); ok {
		conv.Bot, _ = b["id"].(string)
	}
	if ms, ok := body["members"].([]any); ok {
		for _, m := range ms {
			if mm, ok := m.(map[string]any); ok {
				id, _ := mm["id"].(string)
				conv.Members = append(conv.Members, id)
			}
		}
	}
	// A one-to-one chat needs the bot, one member and the tenant
	// (channelData.tenant.id), as Microsoft documents the call; a channel
	// thread is named by channelData.channel.
	if conv.ChannelID == "" {
		switch {
		case conv.Bot != "28:"+AppID && conv.Bot != AppID:
			c.refuse(w, r, http.StatusBadRequest, "BadArgument", "Invalid bot id in conversation parameters")
			return
		case len(conv.Members) != 1 || conv.Members[0] == "":
			c.refuse(w, r, http.StatusBadRequest, "BadArgument", "Incorrect conversation creation parameters")
			return
		case channelTenant != TenantID && conv.TenantID != TenantID:
			c.refuse(w, r, http.StatusBadRequest, "BadSyntax", "Could not parse tenant id")
			return
		}
	}
	if act, ok := body["activity"]; ok && c.tooBig(w, r, act) {
		return
	}
	c.mu.Lock()
	c.seq++
	actID := fmt.Sprintf("%d", 1700000000000+c.seq)
	if conv.ChannelID != "" {
		conv.ID = conv.ChannelID + ";messageid=" + actID
	} else {
		conv.ID = fmt.Sprintf("a:personal-%d", c.seq)
	}
	c.convs = append(c.convs, conv)
	resp := map[string]any{"id": conv.ID}
	if act, ok := body["activity"].(map[string]any); ok {
		c.activities = append(c.activities, parseActivity(act, actID, conv.ID))
		resp["activityId"] = actID
	}
	c.mu.Unlock()
	c.notify()
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, resp)
}

func (c *Connector) send(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.tooBig(w, r, body) {
		return
	}
	c.mu.Lock()
	c.seq++
	id := fmt.Sprintf("%d", 1700000000000+c.seq)
	a := parseActivity(body, id, r.PathValue("conv"))
	if a.ReplyToID == "" {
		a.ReplyToID = r.PathValue("id")
	}
	c.activities = append(c.activities, a)
	c.mu.Unlock()
	c.notify()
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, map[string]any{"id": id})
}

func (c *Connector) update(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.tooBig(w, r, body) {
		return
	}
	conv, id := r.PathValue("conv"), r.PathValue("id")
	c.mu.Lock()
	defer c.notify()
	defer c.mu.Unlock()
	for i, a := range c.activities {
		if a.ID == id && a.ConversationID == conv {
			n := parseActivity(body, id, conv)
			n.ReplyToID, n.Updates = a.ReplyToID, a.Updates+1
			c.activities[i] = n
			writeJSON(w, map[string]any{"id": id})
			return
		}
	}
	http.Error(w, `{"error":{"code":"ActivityNotFound"}}`, http.StatusNotFound)
}

func (c *Connector) member(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	m, ok := c.members[r.PathValue("user")]
	if !ok {
		m, ok = c.members[strings.ToLower(r.PathValue("user"))]
	}
	c.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":{"code":"MemberNotFoundInConversation","message":"The member could not be found in the conversation."}}`, http.StatusNotFound)
		return
	}
	writeJSON(w, m.account())
}

// pagedMembers lists the team's members a page at a time, as
// GET /v3/conversations/{id}/pagedmembers does: pageSize is held between
// 50 and 500 (default 200); continuationToken, absent on the last page,
// is opaque, and a token it did not give is refused with 400.
func (c *Connector) pagedMembers(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	seen := map[string]bool{}
	var all []Member
	for _, m := range c.members {
		if !seen[m.ID] {
			seen[m.ID] = true
			all = append(all, m)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(all, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	size, err := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if err != nil || size <= 0 {
		size = 200
	}
	size = min(max(size, 50), 500)
	from := 0
	if tok := r.URL.Query().Get("continuationToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || !strings.HasPrefix(tok, "page-") || n <= 0 || n > len(all) {
			http.Error(w, `{"error":{"code":"BadArgument","message":"invalid continuation token"}}`, http.StatusBadRequest)
			return
		}
		from = n
	}
	to := min(from+size, len(all))
	members := make([]map[string]any, 0, to-from)
	for _, m := range all[from:to] {
		members = append(members, m.account())
	}
	out := map[string]any{"members": members}
	if to < len(all) {
		out["continuationToken"] = "page-" + strconv.Itoa(to)
	}
	writeJSON(w, out)
}

func parseActivity(body map[string]any, id, conv string) *Activity {
	a := &Activity{ID: id, ConversationID: conv, Raw: body}
	a.Text, _ = body["text"].(string)
	a.ReplyToID, _ = body["replyToId"].(string)
	if atts, ok := body["attachments"].([]any); ok {
		for _, x := range atts {
			if att, ok := x.(map[string]any); ok {
				if card, ok := att["content"].(map[string]any); ok {
					a.Cards = append(a.Cards, card)
				}
			}
		}
	}
	if ents, ok := body["entities"].([]any); ok {
		for _, x := range ents {
			if e, ok := x.(map[string]any); ok && e["type"] == "mention" {
				if m, ok := e["mentioned"].(map[string]any); ok {
					id, _ := m["id"].(string)
					a.Mentioned = append(a.Mentioned, id)
				}
			}
		}
	}
	return a
}

// Conversations returns the conversations created so far.
func (c *Connector) Conversations() []Conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Conversation(nil), c.convs...)
}

// Activities returns copies of every activity sent to a conversation
// ("" for all), oldest first.
func (c *Connector) Activities(conv string) []Activity {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Activity
	for _, a := range c.activities {
		if conv == "" || a.ConversationID == conv {
			out = append(out, *a)
		}
	}
	return out
}

// WaitFor polls until an activity matches, or fails the test after 10 s.
func (c *Connector) WaitFor(t testing.TB, what string, match func(Activity) bool) Activity {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, a := range c.Activities("") {
			if match(a) {
				return a
			}
		}
		select {
		case <-c.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("teamstest: no activity %s; got:\n%s", what, c.dump())
			return Activity{}
		}
	}
}

func (c *Connector) dump() string {
	var b strings.Builder
	for _, a := range c.Activities("") {
		cardJSON, _ := json.Marshal(a.Cards)
		fmt.Fprintf(&b, "  %s in %s (reply to %s, %d updates): %q %.300s\n", a.ID, a.ConversationID, a.ReplyToID, a.Updates, a.Text, cardJSON)
	}
	return b.String()
}

// CardText flattens every string in an activity's cards, to search.
func (a Activity) CardText() string {
	b, _ := json.Marshal(a.Cards)
	return string(b)
}
