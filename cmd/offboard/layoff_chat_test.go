package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// chatLayoffChannels are the department channels of a chat layoff, by
// department.
var chatLayoffChannels = map[offboard.Department]string{
	offboard.DeptIT: "CIT", offboard.DeptFinance: "CFIN", offboard.DeptSecurity: "CSEC",
	offboard.DeptHR: "CHRD", offboard.DeptLegal: "CLEGAL",
}

// chatLayoff is a layoff against a fake Okta (600 requests a window) and
// a fake Slack enforcing its documented limits (a post a second per
// channel after a burst, conversations.create at Tier 2), through the
// real serve wiring. Slack's and Okta's time run compress times faster.
type chatLayoff struct {
	exits    int
	compress int
	okta     *oktatest.Server
	slack    *slacktest.Server
	app      *liveApp
	began    time.Time
	intake   time.Duration // how long the REST API took to take every case

	mu         sync.Mutex
	revoked    map[int]time.Duration // exit → when it was revoked, from began
	allVisible time.Duration         // when every department's channel showed every case
	// roomsAtRevoked and roomsAtVisible are how many case rooms Slack had
	// created when the last exit was revoked and when every case was
	// visible: rooms come at Tier 2's pace, so fewer than the exits means
	// neither waited for the rooms.
	roomsAtRevoked, roomsAtVisible int
	batch                          string // the batch the cases are sent as; "" one by one
}

// chatLayoffFigures are what a chat layoff measured.
type chatLayoffFigures struct {
	Exits, Revoked, RevokedIn60s, Posts, Limited, Early, TopLevelIT, Creates int
	AllRevoked, AllVisible, Intake                                           time.Duration
}

func startChatLayoff(t testing.TB, exits, compress int, latency time.Duration, batch string) *chatLayoff {
	t.Helper()
	l := &chatLayoff{exits: exits, batch: batch, compress: max(compress, 1), revoked: map[int]time.Duration{}}
	k := time.Duration(l.compress)
	l.okta = oktatest.New(t)
	for i := range exits {
		l.okta.AddUser(oktatest.User{Login: fmt.Sprintf("p%d@example.com", i), Email: fmt.Sprintf("p%d@example.com", i),
			Factors: []oktatest.Factor{{FactorType: "push"}}, Grants: []string{"g"}, Sessions: 1})
	}
	l.slack = newSlackFake(t)
	for d, ch := range chatLayoffChannels {
		l.slack.AddChannel(ch, string(d), true)
	}
	l.slack.SetChatLimit(20, time.Second/k)
	l.slack.SetMethodLimit("conversations.create", slacktest.Tier2PerMinute*l.compress, slacktest.Tier2PerMinute)
	l.slack.SetLatency(latency)
	depts := "departments:\n"
	for d, ch := range chatLayoffChannels {
		depts += fmt.Sprintf("  %s:\n    slack_channel: %s\n", d, ch)
	}
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
  rate_share: 1
%s`, slacktest.AppToken, slacktest.BotToken, l.slack.APIURL(), l.okta.URL(), oktatest.Token, depts))
	l.app = startApp(t, cfg, wireOptions{slackPace: l.compress})
	l.slack.WaitConnected(t, 1, 10*time.Second)
	l.okta.RateLimit(600, time.Minute/k)
	return l
}

// post sends the involuntary notices of every exit through the REST
// API, 16 at a time, as an HR system does during a layoff.
func (l *chatLayoff) post(t testing.TB) {
	t.Helper()
	l.began = time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range l.exits {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body := fmt.Sprintf(`{"employee":{"email":"p%d@example.com"},"kind":"involuntary","batch":%q}`, i, l.batch)
			if r := call(t, "POST", l.app.url+"/api/v1/cases", hrToken, body); r.status != 201 {
				t.Errorf("create %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	l.intake = time.Since(l.began)
}

// watchRevoked records when each exit's Okta account is revoked
// (suspended, no sessions, factors or grants), until all are or d passes.
func (l *chatLayoff) watchRevoked(d time.Duration) {
	deadline := l.began.Add(d)
	for time.Now().Before(deadline) {
		now := time.Since(l.began)
		l.mu.Lock()
		for i := range l.exits {
			if _, ok := l.revoked[i]; ok {
				continue
			}
			u, _ := l.okta.User(fmt.Sprintf("p%d@example.com", i))
			if u.Status == "SUSPENDED" && u.Sessions == 0 && len(u.Factors) == 0 && len(u.Grants) == 0 {
				l.revoked[i] = now
			}
		}
		done := len(l.revoked) == l.exits
		if done {
			l.roomsAtRevoked = l.rooms()
		}
		l.mu.Unlock()
		if done {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// watchVisible records when every case is visible to its departments:
// each department channel with tasks for the batch shows every case, by
// one announcement each or by the count of the batch's summary. It stops
// when all are or d passes.
func (l *chatLayoff) watchVisible(t testing.TB, d time.Duration) {
	t.Helper()
	v, err := l.app.app.engine.GetCase(context.Background(), offboard.System("test"), offboard.FormatCaseID(1))
	if err != nil {
		t.Fatal(err)
	}
	var channels []string
	for _, dep := range v.DepartmentsListed() {
		if ch := chatLayoffChannels[dep]; ch != "" && v.TasksIn(dep) > 0 {
			channels = append(channels, ch)
		}
	}
	deadline := l.began.Add(d)
	for time.Now().Before(deadline) {
		all := true
		least := l.exits
		for _, ch := range channels {
			n := shownIn(l.slack.Messages(ch))
			least = min(least, n)
			all = all && n >= l.exits
		}
		if os.Getenv("OFFBOARD_CHAT_TRACE") != "" {
			fmt.Fprintf(os.Stderr, "%v: every department shows %d cases; %d rooms\n", time.Since(l.began).Round(time.Millisecond), least, l.rooms())
		}
		if all {
			l.mu.Lock()
			l.allVisible = time.Since(l.began)
			l.roomsAtVisible = l.rooms()
			l.mu.Unlock()
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// summaryCount reads the count of a batch summary.
var summaryCount = regexp.MustCompile(`^Batch of offboardings since [0-9:]+ UTC: ([0-9]+) offboarding case`)

// shownIn is how many cases a department channel shows: its batch
// summaries' counts and its announcements of single cases.
func shownIn(msgs []slacktest.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Thread != "" {
			continue
		}
		if c := summaryCount.FindStringSubmatch(m.Text); c != nil {
			k, _ := strconv.Atoi(c[1])
			n += k
		} else if strings.Contains(m.Text, "offboarding") {
			n++
		}
	}
	return n
}

// rooms is how many case rooms Slack has created (its channels less the
// departments' and the fake's own).
func (l *chatLayoff) rooms() int {
	return len(l.slack.Channels()) - len(chatLayoffChannels) - 5
}

// figures reads what the fakes saw.
func (l *chatLayoff) figures() chatLayoffFigures {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := chatLayoffFigures{Exits: l.exits, Posts: len(l.slack.Calls("chat.postMessage")), Limited: l.slack.Limited(),
		Early: l.slack.EarlySends(), Creates: l.rooms()}
	f.Revoked = len(l.revoked)
	for _, at := range l.revoked {
		if at <= time.Minute/time.Duration(l.compress) {
			f.RevokedIn60s++
		}
		f.AllRevoked = max(f.AllRevoked, at)
	}
	if len(l.revoked) < l.exits {
		f.AllRevoked = -1
	}
	f.AllVisible, f.Intake = l.allVisible, l.intake
	if f.AllVisible == 0 {
		f.AllVisible = -1
	}
	for _, m := range l.slack.Messages("CIT") {
		if m.Thread == "" {
			f.TopLevelIT++
		}
	}
	return f
}

func (f chatLayoffFigures) String() string {
	by := func(d time.Duration) string {
		if d < 0 {
			return "not yet"
		}
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%d exits: %d revoked, %d within 60 s (all by %v); Slack: %d posts, %d answered 429, %d sent before Retry-After, %d top-level posts in #it, %d channels created; every case visible to its departments by %v (intake took %v)",
		f.Exits, f.Revoked, f.RevokedIn60s, by(f.AllRevoked), f.Posts, f.Limited, f.Early, f.TopLevelIT, f.Creates, by(f.AllVisible), by(f.Intake))
}

// A 50-person layoff while Slack is throttled (its documented limits
// enforced, 100 ms a call): revocation never waits on chat, so every exit
// is revoked while Slack's Tier 2 is still letting the case rooms be
// created (20 a minute: 50 rooms take minutes), and the departments see
// the batch in one summary each before the rooms exist too; no post goes
// to Slack before the Retry-After it gave. It asserts that order, not a
// time: how fast is BenchmarkLayoff_Chat's business. The watches stop
// after 5 minutes only so a hang fails rather than blocks.
func TestLayoff_ChatNeverDelaysRevocation(t *testing.T) {
	const exits = 50
	l := startChatLayoff(t, exits, 1, 100*time.Millisecond, "layoff-1")
	l.post(t)
	l.watchRevoked(5 * time.Minute)
	f := l.figures()
	t.Log(f)
	if f.Revoked != exits {
		t.Fatalf("%d of %d exits revoked", f.Revoked, exits)
	}
	if l.roomsAtRevoked >= exits {
		t.Errorf("every case room (%d) was created before the last exit was revoked: revocation waited for chat", l.roomsAtRevoked)
	}
	if f.Early != 0 {
		t.Errorf("%d Slack requests were sent before their Retry-After had passed", f.Early)
	}
	l.watchVisible(t, 5*time.Minute)
	f = l.figures()
	t.Log(f)
	if f.AllVisible < 0 {
		t.Fatal("the batch never became visible to its departments")
	}
	if l.roomsAtVisible >= exits {
		t.Errorf("every case room (%d) was created before the batch was visible to its departments: the summary waited for the rooms", l.roomsAtVisible)
	}
	if f.TopLevelIT != 1 {
		t.Errorf("%d top-level posts in IT's channel, want the batch's one summary", f.TopLevelIT)
	}
	if f.Early != 0 {
		t.Errorf("%d Slack requests were sent before their Retry-After had passed", f.Early)
	}
}

// BenchmarkLayoff_Chat measures a layoff's chat against the fake Slack's
// documented tiers: how long until every case is visible to its
// departments, what Slack was sent, and when every exit was revoked.
// The cases are sent as one batch (OFFBOARD_CHAT_BATCH=0: one by one).
// OFFBOARD_CHAT_EXITS (default 1000) sets its size and
// OFFBOARD_CHAT_COMPRESS (default 20) how many times faster Slack's and
// Okta's limits run than real time: real time is the figure times it.
// Our own work (intake through the API, the store) is not compressed, so
// intake-real-s is reported too: visibility's floor is the last case's
// intake plus one summary redraw at Slack's pace. OFFBOARD_CHAT_TRACE=1
// prints how many cases every department shows as it goes.
func BenchmarkLayoff_Chat(b *testing.B) {
	exits := envInt("OFFBOARD_CHAT_EXITS", 1000)
	compress := envInt("OFFBOARD_CHAT_COMPRESS", 20)
	for range b.N {
		// A Slack call takes 100 ms, compressed as its limits are.
		batch := "layoff-1"
		if os.Getenv("OFFBOARD_CHAT_BATCH") == "0" {
			batch = ""
		}
		l := startChatLayoff(b, exits, compress, 100*time.Millisecond/time.Duration(compress), batch)
		b.ResetTimer()
		l.post(b)
		var wg sync.WaitGroup
		wg.Go(func() { l.watchRevoked(2 * time.Hour / time.Duration(compress)) })
		wg.Go(func() { l.watchVisible(b, 2*time.Hour/time.Duration(compress)) })
		wg.Wait()
		b.StopTimer()
		f := l.figures()
		b.Log(f)
		k := float64(compress)
		b.ReportMetric(float64(exits), "exits")
		b.ReportMetric(k, "compress")
		b.ReportMetric(f.AllVisible.Seconds()*k, "visible-real-s")
		b.ReportMetric(f.AllRevoked.Seconds()*k, "revoked-real-s")
		b.ReportMetric(f.Intake.Seconds()*k, "intake-real-s")
		b.ReportMetric(float64(f.Posts), "posts")
		b.ReportMetric(float64(f.Limited), "slack-429s")
		b.ReportMetric(float64(f.Early), "early-sends")
		b.ReportMetric(float64(f.TopLevelIT), "it-top-level")
		l.app.stop()
	}
}
