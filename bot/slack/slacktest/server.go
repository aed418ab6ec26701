// Package slacktest is a fake Slack for tests: a real HTTP server that
// speaks the Web API (the methods offboard uses) and the Socket Mode
// websocket, so the real slack-go client runs against it.
//
// It records every Web API call, keeps the messages, channels and views
// it was asked to create, and can push slash commands, interactions and
// Events API events to a connected Socket Mode client and wait for their
// acks. It imports only the standard library and gorilla/websocket (which
// slack-go itself uses); it never imports slack-go outside its tests.
package slacktest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tokens the fake accepts.
const (
	AppToken = "xapp-1-test" // app-level token, for apps.connections.open
	BotToken = "xoxb-test"   // bot token, for every other method
)

// Ids the fake uses for itself.
const (
	TeamID   = "T0TEST"
	BotUser  = "U0BOT"
	BotID    = "B0BOT"
	APIAppID = "A0TEST"
)

// PingInterval is how often the fake sends WebSocket PING control frames,
// keeping slack-go's dead-man timer satisfied.
const PingInterval = 100 * time.Millisecond

// Call is one recorded Web API request.
type Call struct {
	Method string
	Form   url.Values      // form-encoded parameters (and query), if any
	JSON   json.RawMessage // JSON body, if any
	Token  string          // from the Authorization header or the token field
	At     time.Time
}

// Message is a message as the fake stores it.
type Message struct {
	TS      string
	Channel string
	Text    string
	Blocks  json.RawMessage
	Thread  string // thread_ts, if a reply in a thread
	User    string // recipient of an ephemeral message
	Updated int    // how many times chat.update changed it
}

// Channel is a conversation created through conversations.create.
type Channel struct {
	ID       string
	Name     string
	Private  bool
	Topic    string
	Members  []string
	Archived bool
}

// View is a modal opened through views.open (and maybe updated).
type View struct {
	ID        string
	TriggerID string
	View      json.RawMessage // the view as last sent by the client
	Hash      string
	Updated   int
}

type user struct {
	ID, Name, Email string
}

type failure struct {
	status  int
	body    string
	headers map[string]string
	echo    bool // quote the request's token in the answer
}

// Server is the fake Slack. Create it with New.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	wg   sync.WaitGroup // websocket goroutines
	done chan struct{}

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every state change
	seq         int
	calls       []Call
	messages    []*Message
	channels    []*Channel
	users       []user
	views       []*View
	triggers    map[string]bool // used trigger ids
	fail        map[string][]failure
	conns       []*wsConn                 // every connection ever opened
	active      *wsConn                   // the one envelopes go to
	pending     [][]byte                  // envelopes waiting for a connection
	sent        map[string]map[string]any // envelopes by id, for Redeliver
	acks        map[string]json.RawMessage
	ackSeen     map[string]bool
	sentAt      map[string]time.Time // envelope id → when it was sent
	ackAt       map[string]time.Time // envelope id → when its ack came
	envelopeSeq int
	appToken    string // accepted app-level token (default AppToken)
	botToken    string // accepted bot token (default BotToken)

	// Slack's contract, enforced (strict.go).
	refuse          map[string]string // user id → conversations.invite error
	restrictPrivate bool              // conversations.create refuses private channels
	noWritePublic   bool              // the token lacks chat:write.public
	scopes          []string          // granted bot scopes; nil: DefaultScopes
	latency         time.Duration     // added to every Web API answer
	chatBurst       int
	chatEvery       time.Duration
	buckets         map[string]*bucket           // "chat:" channel or "method:" name → its bucket
	tiers           map[string]tierLimit         // method → workspace-wide limit
	retryAt         map[string]time.Time         // bucket key → the end of the last Retry-After given
	limited, early  int                          // 429s answered; requests sent before their Retry-After
	issued          map[string]time.Time         // trigger id → when Slack handed it out
	envTrigger      map[string]string            // envelope id → its trigger id
	responses       map[string][]json.RawMessage // envelope id → posts to its response_url
}

// New starts a fake Slack; it is closed with t.Cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		triggers: map[string]bool{},
		sent:     map[string]map[string]any{},
		sentAt:   map[string]time.Time{},
		ackAt:    map[string]time.Time{},
		fail:     map[string][]failure{},
		acks:     map[string]json.RawMessage{},
		ackSeen:  map[string]bool{},
		appToken: AppToken,
		botToken: BotToken,

		refuse:     map[string]string{},
		chatBurst:  defaultChatBurst,
		chatEvery:  defaultChatEvery,
		buckets:    map[string]*bucket{},
		tiers:      defaultTiers(),
		retryAt:    map[string]time.Time{},
		issued:     map[string]time.Time{},
		envTrigger: map[string]string{},
		responses:  map[string][]json.RawMessage{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/response/", s.serveResponse)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	close(s.done)
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.active = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
	s.wg.Wait()
	s.srv.Close()
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Web API base, ending in "/", for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// AddUser adds a workspace member for users.lookupByEmail and users.info.
func (s *Server) AddUser(id, name, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = slices.DeleteFunc(s.users, func(u user) bool { return u.ID == id })
	s.users = append(s.users, user{ID: id, Name: name, Email: email})
}

// FailNext makes the next call of method answer with status, body and
// headers instead of its normal response, e.g.
// FailNext("chat.postMessage", 429, "", map[string]string{"Retry-After": "1"}).
// Several calls queue up.
func (s *Server) FailNext(method string, status int, body string, headers map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], failure{status: status, body: body, headers: headers})
}

// EchoNext makes the next call of method fail with an answer that quotes
// the token it was sent with: with status 200 as {"ok":false} whose
// error carries it, otherwise as a plain-text error page.
func (s *Server) EchoNext(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], failure{status: status, echo: true})
}

// SetTokens makes the fake accept app and bot as its tokens instead of
// AppToken and BotToken.
func (s *Server) SetTokens(app, bot string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appToken, s.botToken = app, bot
}

// Calls returns the recorded calls of method ("" for all), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages posted to channel ("" for all), oldest
// first, as they are now (after updates).
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Channels returns the created channels, oldest first.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, len(s.channels))
	for i, c := range s.channels {
		out[i] = *c
		out[i].Members = slices.Clone(c.Members)
	}
	return out
}

// Views returns the views opened, oldest first.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.views))
	for i, v := range s.views {
		out[i] = *v
	}
	return out
}

// WaitMessages waits until channel holds at least n messages and returns
// them; it fails the test after d.
func (s *Server) WaitMessages(t testing.TB, channel string, n int, d time.Duration) []Message {
	t.Helper()
	var out []Message
	if !s.waitFor(d, func() bool {
		out = nil
		for _, m := range s.messages {
			if channel == "" || m.Channel == channel {
				out = append(out, *m)
			}
		}
		return len(out) >= n
	}) {
		t.Fatalf("slacktest: %d messages in %q after %v, want %d", len(out), channel, d, n)
	}
	return out
}

// waitFor polls cond (called with s.mu held) on every state change until
// it holds or d passes.
func (s *Server) waitFor(d time.Duration, cond func() bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-s.done:
			return false
		}
	}
}

// notify wakes the waiters; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextSeq() int {
	s.seq++
	return s.seq
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
