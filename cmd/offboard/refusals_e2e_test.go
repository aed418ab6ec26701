package main

import (
	"context"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// Refusals counted for a summary reach the audit chain when offboard
// stops, before the minute is over.
func TestServe_RefusalSummaryFlushedOnShutdown(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "hris:\n  generic:\n    token: \"generic-token-0123456789\"\n")
	app := startApp(t, path, wireOptions{})
	for range 5 {
		if r := call(t, "POST", app.url+"/webhooks/hris", "wrong-token-0123456789", `{}`); r.status != 401 {
			t.Fatalf("bad token: %d %s", r.status, r.body)
		}
	}
	app.stop()
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first, summary []*offboard.AuditEvent
	_ = db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		switch {
		case e.Action == "webhook.rejected":
			first = append(first, e)
		case strings.HasPrefix(e.Action, "webhook.rejected.summary"):
			summary = append(summary, e)
		}
		return nil
	})
	if len(first) != 1 || len(summary) != 1 || summary[0].Evidence["count"] != "4" {
		t.Fatalf("first %d, summaries %+v", len(first), summary)
	}
}
