package flows_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

// The engine is the belt behind the runner: an action error that still
// holds a secret (in any encoding), and a note a person pastes one into,
// are stored, audited and posted without it.
func TestEngine_Redact(t *testing.T) {
	const secret = "sk-live+secret/value=0123456789"
	h := newHarness(t, func(o *flows.Options) { o.Redactor = offboard.NewRedactor(secret) })
	c := h.open(offboard.Involuntary, "")
	job := h.actionJobs()[0]
	h.apply(offboard.ActionFailed{By: runner, JobID: job.ID, Retryable: false,
		Error: "upstream said: client_secret=" + url.QueryEscape(secret) + " key " + secret})

	var texts []string
	tk := h.task(c.ID, job.TaskKey)
	if tk.Status != offboard.TaskFailed {
		t.Fatalf("task %s, want failed", tk.Status)
	}
	texts = append(texts, tk.LastError)
	dead, err := h.db.DeadJobs(h.ctx)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v %v", dead, err)
	}
	texts = append(texts, dead[0].LastError)
	for _, j := range h.readyJobs() {
		if j.Notice != nil {
			texts = append(texts, j.Notice.Text)
		}
	}
	h.apply(offboard.CompleteTask{By: it, CaseID: c.ID, TaskKey: job.TaskKey, Note: "checked by hand with token " + secret})
	for _, v := range h.task(c.ID, job.TaskKey).Evidence {
		texts = append(texts, v)
	}
	err = h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(ev *offboard.AuditEvent) error {
		texts = append(texts, ev.Detail, ev.Target)
		for _, v := range ev.Evidence {
			texts = append(texts, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(texts, "\n")
	if strings.Contains(all, secret) || strings.Contains(all, url.QueryEscape(secret)) {
		t.Fatalf("the secret was stored:\n%s", all)
	}
	if n := strings.Count(all, offboard.Redacted); n < 6 {
		t.Errorf("%d redactions, want the error in the task, job, notice, audit and the note:\n%s", n, all)
	}
}

// The reason given for running a task out of order is text people type
// and only the audit keeps it: the engine's audit writer removes a secret
// pasted into it (no command-level step is needed for it).
func TestEngine_RedactOverrideReason(t *testing.T) {
	const secret = "sk-live+secret/value=0123456789"
	h := newHarness(t, func(o *flows.Options) { o.Redactor = offboard.NewRedactor(secret) })
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.StartTask{By: it, CaseID: c.ID, TaskKey: "okta_deactivate", Override: true,
		Reason: "the vault says " + secret})
	var all []string
	err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(ev *offboard.AuditEvent) error {
		all = append(all, ev.Detail, ev.Target)
		for _, v := range ev.Evidence {
			all = append(all, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(all, "\n")
	if strings.Contains(text, secret) || !strings.Contains(text, offboard.Redacted) {
		t.Fatalf("the override's reason was stored with the secret, or not at all:\n%s", text)
	}
}
