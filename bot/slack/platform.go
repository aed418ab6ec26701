package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// PlatformName is how Slack appears in actors, rooms and the audit trail.
const PlatformName = "slack"

// Options configure the Slack platform. Tokens, Router and Engine are
// required.
type Options struct {
	AppToken string // xapp-…, for the socket-mode connection
	BotToken string // xoxb-…, for the Web API
	// APIURL is the Web API base, ending in "/"; every call, the socket
	// connection included, goes there.
	APIURL string
	// TeamID and AppID, when set, must match every payload: a
	// mis-routed workspace or app is ignored.
	TeamID, AppID string
	Router        *bot.Router
	Engine        offboard.CaseService
	// Members returns the emails configured for a role, to invite a
	// department's people into case channels.
	Members func(offboard.Role) []string
	// DepartmentChannels are the Slack channel ids (or names) where each
	// department hears about new cases.
	DepartmentChannels map[offboard.Department]string
	// HRChannel is the Slack channel id (or name) that gets the whole
	// daily digest; empty skips it.
	HRChannel         string
	ChannelTemplate   string
	ArchiveOnComplete bool
	Clock             offboard.Clock
	Location          *time.Location
	Logger            *slog.Logger
	HTTPClient        *http.Client
	// AckTimeout bounds an ack (default 2 s, inside Slack's 3 s).
	AckTimeout time.Duration
	// Delivered remembers the notices already delivered (the store); nil
	// keeps them in memory.
	Delivered offboard.DeliveryLog
	// Batches keeps batch summaries across restarts (the store); nil
	// keeps them in memory.
	Batches offboard.BatchLog
	// Metrics hears how long each envelope took to be acked (nil: nobody).
	Metrics offboard.Metrics
	// PostEvery and PostBurst pace posts per channel, CreateEvery and
	// CreateBurst channel creation for the workspace, PaceWait bounds how
	// long a notice waits in line (defaults: DefaultPostEvery, …).
	PostEvery, CreateEvery time.Duration
	PostBurst, CreateBurst int
	PaceWait               time.Duration
	// SummaryEvery bounds how often a batch summary is redrawn (default
	// bot.DefaultSummaryEvery: chat.update is Tier 3).
	SummaryEvery time.Duration
}

// Platform is offboard on Slack: it takes slash commands, clicks, forms
// and questions over socket mode, and is the offboard.Notifier that keeps
// case channels and their cards up to date.
type Platform struct {
	api     *slack.Client
	sock    *socketmode.Client
	teamID  string
	appID   string
	router  *bot.Router
	engine  offboard.CaseService
	members func(offboard.Role) []string
	deptCh  map[offboard.Department]string
	hrCh    string
	tpl     string
	archive bool
	clock   offboard.Clock
	loc     *time.Location
	log     *slog.Logger
	http    *http.Client
	ackWait time.Duration
	metrics offboard.Metrics

	// rooms is the room driver: the notifier, written once in bot.
	rooms *bot.Rooms

	mu        sync.Mutex
	envelopes *bot.Recent       // envelope ids handled lately
	pace      *pacer            // Slack's limits, per channel and per method
	people    map[string]person // Slack user id → who they are
	ids       map[string]string // email → Slack user id ("" when not in Slack)
	// badChannels are department channels HR was told refuse our posts.
	badChannels map[string]bool
	// restrictedTold: the admin heard that private channels are restricted.
	restrictedTold bool
}

type person struct {
	email, name string
	at          time.Time
}

// peopleTTL is how long a user's email is trusted from cache: a changed
// email should not keep its old rights for long.
const peopleTTL = 10 * time.Minute

var _ offboard.Notifier = (*Platform)(nil)

// New builds the platform; it connects in Run.
func New(o Options) (*Platform, error) {
	switch {
	case !strings.HasPrefix(o.AppToken, "xapp-"):
		return nil, errors.New("slack: the app token must start with xapp-")
	case !strings.HasPrefix(o.BotToken, "xoxb-"):
		return nil, errors.New("slack: the bot token must start with xoxb-")
	case o.Router == nil || o.Engine == nil:
		return nil, errors.New("slack: router and engine are required")
	}
	if o.APIURL == "" {
		o.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	p := &Platform{
		router: o.Router, engine: o.Engine, members: o.Members, deptCh: o.DepartmentChannels, hrCh: o.HRChannel,
		teamID: o.TeamID, appID: o.AppID,
		tpl: o.ChannelTemplate, archive: o.ArchiveOnComplete, clock: o.Clock, loc: o.Location,
		log: o.Logger, http: o.HTTPClient, ackWait: o.AckTimeout, metrics: o.Metrics,
		people: map[string]person{}, ids: map[string]string{}, badChannels: map[string]bool{}, envelopes: bot.NewRecent(rememberEnvelopes),
	}
	if p.tpl == "" {
		p.tpl = DefaultChannelTemplate
	}
	if p.clock == nil {
		p.clock = offboard.WallClock()
	}
	if p.loc == nil {
		p.loc = time.UTC
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.http == nil {
		p.http = &http.Client{Timeout: 15 * time.Second}
	}
	if o.PostEvery <= 0 {
		o.PostEvery, o.PostBurst = DefaultPostEvery, max(o.PostBurst, DefaultPostBurst)
	}
	if o.CreateEvery <= 0 {
		o.CreateEvery, o.CreateBurst = DefaultCreateEvery, max(o.CreateBurst, DefaultCreateBurst)
	}
	o.PostBurst, o.CreateBurst = max(o.PostBurst, 1), max(o.CreateBurst, 1)
	if o.PaceWait <= 0 {
		o.PaceWait = DefaultPaceWait
	}
	if p.ackWait <= 0 {
		p.ackWait = 2 * time.Second
	}
	p.pace = newPacer(p.clock.Now, rule{every: o.PostEvery, burst: o.PostBurst}, rule{every: o.CreateEvery, burst: o.CreateBurst}, o.PaceWait)
	if p.members == nil {
		p.members = func(offboard.Role) []string { return nil }
	}
	// Retries stay off: a rate limit comes back to the outbox, which
	// defers that notice until Slack's Retry-After for its channel or
	// method (pace.go).
	p.api = slack.New(o.BotToken, slack.OptionAppLevelToken(o.AppToken), slack.OptionAPIURL(o.APIURL),
		slack.OptionHTTPClient(p.http))
	p.sock = socketmode.New(p.api)
	p.rooms = bot.NewRooms(conversation{p}, bot.RoomsOptions{Engine: o.Engine, Delivered: o.Delivered,
		Batches: o.Batches, Clock: p.clock, Location: p.loc, SummaryEvery: o.SummaryEvery})
	return p, nil
}

// Run connects over socket mode and handles events until ctx is done.
// Each event is handled in its own goroutine, the slow ones 64 at a
// time, so a slow handler never stalls the socket (which would miss
// Slack's pings) nor another envelope's ack.
func (p *Platform) Run(ctx context.Context) error {
	runErr := make(chan error, 1)
	go func() { runErr <- p.sock.RunContext(ctx) }()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt, ok := <-p.sock.Events:
			if !ok {
				return nil
			}
			switch evt.Type {
			case socketmode.EventTypeConnecting:
				p.log.Info("slack: connecting")
			case socketmode.EventTypeConnected:
				p.log.Info("slack: connected")
			case socketmode.EventTypeConnectionError:
				p.log.Warn("slack: connection error; retrying", "err", evt.Data)
			case socketmode.EventTypeInvalidAuth:
				p.log.Error("slack: the app token was refused; check slack.app_token")
			case socketmode.EventTypeDisconnect:
				p.log.Info("slack: disconnected by Slack; reconnecting")
			case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
				// Ack latency is real time, not the injectable clock.
				received := time.Now()
				if evt.Request != nil && p.duplicate(evt.Request.EnvelopeID) {
					// Slack delivers again when an ack got lost (a
					// reconnect): answer, but act once.
					p.ack(evt.Request.EnvelopeID, nil, received)
					continue
				}
				// Acks that carry nothing go out here, and the loop never
				// waits for a handler slot: slow Web API work after an ack
				// must not delay the next envelope's ack. A form
				// submission needs no slot before its ack either (its
				// lookups are bounded by preAckBudget).
				first := ackFirst(evt)
				if first {
					p.ack(evt.Request.EnvelopeID, nil, received)
				}
				wg.Go(func() {
					if first {
						select {
						case sem <- struct{}{}:
							defer func() { <-sem }()
						case <-ctx.Done():
							return
						}
					}
					defer p.recover(evt, received)
					p.handle(ctx, evt, received)
				})
			}
		}
	}
}

// ackFirst reports whether an envelope is acked empty at once: slash
// commands answer through their response_url, clicks through theirs,
// events need no answer. Only a form submission's ack carries something
// (its field errors), so it is acked by its handler.
func ackFirst(evt socketmode.Event) bool {
	if evt.Request == nil {
		return false
	}
	if cb, ok := evt.Data.(slack.InteractionCallback); ok &&
		(cb.Type == slack.InteractionTypeViewSubmission || cb.Type == slack.InteractionTypeBlockSuggestion) {
		return false
	}
	return true
}

func (p *Platform) recover(evt socketmode.Event, received time.Time) {
	if r := recover(); r != nil {
		p.log.Error("slack: handler panicked", "type", evt.Type, "panic", fmt.Sprint(r))
		if evt.Request != nil && !ackFirst(evt) {
			p.ack(evt.Request.EnvelopeID, nil, received)
		}
	}
}

// ack answers an envelope received at received; Slack retries envelopes
// it does not hear back about within 3 s. A failed ack is not measured.
func (p *Platform) ack(envelopeID string, payload any, received time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), p.ackWait)
	defer cancel()
	if err := p.sock.AckCtx(ctx, envelopeID, payload); err != nil {
		p.log.Warn("slack: ack failed", "envelope", envelopeID, "err", err)
		return
	}
	if p.metrics != nil {
		p.metrics.ChatAck(PlatformName, time.Since(received))
	}
}

// actor resolves a Slack user to the person offboard knows by email. The
// engine decides what they may do; an unknown email holds no roles.
func (p *Platform) actor(ctx context.Context, userID string) offboard.Actor {
	a := offboard.Actor{Kind: offboard.ActorPerson, ID: "slack:" + userID, Platform: PlatformName, PlatformUserID: userID}
	p.mu.Lock()
	who, ok := p.people[userID]
	p.mu.Unlock()
	if !ok || p.clock.Now().Sub(who.at) > peopleTTL {
		u, err := p.api.GetUserInfoContext(ctx, userID)
		if err != nil {
			p.log.Warn("slack: users.info failed; acting as an unknown person", "user", userID, "err", err)
			return a
		}
		who = person{email: strings.ToLower(u.Profile.Email), name: u.RealName, at: p.clock.Now()}
		p.mu.Lock()
		p.people[userID] = who
		p.mu.Unlock()
	}
	if who.email != "" {
		a.ID, a.Email = who.email, who.email
	}
	a.Name = who.name
	return a
}

// userID finds a person's Slack id by email ("" when not in Slack).
func (p *Platform) userID(ctx context.Context, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return ""
	}
	p.mu.Lock()
	id, ok := p.ids[email]
	p.mu.Unlock()
	if ok {
		return id
	}
	u, err := p.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		if !isSlackError(err, "users_not_found") {
			p.log.Warn("slack: users.lookupByEmail failed", "err", err)
			return ""
		}
	} else {
		id = u.ID
	}
	p.mu.Lock()
	p.ids[email] = id
	p.mu.Unlock()
	return id
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

// chatError is a failed call's error: a rate limit as the outbox's
// *offboard.RateLimitError for the call's channel or method alone (see
// pace.go), anything else wrapped with the method's name.
func (p *Platform) chatError(op string, err error) error {
	if _, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		return err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		s := methodScope(op)
		until := p.pace.limited(s, rl.RetryAfter)
		return &offboard.RateLimitError{API: ScopedAPI(string(s)), Reset: until, Err: err}
	}
	return fmt.Errorf("slack: %s: %w", op, err)
}

// rememberEnvelopes bounds the memory of handled envelope ids; Slack
// retries within minutes, and thousands cover that.
const rememberEnvelopes = 4096

// duplicate reports whether an envelope was handled already, and
// remembers it.
func (p *Platform) duplicate(id string) bool { return p.envelopes.Seen(id) }

// foreign reports whether a payload comes from another workspace or app
// than the configured one.
func (p *Platform) foreign(team, app string) bool {
	if (p.teamID != "" && team != "" && team != p.teamID) || (p.appID != "" && app != "" && app != p.appID) {
		p.log.Warn("slack: ignored a payload from another workspace or app", "team", team, "app", app)
		return true
	}
	return false
}
