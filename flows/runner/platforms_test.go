package runner_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/runner"
)

// A notice job for one platform goes to that platform's notifier only; a
// job without a platform (queued before platforms had their own) goes to
// Notifier; a job for a platform no longer wired is a dead letter.
func TestRunner_runNotify_byPlatform(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := e.open("jane@example.com", offboard.Voluntary, "2026-03-13")
	id := res.Case.ID
	now := e.clock.Now()
	put := func(jobID, platform string) {
		j := &offboard.Job{ID: jobID, Kind: offboard.JobNotify, CaseID: id, Platform: platform, Priority: offboard.PriorityChat,
			Notice: &offboard.Notice{Kind: offboard.NoticeCaseEscalated, CaseID: id, Text: jobID}, NotBefore: now, CreatedAt: now}
		update := func(tx offboard.Tx) error { return tx.PutJob(j) }
		if err := e.db.Update(context.Background(), update); err != nil {
			t.Fatal(err)
		}
	}
	put(string(id)+"/test#1:slack", "slack")
	put(string(id)+"/test#2:teams", "teams")
	put(string(id)+"/test#3", "")
	put(string(id)+"/test#4:gone", "gone")
	all, slack, teams := newLedger(e.clock), newLedger(e.clock), newLedger(e.clock)
	r, _ := e.start(runner.Options{Actions: all.registry(t), Notifier: all,
		Platforms: map[string]offboard.Notifier{"slack": slack, "teams": teams}, Workers: 1})
	r.Wake()
	waitFor(t, "the test notices settled", func() bool {
		for _, j := range e.jobs(id) {
			if strings.Contains(j.ID, "/test#") {
				return false
			}
		}
		return true
	}, nil)
	texts := func(l *ledger) []string {
		l.mu.Lock()
		defer l.mu.Unlock()
		var out []string
		for _, n := range l.notices {
			if strings.Contains(n.Text, "/test#") {
				out = append(out, n.Text)
			}
		}
		return out
	}
	if got := texts(slack); !slices.Equal(got, []string{string(id) + "/test#1:slack"}) {
		t.Errorf("slack heard %q", got)
	}
	if got := texts(teams); !slices.Equal(got, []string{string(id) + "/test#2:teams"}) {
		t.Errorf("teams heard %q", got)
	}
	if got := texts(all); !slices.Equal(got, []string{string(id) + "/test#3"}) {
		t.Errorf("the notice without a platform went to %q", got)
	}
	dead := e.dead()[string(id)+"/test#4:gone"]
	if dead == nil || !strings.Contains(dead.LastError, `"gone"`) {
		t.Errorf("the notice for an unwired platform: dead letter %+v", dead)
	}
}
