package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// PlatformName is how Teams appears in actors, rooms and the audit trail.
const PlatformName = "teams"

// ChannelID is the Bot Framework channel of Microsoft Teams; signing keys
// must be endorsed for it.
const ChannelID = "msteams"

// Options configure the Teams platform. AppID, AppPassword, TenantID,
// Router and Engine are required.
type Options struct {
	AppID, AppPassword, TenantID string
	// OpenIDMetadataURL is where Bot Framework's signing keys are listed.
	OpenIDMetadataURL string
	// LoginURL is the token service base (DefaultLoginURL); tests point it
	// at a fake.
	LoginURL string
	// ServiceURL is the Bot Connector address to create case threads with
	// before any activity has come in; activities teach the real one.
	ServiceURL string
	// OffboardingChannelID is the channel ("19:…@thread.tacv2") where each
	// case gets its thread.
	OffboardingChannelID string
	// DepartmentChannels are where each department hears about new cases.
	DepartmentChannels map[offboard.Department]string
	Router             *bot.Router
	Engine             offboard.CaseService
	Clock              offboard.Clock
	Location           *time.Location
	Logger             *slog.Logger
	// Metrics hears how long each message took to be answered (nil:
	// nobody).
	Metrics    offboard.Metrics
	HTTPClient *http.Client
	// TurnBudget bounds the handling of one inbound activity (default
	// 10 s, inside the Bot Service's 15 s).
	TurnBudget time.Duration
	// Delivered remembers the notices already delivered (the store); nil
	// keeps them in memory.
	Delivered offboard.DeliveryLog
}

// Platform is offboard on Teams: the handler of /api/messages and the
// offboard.Notifier that keeps case threads and cards up to date.
type Platform struct {
	setting   core.AdapterSetting
	validator *Validator
	conn      *connector
	tenantID  string
	channelID string
	deptCh    map[offboard.Department]string
	router    *bot.Router
	engine    offboard.CaseService
	clock     offboard.Clock
	loc       *time.Location
	log       *slog.Logger
	metrics   offboard.Metrics
	budget    time.Duration

	rooms *bot.Rooms // the room driver: the notifier, written once in bot
	// badChannels: department channels HR was told refuse announcements.
	badChannels sync.Map // channel id → true

	mu         sync.Mutex
	serviceURL string               // configured, then the latest learned
	pause      bot.Pause            // the connector's last Retry-After
	people     map[string]person    // AAD object id (or Teams id) → who
	byEmail    map[string]person    // email and UPN → who, for mentions and roles
	scanned    map[string]time.Time // conversation → when its roster was last read for a lookup
	activities *bot.Recent          // inbound activity ids handled lately
	resolver   PersonResolver       // Entra ID, when configured (see UsePeople)
}

// person is a Teams user as the members API describes them. email is
// their mail address, upn their sign-in name: the two differ in many
// tenants.
type person struct {
	id, aad, email, upn, name string
	at                        time.Time
}

// peopleTTL is how long a user's email is trusted from cache: a changed
// email should not keep its old rights for long.
const peopleTTL = 10 * time.Minute

var _ offboard.Notifier = (*Platform)(nil)

// New builds the platform.
func New(o Options) (*Platform, error) {
	switch {
	case o.AppID == "" || o.AppPassword == "" || o.TenantID == "":
		return nil, errors.New("teams: app id, app password and tenant id are required")
	case o.Router == nil || o.Engine == nil:
		return nil, errors.New("teams: router and engine are required")
	}
	p := &Platform{tenantID: o.TenantID, channelID: o.OffboardingChannelID, deptCh: o.DepartmentChannels,
		router: o.Router, engine: o.Engine, clock: o.Clock, loc: o.Location, log: o.Logger, budget: o.TurnBudget, metrics: o.Metrics,
		serviceURL: o.ServiceURL, people: map[string]person{}, byEmail: map[string]person{}, scanned: map[string]time.Time{},
		activities: bot.NewRecent(rememberActivities), pause: bot.Pause{API: "teams"}}
	if p.clock == nil {
		p.clock = offboard.WallClock()
	}
	if p.loc == nil {
		p.loc = time.UTC
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.budget <= 0 {
		p.budget = 10 * time.Second
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if o.OpenIDMetadataURL == "" {
		o.OpenIDMetadataURL = DefaultOpenIDMetadataURL
	}
	if o.LoginURL == "" {
		o.LoginURL = DefaultLoginURL
	}
	var err error
	if p.validator, err = NewValidator(o.AppID, o.TenantID, o.OpenIDMetadataURL, hc, p.clock.Now); err != nil {
		return nil, err
	}
	p.conn = newConnector(o.AppID, o.AppPassword, o.LoginURL, o.TenantID, hc, p.clock.Now)
	// core.NewBotAdapter is not used: it wires the multi-tenant token
	// endpoint and the library's validator. Each turn builds its adapter
	// value with ours instead (see adapter).
	p.setting = core.AdapterSetting{AppID: o.AppID, AppPassword: o.AppPassword, ChannelAuthTenant: o.TenantID}
	p.rooms = bot.NewRooms(conversation{p}, bot.RoomsOptions{Engine: o.Engine, Delivered: o.Delivered,
		Clock: p.clock, Location: p.loc})
	return p, nil
}

// adapter is msbotbuilder-go's adapter with our validator and a connector
// client bound to ctx: the library's client ignores contexts, and the
// adapter is a plain struct of exported fields, so a value per turn is
// cheap and shares nothing mutable.
func (p *Platform) adapter(ctx context.Context) *core.BotFrameworkAdapter {
	return &core.BotFrameworkAdapter{AdapterSetting: p.setting, TokenValidator: p.validator,
		Client: turnClient{ctx: ctx, c: p.conn}}
}

// ServeHTTP handles POST /api/messages: authenticate, answer within the
// turn budget, and say 200. Refused tokens get 401 and nothing else.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now() // ack latency is real time, not the injectable clock
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	ctx, cancel := context.WithTimeout(r.Context(), p.budget)
	defer cancel()
	if r.Header.Get("Authorization") == "" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	act, err := p.adapter(ctx).ParseRequest(ctx, r)
	if err != nil {
		if errors.Is(err, errUnauthorized) {
			p.log.Warn("teams: refused an activity", "err", err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.Error(w, "bad activity", http.StatusBadRequest)
		return
	}
	p.learn(act.ServiceURL)
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("teams: handler panicked", "type", act.Type, "panic", fmt.Sprint(v))
		}
	}()
	if act.Type == schema.Invoke && act.Name == invokeSearch {
		// Answered in the response itself: Teams waits for the choices.
		p.searchInvoke(ctx, w, act)
		return
	}
	if act.Type == schema.Message && !p.duplicate(act.Conversation.ID+"\n"+act.ID) {
		p.onMessage(ctx, act)
	}
	// Other activities (installs, reactions, typing) need no answer.
	w.WriteHeader(http.StatusOK)
	// Only a person's message is measured: that is what someone waits on.
	if act.Type == schema.Message && p.metrics != nil {
		p.metrics.ChatAck(PlatformName, time.Since(received))
	}
}

// learn remembers the service URL activities come from: Teams may move a
// tenant, and proactive posts must follow. Only authenticated activities
// teach it, and their serviceUrl matched the signed serviceurl claim.
func (p *Platform) learn(serviceURL string) {
	if serviceURL == "" {
		return
	}
	p.mu.Lock()
	p.serviceURL = serviceURL
	p.mu.Unlock()
}

func (p *Platform) currentServiceURL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.serviceURL
}

// actor resolves the sender to the person offboard knows by email,
// through the members API (cached). The engine decides what they may do;
// an unknown email holds no roles.
func (p *Platform) actor(ctx context.Context, act schema.Activity) offboard.Actor {
	from := act.From
	key := from.AadObjectID
	if key == "" {
		key = from.ID
	}
	a := offboard.Actor{Kind: offboard.ActorPerson, ID: "teams:" + key, Platform: PlatformName, PlatformUserID: key, Name: from.Name}
	p.mu.Lock()
	who, ok := p.people[key]
	p.mu.Unlock()
	if !ok || p.clock.Now().Sub(who.at) > peopleTTL {
		m, err := p.member(ctx, act.ServiceURL, act.Conversation.ID, from.ID)
		if err != nil {
			d, found := p.fromDirectory(ctx, from.AadObjectID)
			if !found {
				p.log.Warn("teams: members lookup failed; acting as an unknown person", "user", key, "err", err)
				return a
			}
			m = d
		}
		if m.aad == "" {
			m.aad = from.AadObjectID // signed activity: Teams says who sent it
		}
		if m.email == "" {
			// Teams' roster may lack an email (guests, some tenants): the
			// identity system knows the object id.
			if d, found := p.fromDirectory(ctx, m.aad); found {
				m.email = d.email
				if m.name == "" {
					m.name = d.name
				}
			}
		}
		who = m
		p.remember(who)
	}
	if who.email != "" {
		a.ID, a.Email = who.email, who.email
	}
	if who.name != "" {
		a.Name = who.name
	}
	return a
}

func (p *Platform) remember(who person) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if who.aad != "" {
		p.people[who.aad] = who
	}
	if who.id != "" {
		p.people[who.id] = who
	}
	if who.email != "" {
		p.byEmail[who.email] = who
	}
	if who.upn != "" {
		p.byEmail[who.upn] = who
	}
}

// account is a Teams user as the Bot Connector's members API returns
// them (TeamsChannelAccount): the AAD object id is "objectId" there,
// while activities' from call it "aadObjectId"; both are read. The name
// may come only as givenName and surname.
type account struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	ObjectID          string `json:"objectId"`
	AADObjectID       string `json:"aadObjectId"`
	GivenName         string `json:"givenName"`
	Surname           string `json:"surname"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
}

func (a account) person(at time.Time) person {
	who := person{id: a.ID, aad: a.ObjectID, email: strings.ToLower(strings.TrimSpace(a.Email)),
		upn: strings.ToLower(strings.TrimSpace(a.UserPrincipalName)), name: a.Name, at: at}
	if who.aad == "" {
		who.aad = a.AADObjectID
	}
	if who.email == "" {
		who.email = who.upn
	}
	if who.name == "" {
		who.name = strings.TrimSpace(a.GivenName + " " + a.Surname)
	}
	return who
}

// member reads one member of a conversation: GET
// /v3/conversations/{id}/members/{user}, where user is a Teams id, an
// AAD object id or a user principal name (not an email address, when
// that differs from the UPN).
func (p *Platform) member(ctx context.Context, serviceURL, conv, user string) (person, error) {
	var m account
	if err := p.conn.do(ctx, http.MethodGet, endpoint(serviceURL, "conversations", conv, "members", user), nil, &m); err != nil {
		return person{}, err
	}
	return m.person(p.clock.Now()), nil
}

// AADObjectID returns the AAD object id of a person seen in Teams by
// email ("" when not seen): config roles may name people by either.
func (p *Platform) AADObjectID(email string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byEmail[strings.ToLower(strings.TrimSpace(email))].aad
}

// lookup finds a person to mention by email, asking the members API of
// conv when not seen yet ("" id when not in Teams). The API finds people
// by UPN, not by email: when that misses, the conversation's roster is
// read (at most once a minute), matching email or UPN.
func (p *Platform) lookup(ctx context.Context, serviceURL, conv, email string) person {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return person{}
	}
	p.mu.Lock()
	cached, known := p.byEmail[email]
	p.mu.Unlock()
	if known && p.clock.Now().Sub(cached.at) <= peopleTTL {
		return cached
	}
	who, err := p.member(ctx, serviceURL, conv, email)
	switch {
	case err == nil:
		p.remember(who)
		return who
	case offboard.ErrorCode(err) != offboard.ENOTFOUND:
		p.log.Warn("teams: members lookup by email failed", "err", err)
		return person{email: email}
	}
	if found, ok := p.scanFor(ctx, serviceURL, conv, email); ok {
		return found
	}
	if known {
		return cached // the roster was read moments ago: what it said still stands
	}
	return person{email: email}
}

// rosterScanEvery bounds roster reads for lookups: a case that mentions
// someone outside Teams must not page the whole team at every notice.
const rosterScanEvery = time.Minute

// scanFor reads the roster of conv's channel (a thread's id names its
// channel before ";messageid=") and remembers everyone in it, then
// answers from what it learned.
func (p *Platform) scanFor(ctx context.Context, serviceURL, conv, email string) (person, bool) {
	channel, _, _ := strings.Cut(conv, ";messageid=")
	p.mu.Lock()
	last, seen := p.scanned[channel]
	if seen && p.clock.Now().Sub(last) < rosterScanEvery {
		p.mu.Unlock()
		return person{}, false
	}
	p.scanned[channel] = p.clock.Now()
	p.mu.Unlock()
	err := p.pagedMembers(ctx, serviceURL, channel, func(a account) {
		if who := a.person(p.clock.Now()); who.id != "" && who.email != "" {
			p.remember(who)
		}
	})
	if err != nil {
		p.log.Warn("teams: reading the roster to find someone by email failed", "err", err)
		return person{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	who, ok := p.byEmail[email]
	return who, ok
}

// chatError turns the connector's 429 into the outbox's pause, and
// remembers it so notices in flight wait too.
func (p *Platform) chatError(err error) error {
	var rl *offboard.RateLimitError
	if errors.As(err, &rl) {
		p.pause.Until(rl.Reset)
	}
	return err
}

func (p *Platform) paused() error { return p.pause.Err(p.clock.Now()) }

// rememberActivities bounds the memory of handled activity ids; Bot
// Framework redelivers within seconds when an answer was late.
const rememberActivities = 4096

// duplicate reports whether an activity was handled already, and
// remembers it: a redelivered click must act once.
func (p *Platform) duplicate(key string) bool {
	if strings.HasSuffix(key, "\n") {
		return false // no activity id
	}
	return p.activities.Seen(key)
}
