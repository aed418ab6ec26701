package slack

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

// roomWorld is a platform with people in every role, against a fake
// Slack whose department and HR channels exist with the bot in them.
type roomWorld struct {
	s     *slacktest.Server
	p     *Platform
	clock *testclock.Clock
	opts  Options // p's, for restart
}

// restart replaces the platform with a new one on the same store and
// Slack, as a restart of serve does: nothing kept in memory survives.
func (w *roomWorld) restart(t *testing.T) {
	t.Helper()
	p, err := New(w.opts)
	if err != nil {
		t.Fatal(err)
	}
	w.p = p
}

var roomPeople = map[offboard.Role][]string{
	offboard.RoleHR:       {"gina.guest@example.com", "hana@example.com"},
	offboard.RoleIT:       {"ivan@example.com"},
	offboard.RoleFinance:  {"fiona@example.com"},
	offboard.RoleSecurity: {"sam@example.com"},
}

var roomUsers = map[string]string{
	"gina.guest@example.com": "UGINA", "hana@example.com": "UHANA", "ivan@example.com": "UIVAN",
	"fiona@example.com": "UFIONA", "sam@example.com": "USAM", "mona@example.com": "UMONA",
}

func newRoomWorld(t *testing.T, depts map[offboard.Department]string) *roomWorld {
	t.Helper()
	s := slacktest.New(t)
	for email, id := range roomUsers {
		s.AddUser(id, strings.Split(email, "@")[0], email)
	}
	for id, name := range map[string]string{"CHR": "hr", "CIT": "it-desk", "CSEC": "security"} {
		s.AddChannel(id, name, true)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := testclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	eng := flowstest.New(t, flowstest.Options{Store: db, Location: time.UTC, Clock: clock})
	router, err := bot.New(bot.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{AppToken: slacktest.AppToken, BotToken: slacktest.BotToken, APIURL: s.APIURL(),
		Router: router, Engine: eng, HRChannel: "CHR", DepartmentChannels: depts, Clock: clock,
		Delivered: db, Batches: db,
		Members: func(r offboard.Role) []string { return roomPeople[r] }}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &roomWorld{s: s, p: p, clock: clock, opts: o}
}

func (w *roomWorld) open(t *testing.T, email string) offboard.CaseID {
	t.Helper()
	res, err := w.p.engine.Apply(context.Background(), offboard.OpenCase{By: offboard.System("test"), Kind: offboard.Voluntary,
		LastDay: "2026-12-31", Employee: offboard.Employee{Email: email, ManagerEmail: "mona@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Case.ID
}

func (w *roomWorld) room(t *testing.T, id offboard.CaseID) offboard.RoomRef {
	t.Helper()
	v, err := w.p.engine.GetCase(context.Background(), offboard.System(PlatformName), id)
	if err != nil {
		t.Fatal(err)
	}
	room, ok := v.Case.Room(PlatformName)
	if !ok {
		t.Fatalf("%s has no Slack room", id)
	}
	return room
}

func (w *roomWorld) members(t *testing.T, channel string) []string {
	t.Helper()
	for _, c := range w.s.Channels() {
		if c.ID == channel {
			return c.Members
		}
	}
	t.Fatalf("no channel %s", channel)
	return nil
}

// header is the text of the case's header card as Slack shows it now.
func (w *roomWorld) header(t *testing.T, room offboard.RoomRef) string {
	t.Helper()
	for _, m := range w.s.Messages(room.ID) {
		if m.TS == room.HeaderRef {
			return m.Text + " " + string(m.Blocks)
		}
	}
	t.Fatalf("no header card %s in %s", room.HeaderRef, room.ID)
	return ""
}

// A guest the workspace will not let into the channel does not keep the
// others out, and the header card says who is missing and why.
func TestNotify_InviteSkipsRestrictedUser(t *testing.T) {
	w := newRoomWorld(t, nil)
	w.s.RefuseInvite("UGINA", "user_is_restricted")
	id := w.open(t, "jane@example.com")
	if err := w.p.Notify(context.Background(), offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: id}); err != nil {
		t.Fatalf("notify: %v", err)
	}
	room := w.room(t, id)
	got := w.members(t, room.ID)
	for _, u := range []string{"UHANA", "UIVAN", "UFIONA", "USAM", "UMONA"} {
		if !slices.Contains(got, u) {
			t.Errorf("%s is not in the case channel: %v", u, got)
		}
	}
	if slices.Contains(got, "UGINA") {
		t.Error("the restricted guest got in")
	}
	if h := w.header(t, room); !strings.Contains(h, "gina.guest@example.com") || !strings.Contains(h, "guest") {
		t.Errorf("the header card does not name the guest left out:\n%s", h)
	}
	var batched bool
	for _, c := range w.s.Calls("conversations.invite") {
		batched = batched || strings.Count(c.Form.Get("users"), ",") >= 4
	}
	if !batched {
		t.Error("invites went one user per call")
	}
}

// A rate-limited invite is tried again on the next delivery until
// everyone is in.
func TestNotify_InviteRetriedAfterRateLimit(t *testing.T) {
	w := newRoomWorld(t, nil)
	w.s.FailNext("conversations.invite", http.StatusTooManyRequests, `{"ok":false,"error":"ratelimited"}`, map[string]string{"Retry-After": "30"})
	id := w.open(t, "jane@example.com")
	ctx := context.Background()
	err := w.p.Notify(ctx, offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: id})
	var rl *offboard.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("first delivery = %v, want a rate limit for the outbox to wait out", err)
	}
	room := w.room(t, id)
	if room.HeaderRef == "" {
		t.Fatal("the header card waited for the invites")
	}
	if h := w.header(t, room); !strings.Contains(h, "hana@example.com") {
		t.Errorf("the header card does not say who is still to be invited:\n%s", h)
	}
	w.clock.Advance(31 * time.Second)
	// The outbox delivers the notice again after Slack's Retry-After.
	if err := w.p.Notify(ctx, offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: id}); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	got := w.members(t, room.ID)
	for _, u := range []string{"UGINA", "UHANA", "UIVAN", "UFIONA", "USAM", "UMONA"} {
		if !slices.Contains(got, u) {
			t.Errorf("%s is still not in the case channel: %v", u, got)
		}
	}
	if h := w.header(t, w.room(t, id)); strings.Contains(h, "hana@example.com") {
		t.Errorf("the header card still lists an invited person:\n%s", h)
	}
}

// A department channel the bot is not in does not hold up any case: the
// rooms open, the other departments hear, and HR is told once.
func TestNotify_BadDepartmentChannel(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT", offboard.DeptFinance: "CFINANCE", offboard.DeptSecurity: "CSEC"})
	w.s.AddPrivateChannel("CFINANCE", "finance", false)
	ctx := context.Background()
	for _, email := range []string{"jane@example.com", "john@example.com"} {
		id := w.open(t, email)
		if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + email, Kind: offboard.NoticeCaseOpened, CaseID: id}); err != nil {
			t.Fatalf("notify %s: %v", email, err)
		}
		if room := w.room(t, id); room.HeaderRef == "" {
			t.Errorf("%s: no header card", id)
		}
	}
	if n := len(w.s.Messages("CIT")); n != 2 {
		t.Errorf("IT heard of %d cases, want 2", n)
	}
	var told int
	for _, m := range w.s.Messages("CHR") {
		if strings.Contains(m.Text, "CFINANCE") {
			told++
			if !strings.Contains(m.Text, "not_in_channel") && !strings.Contains(m.Text, "not in") {
				t.Errorf("HR's message does not say what is wrong: %s", m.Text)
			}
		}
	}
	if told != 1 {
		t.Errorf("HR was told about the finance channel %d times, want once", told)
	}
}

// A workspace where only admins create private channels: the admin is
// told what to change, and the case goes on in the HR channel.
func TestNotify_RestrictedPrivateChannels(t *testing.T) {
	w := newRoomWorld(t, map[offboard.Department]string{offboard.DeptIT: "CIT"})
	w.s.RestrictPrivateChannels(true)
	ctx := context.Background()
	for _, email := range []string{"jane@example.com", "john@example.com"} {
		id := w.open(t, email)
		if err := w.p.Notify(ctx, offboard.Notice{ID: "open-" + email, Kind: offboard.NoticeCaseOpened, CaseID: id}); err != nil {
			t.Fatalf("notify %s: %v", email, err)
		}
		if room := w.room(t, id); room.ID != "CHR" || room.HeaderRef == "" {
			t.Errorf("%s: room %+v, want its cards in the HR channel", id, room)
		}
		// HR's channel takes every stand-in room's cards, at Slack's
		// pace of a post a second after a burst: the next case comes later.
		w.clock.Advance(10 * time.Second)
	}
	var admin int
	for _, m := range w.s.Messages("CHR") {
		if strings.Contains(m.Text, "restricted_action") {
			admin++
			if !strings.Contains(m.Text, "private channels") || !strings.Contains(strings.ToLower(m.Text), "admin") {
				t.Errorf("the message does not say what to change: %s", m.Text)
			}
		}
	}
	if admin != 1 {
		t.Errorf("%d messages about the restriction, want 1", admin)
	}
	if n := len(w.s.Messages("CIT")); n != 2 {
		t.Errorf("IT heard of %d cases, want 2", n)
	}
}

// A card at Slack's 50-block limit still posts with a line above it.
func TestConversation_Post_StaysWithinBlockLimit(t *testing.T) {
	w := newRoomWorld(t, nil)
	card := offboard.Card{Title: "Big"}
	for i := range 80 {
		card.Sections = append(card.Sections, offboard.Section{Heading: "Task", Text: strings.Repeat("x", i+1)})
	}
	post := bot.Post{Text: ", your decision is needed.", Mentions: []string{"hana@example.com"}, Card: &card}
	if _, err := (conversation{w.p}).Post(context.Background(), offboard.RoomRef{ID: "CHR"}, post); err != nil {
		t.Fatalf("post: %v", err)
	}
}

// A channel that refuses every invite (archived, the bot removed) is
// recorded once, not retried on every delivery.
func TestNotify_InviteChannelGone(t *testing.T) {
	w := newRoomWorld(t, nil)
	w.s.FailNext("conversations.invite", http.StatusOK, `{"ok":false,"error":"not_in_channel"}`, nil)
	id := w.open(t, "jane@example.com")
	ctx := context.Background()
	if err := w.p.Notify(ctx, offboard.Notice{ID: "n1", Kind: offboard.NoticeCaseOpened, CaseID: id}); err != nil {
		t.Fatalf("notify: %v", err)
	}
	if err := w.p.Notify(ctx, offboard.Notice{ID: "n2", Kind: offboard.NoticeTasksUpdated, CaseID: id, Department: offboard.DeptIT}); err != nil {
		t.Fatalf("second notice: %v", err)
	}
	if n := len(w.s.Calls("conversations.invite")); n != 1 {
		t.Errorf("%d invite calls, want 1", n)
	}
	if h := w.header(t, w.room(t, id)); !strings.Contains(h, "not_in_channel") {
		t.Errorf("the header card does not say why nobody is in:\n%s", h)
	}
}
