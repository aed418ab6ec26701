package store_test

import (
	"context"
	"testing"

	"github.com/offboard-dev/offboard"
)

func TestDB_AuditLog(t *testing.T) {
	db := openDB(t)
	log := db.AuditLog(offboard.NewRedactor("xoxb-very-secret"))
	err := log.Append(context.Background(), offboard.AuditEvent{Time: t0, Actor: offboard.System("hris:generic"),
		Action: "webhook.rejected", Target: "xoxb-very-secret", Outcome: offboard.OutcomeRefused,
		Detail: "bad token xoxb-very-secret", Evidence: map[string]string{"body": "token=xoxb-very-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []offboard.AuditEvent
	err = db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		got = append(got, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("events = %d, want 1", len(got))
	}
	e := got[0]
	if e.Action != "webhook.rejected" || e.Target != offboard.Redacted || e.Detail != "bad token "+offboard.Redacted ||
		e.Evidence["body"] != "token="+offboard.Redacted || e.Seq != 1 || e.Hash == "" {
		t.Errorf("stored %+v: want the secret redacted everywhere and the event chained", e)
	}
	if res, err := db.VerifyAudit(context.Background()); err != nil || !res.OK {
		t.Errorf("verify: %+v, %v", res, err)
	}
}
