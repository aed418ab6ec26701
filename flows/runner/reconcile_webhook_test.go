package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	"github.com/offboard-dev/offboard/connectors/hris"
)

// Terminations BambooHR's webhook delivered, with a date and without,
// then found again by reconciliation while still active in Okta, open no
// second case: both make the key with offboard.HRDedupeKey, so the
// engine takes reconciliation's notice for the webhook's, repeated (not
// for another notice about someone with an open case).
func TestReconcile_AfterWebhookSameKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	const secret = "bamboo-webhook-secret-0123"
	cfg := config.Default().HRIS
	cfg.BambooHR.WebhookSecret = secret
	in, err := hris.New(hris.Options{Engine: e.engine, Config: cfg, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"employees":[
	 {"id":"4242","fields":{"firstName":"Jane","lastName":"Doe","workEmail":"jane@example.com","supervisorEmail":"boss@example.com",
	  "employmentHistoryStatus":"Terminated","terminationDate":"2026-02-27","terminationType":"Dismissal"}},
	 {"id":"77","fields":{"firstName":"Udo","lastName":"Undated","workEmail":"udo@example.com",
	  "employmentHistoryStatus":"Terminated","terminationType":"Dismissal"}}]}`)
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/bamboohr", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-BambooHR-Timestamp", ts)
	req.Header.Set("X-BambooHR-Signature", bamboohrtest.Sign(secret, body, ts))
	w := httptest.NewRecorder()
	in.BambooHR().ServeHTTP(w, req)
	if w.Code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", w.Code, w.Body)
	}

	udo := jane(offboard.Involuntary, "")
	udo.EmployeeID, udo.Email, udo.Name = "77", "udo@example.com", "Udo Undated"
	r := newReconciler(t, e, &fakeHR{terms: []offboard.Termination{jane(offboard.Involuntary, "2026-02-27"), udo}},
		&fakeIdP{status: map[string]string{"jane@example.com": "ACTIVE", "udo@example.com": "ACTIVE"}})
	rep := run(t, r)
	if rep.StillActive != 2 || rep.Opened != 0 || rep.Flagged != 2 || len(rep.Problems) != 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, email := range []string{"jane@example.com", "udo@example.com"} {
		cases := e.casesOf(email)
		if len(cases) != 1 {
			t.Fatalf("%s: %d cases", email, len(cases))
		}
		repeated := false
		err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{CaseID: cases[0].ID}, func(ev *offboard.AuditEvent) error {
			if ev.Action == "case.duplicate_notice" && ev.Actor.ID == "reconcile:bamboohr" {
				repeated = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !repeated {
			t.Errorf("%s: reconciliation's notice was not the webhook's repeated (another key)", email)
		}
	}
}
