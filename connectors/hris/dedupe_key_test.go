package hris_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr"
)

// A BambooHR webhook and a reconciliation run that find the same
// termination make the same dedupe key, with a termination date and
// without one: otherwise a lost-then-retried webhook and the hourly
// reconciliation would open two cases for one person.
func TestBambooHR_DedupeKeyMatchesReconciliation(t *testing.T) {
	for _, date := range []string{"2026-11-20", ""} {
		t.Run("date="+date, func(t *testing.T) {
			e := newEnv(t, nil)
			fields := `"workEmail":"jo@example.com","employmentHistoryStatus":"Terminated","terminationType":"Dismissal"`
			if date != "" {
				fields += `,"terminationDate":"` + date + `"`
			}
			w, resp := serve(e.in.BambooHR(), bambooReq([]byte(`{"employees":[{"id":"501","fields":{`+fields+`}}]}`), secret, now))
			if w.Code != http.StatusAccepted || len(resp.Cases) != 1 {
				t.Fatalf("webhook: %d %s", w.Code, w.Body)
			}
			d := e.engine.ReconcileTermination(offboard.ReconcileFinding{
				HR: bamboohr.System, Identity: "Okta", Today: now.Format(time.DateOnly),
				Termination: offboard.Termination{EmployeeID: "501", Email: "jo@example.com", TerminationDate: date,
					Kind: offboard.Involuntary, KindMapped: true, Type: "Dismissal"},
				Status: &offboard.AccountStatus{Found: true, Active: true, Status: "ACTIVE"},
			})
			if d.Open == nil {
				t.Fatalf("reconciliation opens nothing: %+v", d)
			}
			err := e.db.View(context.Background(), func(tx offboard.Tx) error {
				id, ok, err := tx.Dedupe(d.Open.DedupeKey)
				if err != nil {
					return err
				}
				if !ok || string(id) != resp.Cases[0].CaseID {
					t.Errorf("reconciliation's key %q finds %q (%v), want the webhook's case %s", d.Open.DedupeKey, id, ok, resp.Cases[0].CaseID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
