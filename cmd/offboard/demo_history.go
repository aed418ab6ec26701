package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/store"
)

// demoHistoryCases is how many closed cases the demo writes for its past
// year, so the dashboard's analytics show real charts on the first run.
const demoHistoryCases = 120

// demoHistorySource marks the written cases: they are the demo's
// history, not offboardings anyone ran, and every page that shows the
// source says so.
const demoHistorySource = "demo history"

// demoHistoryTask is one task of a written case.
type demoHistoryTask struct {
	key, title string
	dept       offboard.Department
	automatic  bool
}

var demoHistoryTasks = []demoHistoryTask{
	{"okta_suspend", "Suspend the Okta account", offboard.DeptIT, true},
	{"okta_clear_sessions", "Clear Okta sessions and OAuth tokens", offboard.DeptIT, true},
	{"reclaim_licenses", "Reclaim SaaS licenses", offboard.DeptFinance, true},
	{"final_expenses", "Settle the final expense report", offboard.DeptFinance, false},
	{"collect_documents", "Collect signed documents", offboard.DeptHR, false},
	{"legal_hold", "Review legal hold", offboard.DeptLegal, false},
}

var demoHistoryFirst = []string{"Ana", "Ben", "Chloe", "Dev", "Emil", "Fatima", "Gus", "Hiro", "Ines", "Jon", "Kemi", "Lars", "Mei", "Noah", "Oona", "Pia", "Quinn", "Rui", "Sara", "Theo"}
var demoHistoryLast = []string{"Adler", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Gallo", "Haas", "Ito", "Jensen", "Kowal", "Lind", "Moreau", "Novak", "Ortiz", "Petrov"}

// seedDemoHistory writes a past year of closed cases into an empty demo
// store through the store's own transaction (cases, tasks and audit
// events, so the audit chain verifies), oldest first. It does nothing
// outside demo mode or when the store holds any case: it never adds to
// real data, and a restart does not write the year again.
func seedDemoHistory(ctx context.Context, cfg *config.Config, db *store.DB, now time.Time, log *slog.Logger) error {
	if !cfg.Demo {
		return nil
	}
	written := 0
	err := db.Update(ctx, func(tx offboard.Tx) error {
		last, err := tx.LastCaseNumber()
		if err != nil || last > 0 {
			return err
		}
		rng := rand.New(rand.NewPCG(2026, 12))
		hr := offboard.Actor{Kind: offboard.ActorPerson, ID: "hana.hr@example.com", Email: "hana.hr@example.com", Name: "Hana Hr"}
		runner := offboard.System("runner")
		start := now.AddDate(-1, 0, 0)
		step := now.Sub(start) / time.Duration(demoHistoryCases+2)
		var events []*offboard.AuditEvent
		for i := range demoHistoryCases {
			evs, err := writeDemoHistoryCase(tx, rng, i, now, start.Add(time.Duration(i)*step+time.Duration(rng.Int64N(int64(step/2)))), hr, runner)
			if err != nil {
				return err
			}
			events = append(events, evs...)
			written++
		}
		// The trail in the order things happened, as the engine writes it.
		slices.SortStableFunc(events, func(a, b *offboard.AuditEvent) int { return a.Time.Compare(b.Time) })
		for _, e := range events {
			if e.Time.After(now) {
				e.Time = now // a voluntary case whose last day is near today
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	if written > 0 {
		log.Info("demo: wrote a past year of closed cases for the analytics", "cases", written)
	}
	return nil
}

// writeDemoHistoryCase writes one closed case and its tasks and returns
// its audit events for the caller to append in time order.
func writeDemoHistoryCase(tx offboard.Tx, rng *rand.Rand, i int, now, at time.Time, hr, runner offboard.Actor) ([]*offboard.AuditEvent, error) {
	id, err := tx.NextCaseID()
	if err != nil {
		return nil, err
	}
	first, last := demoHistoryFirst[rng.IntN(len(demoHistoryFirst))], demoHistoryLast[rng.IntN(len(demoHistoryLast))]
	kind := offboard.Voluntary
	switch r := rng.IntN(20); {
	case r < 5:
		kind = offboard.Involuntary
	case r == 5:
		kind = offboard.Retirement
	case r == 6:
		kind = offboard.ContractEnd
	}
	// at is when access went for an involuntary exit, the last day for the
	// others (whose notice came weeks before).
	notice := at.UTC().Truncate(time.Minute)
	if kind != offboard.Involuntary {
		notice = notice.AddDate(0, 0, -(10 + rng.IntN(21)))
	}
	c := &offboard.Case{ID: id, Kind: kind, Playbook: "default", Source: demoHistorySource, Requester: hr, TimeZone: "UTC",
		Employee: offboard.Employee{Name: first + " " + last, Email: fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i+1),
			Department: []string{"Sales", "Engineering", "Support", "Marketing", "Operations"}[rng.IntN(5)], ManagerEmail: "mona.manager@example.com"},
		NoticeAt: notice, EffectiveAt: notice, CreatedAt: notice}
	// Revocation gets faster over the year (the team learned), with a
	// tail: some cases wait on a person, a few miss their deadline.
	speedup := 1.6 - float64(i)/demoHistoryCases
	var revoked time.Time
	if kind == offboard.Involuntary {
		c.LastDay = notice.Format(time.DateOnly)
		c.RevokeAt = notice
		mins := math.Exp(rng.NormFloat64()*0.9+2.0) * speedup
		if rng.IntN(12) == 0 {
			mins *= 12 // someone had to approve first
		}
		revoked = notice.Add(time.Duration(mins * float64(time.Minute)))
	} else {
		day := at.UTC()
		c.LastDay = day.Format(time.DateOnly)
		c.RevokeAt = time.Date(day.Year(), day.Month(), day.Day(), 18, 0, 0, 0, time.UTC)
		late := time.Duration(math.Exp(rng.NormFloat64()*0.8+1.0)*speedup) * time.Minute
		if rng.IntN(15) == 0 {
			late = time.Duration(6+rng.IntN(30)) * time.Hour // past the end of the last day
		}
		revoked = c.RevokeAt.Add(late)
	}
	cancelled := kind == offboard.Voluntary && rng.IntN(25) == 0
	events := []*offboard.AuditEvent{{Time: notice, Action: "case.opened", Actor: hr, Outcome: offboard.OutcomeOK,
		Detail: fmt.Sprintf("%s departure of %s (written by the demo as past history)", kind.Label(), c.Employee.Name)}}
	var tasks []*offboard.Task
	closed := revoked
	if cancelled {
		at := notice.Add(time.Duration(2+rng.IntN(72)) * time.Hour)
		c.Status, c.CancelReason, closed = offboard.CaseCancelled, "Stayed: accepted a counter-offer", at
		events = append(events, &offboard.AuditEvent{Time: at, Action: "case.cancelled", Actor: hr, Outcome: offboard.OutcomeOK, Detail: c.CancelReason})
	} else {
		c.Status, c.RevokedAt = offboard.CaseCompleted, &revoked
		for n, dt := range demoHistoryTasks {
			done := revoked
			by := runner.String()
			if !dt.automatic {
				done = notice.Add(time.Duration(4+rng.IntN(24*9)) * time.Hour)
				by = hr.Email
			} else if n > 0 {
				done = revoked.Add(time.Duration(n) * time.Second)
			}
			if done.After(now) {
				done = now.Add(-time.Duration(1+rng.IntN(120)) * time.Minute)
			}
			if done.Before(notice) {
				done = notice.Add(time.Minute)
			}
			closed = maxTime(closed, done)
			tasks = append(tasks, &offboard.Task{CaseID: id, Key: dt.key, Order: n, Department: dt.dept, Title: dt.title,
				Status: offboard.TaskDone, CompletedBy: by, CompletedAt: &done})
		}
		events = append(events, &offboard.AuditEvent{Time: revoked, Action: "case.access_revoked", Actor: runner, Outcome: offboard.OutcomeOK,
			Detail: "every revocation task is done and verified"})
		events = append(events, &offboard.AuditEvent{Time: closed, Action: "case.completed", Actor: runner, Outcome: offboard.OutcomeOK})
	}
	c.ClosedAt, c.UpdatedAt = &closed, closed
	c.Summary = offboard.Summarize(tasks, nil)
	if err := tx.PutCase(c); err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if err := tx.PutTask(t); err != nil {
			return nil, err
		}
	}
	for _, e := range events {
		e.CaseID = id
	}
	return events, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
