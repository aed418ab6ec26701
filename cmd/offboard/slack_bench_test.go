package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
)

// BenchmarkSlack_Ack measures Slack's 3-second rule end to end: a button
// click sent over the socket until its ack arrives back at the fake,
// through the real serve wiring (socket mode, identity lookup, router,
// engine command, ack). Each iteration is a burst of 50 people clicking
// at the same moment. Budget: p99 < 50 ms.
func BenchmarkSlack_Ack(b *testing.B) {
	fake := newSlackFake(b)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uIT, "Ivan IT", "ivan.it@example.com")
	// The leavers are workspace members, so the directory knows them.
	const cases = 50
	for i := range cases {
		fake.AddUser(fmt.Sprintf("UP%03d", i), fmt.Sprintf("Person %d", i), fmt.Sprintf("person%d@example.com", i))
	}
	dir := b.TempDir()
	cfg := writeConfig(b, dir, fmt.Sprintf("slack:\n  app_token: %q\n  bot_token: %q\n  api_url: %q\n",
		slacktest.AppToken, slacktest.BotToken, fake.APIURL()))
	app := startApp(b, cfg, wireOptions{})
	fake.WaitConnected(b, 1, 10*time.Second)
	waitForDirectory(b, app)
	// Cases whose manual tasks IT takes: each click is a real engine
	// command and changes state.
	for i := range cases {
		env := fake.SendSlashCommand(slack.SlashCommand{Command: "/offboard", UserID: uHR, ChannelID: "CHR",
			Text: fmt.Sprintf("person%d@example.com involuntary", i), TriggerID: fmt.Sprintf("t%d", i)})
		if ack := string(fake.WaitAnswer(b, env, 10*time.Second)); !strings.Contains(ack, "OFF-") {
			b.Fatalf("open %d: %s", i, ack)
		}
	}
	keys := []string{"device_recover", "cancel_card", "final_expenses", "rotate_shared_credentials", "review_access_logs", "remove_from_vault", "signed_documents"}
	b.ResetTimer()
	var mu sync.Mutex
	var lat []time.Duration
	click := 0
	for range b.N {
		// A burst: 50 people click at the same moment.
		var wg sync.WaitGroup
		for range 50 {
			i := click
			click++
			wg.Go(func() {
				ref := offboard.ActionRef{Verb: offboard.VerbAssign, CaseID: offboard.FormatCaseID(uint64(1 + i%cases)), TaskKey: keys[(i/cases)%len(keys)]}
				cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: uIT},
					ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "ofb:assign", Value: ref.Encode()}}}}
				env := fake.SendInteraction(cb)
				fake.WaitAck(b, env, 10*time.Second)
				mu.Lock()
				lat = append(lat, fake.AckLatency(env))
				mu.Unlock()
			})
		}
		wg.Wait()
		// Let the outbox redraw the cards before the next burst.
		b.StopTimer()
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
