package runner_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
	"github.com/offboard-dev/offboard/flows/runner"
)

// An action and a notifier that fail with what an upstream echoed (the
// secret, raw and URL-encoded, in a long error page): the runner reports
// and stores the error without the secret, cut to size. The engine here
// has no redactor, so only the runner stands in the way.
func TestRunner_Redactor(t *testing.T) {
	const secret = "client+secret/value=0123456789"
	echo := "upstream said: client_secret=" + url.QueryEscape(secret) + " key " + secret + " " + strings.Repeat("x", 3000)
	e := newEnv(t, envOptions{})
	l := newLedger(e.clock)
	l.fail = func(req connectors.Request, _ int) error {
		if req.Action == "okta.suspend" {
			return errors.New(echo) // not an *offboard.Error: permanent
		}
		return nil
	}
	notifier := notifierFunc(func(ctx context.Context, n offboard.Notice) error { return errors.New(echo) })
	r, _ := e.start(runner.Options{Actions: l.registry(t), Notifier: notifier, Workers: 1,
		BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond, Redactor: offboard.NewRedactor(secret)})
	res := e.open("jane@example.com", offboard.Involuntary, "")
	r.Wake()
	id := res.Case.ID
	tasks := e.waitTasks(id, offboard.TaskFailed, "okta_suspend")
	var stored []string
	stored = append(stored, tasks["okta_suspend"].LastError)
	waitFor(t, "a notice failed", func() bool {
		for _, j := range e.jobs(id) {
			if j.Kind == offboard.JobNotify && j.LastError != "" {
				return true
			}
		}
		return false
	}, nil)
	for _, j := range e.jobs(id) {
		stored = append(stored, j.LastError)
	}
	for _, j := range e.dead() {
		stored = append(stored, j.LastError)
	}
	all := strings.Join(stored, "\n")
	if strings.Contains(all, secret) || strings.Contains(all, url.QueryEscape(secret)) {
		t.Fatalf("the secret was stored:\n%.2000s", all)
	}
	if got := tasks["okta_suspend"].LastError; !strings.Contains(got, offboard.Redacted) || len([]rune(got)) > 1001 {
		t.Errorf("task error = %d runes: %.200s", len([]rune(got)), got)
	}
}
