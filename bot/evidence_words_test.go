package bot_test

import (
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// sectionField is a field of the section headed heading on card c.
func sectionField(c offboard.Card, heading, label string) (string, bool) {
	for _, s := range c.Sections {
		if s.Heading != heading {
			continue
		}
		for _, f := range s.Fields {
			if f.Label == label {
				return f.Value, true
			}
		}
	}
	return "", false
}

// TestTaskCards_words: a task's evidence reads in words with the
// vendor's request id apart as a detail, and a task waiting for others
// names them by title, not by key.
func TestTaskCards_words(t *testing.T) {
	h := newHarness(t)
	id := h.open("jane.doe@example.com involuntary")
	v := h.view(id)
	var done, waiting *offboard.Task
	for _, tk := range v.Tasks {
		if tk.Department == offboard.DeptIT && waiting == nil && len(tk.After) > 0 {
			waiting = tk
		}
	}
	if waiting == nil {
		t.Fatal("no IT task waits for another in the default playbook")
	}
	for _, tk := range v.Tasks {
		if tk.Key == waiting.After[0] {
			done = tk
		}
	}
	waiting.Status, waiting.Button = offboard.TaskPending, ""
	done.Status = offboard.TaskDone
	done.Evidence = map[string]string{"status_after": "SUSPENDED", "okta_request_id": "req-42", "job": "OFF-1/x#1", "summary": "suspended"}
	var card offboard.Card
	for _, c := range bot.TaskCards(v, h.clock.Now(), nil) {
		if _, ok := sectionField(c, done.Title, offboard.FieldEvidence); ok {
			card = c
		}
	}
	ev, _ := sectionField(card, done.Title, offboard.FieldEvidence)
	if ev != "Status afterwards: SUSPENDED\nSummary: suspended" {
		t.Errorf("evidence %q, want labelled lines without the request id", ev)
	}
	details, _ := sectionField(card, done.Title, offboard.FieldDetails)
	if details != "Job: OFF-1/x#1\nOkta request id: req-42" {
		t.Errorf("details %q, want the job and the Okta request id", details)
	}
	for _, c := range bot.TaskCards(v, h.clock.Now(), nil) {
		if st, ok := sectionField(c, waiting.Title, "Status"); ok {
			if !strings.HasPrefix(st, "Waiting for "+done.Title) || strings.Contains(st, done.Key) {
				t.Errorf("status %q, want it to name %q by title", st, done.Key)
			}
			return
		}
	}
	t.Fatalf("no section for %q", waiting.Title)
}
