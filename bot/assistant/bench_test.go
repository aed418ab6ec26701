package assistant_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

const benchCases = 100_000

// world100k is a world whose store first gets benchCases-1 closed cases,
// copied from a real case (opened in a scratch world) and spread over the
// five years before now (about 55 a day), straight through the store in
// large transactions: opening them one command at a time would take
// minutes. They get the lower case numbers, as the engine would have
// handed them out.
func world100k(b *testing.B) *world {
	b.Helper()
	scratch := newWorld(b)
	var tpl *offboard.Case
	var tasks []*offboard.Task
	scratch.db.View(scratch.ctx, func(tx offboard.Tx) error {
		tpl, _ = tx.Case(scratch.ids["jane"])
		tasks, _ = tx.Tasks(scratch.ids["jane"])
		return nil
	})
	span := 5 * 365 * 24 * time.Hour
	return newWorldAfter(b, func(db *store.DB, now time.Time) {
		err := storetest.Write(context.Background(), db, storetest.History{Template: tpl, Tasks: tasks, N: benchCases - 1,
			First: now.Add(-span - 24*time.Hour), Step: span / benchCases,
			Shape: func(i int, c *offboard.Case) {
				revoked := c.CreatedAt.Add(time.Duration(1+i%48) * time.Hour)
				c.RevokedAt, c.ClosedAt = &revoked, &revoked
				if i%10 == 0 {
					c.Status = offboard.CaseCancelled
				}
				c.Employee.ManagerEmail = fmt.Sprintf("boss%d@example.com", i%500)
			}})
		if err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAnswer_100k is the rule-based answer to each kind of question
// with 100,000 stored cases, asked by HR (who sees every case). Budget:
// < 20 ms per answer.
func BenchmarkAnswer_100k(b *testing.B) {
	w := world100k(b)
	w.clock.Advance(3 * 24 * time.Hour) // some open tasks are overdue
	for _, q := range []struct {
		name       string
		who        offboard.Actor
		text, want string
	}{
		{"status_email", boss, "status of person%d@example.com", "Person"},
		{"manager_status_hidden", mona, "status of person%d@example.com", "I found no case"},
		{"manager_stats_month", mona, "stats this month", "1 case"},
		{"status_name", boss, "where is Jane's offboarding?", "Jane Doe"},
		{"left", boss, "what's left on Jane's offboarding?", "Left to do"},
		{"open", boss, "which cases are open?", "Open cases"},
		{"overdue_finance", boss, "what's overdue for Finance?", "overdue task"},
		{"approvals", boss, "which approvals are stuck?", "waiting"},
		{"stats_month", boss, "how fast did we revoke access last month?", "Time to revocation"},
	} {
		b.Run(q.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				text := q.text
				if strings.Contains(text, "%d") {
					text = fmt.Sprintf(text, (i*7919)%(benchCases-1))
				}
				i++
				t0 := time.Now()
				r, ok := w.a.Answer(w.ctx, q.who, text)
				lat = append(lat, time.Since(t0))
				if !ok || !strings.Contains(r.Text, q.want) {
					b.Fatalf("%q: %v %q", text, ok, r.Text)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkModel_Tools_100k is one model-backed question with 100,000
// stored cases: a fake model asks for every tool once, then answers. It
// measures the tools and two HTTP round trips on loopback, not a model.
func BenchmarkModel_Tools_100k(b *testing.B) {
	w := world100k(b)
	fake := openaitest.New(b, func(n int, req openaitest.Request) openaitest.Reply {
		if len(req.ToolResults()) == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{
				openaitest.Call("1", "find_cases", `{"status":"completed"}`),
				openaitest.Call("2", "case_status", `{"case":"jane"}`),
				openaitest.Call("3", "open_tasks", `{}`),
				openaitest.Call("4", "approvals_waiting", `{}`),
				openaitest.Call("5", "stats", `{}`),
				openaitest.Call("6", "find_cases", `{"status":"any","opened_from":"2026-11-01"}`),
			}}
		}
		return openaitest.Reply{Content: "ok"}
	})
	for _, who := range []struct {
		name string
		a    offboard.Actor
	}{{"hr", boss}, {"manager", mona}} {
		b.Run(who.name, func(b *testing.B) {
			m, err := assistant.NewModel(assistant.ModelOptions{Engine: w.engine, Roles: roles, BaseURL: fake.URL,
				Model: "bench", Clock: w.clock, Location: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if r, _ := m.Answer(w.ctx, who.a, "overview please"); r.Text != "ok" {
					b.Fatalf("reply %q", r.Text)
				}
			}
		})
	}
}
