package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/web"
)

// TestAPI_TaskSecretsShownAsSet: a task holding a lock PIN reads through
// the JSON API, one case or the list, with the secret's name and "set",
// never the PIN.
func TestAPI_TaskSecretsShownAsSet(t *testing.T) {
	var eng offboard.CaseService
	h := newHarness(t, func(o *web.Options) { eng = o.Engine })
	c := h.open("jane.doe@example.com", "involuntary")
	const pin = "593108"
	var job *offboard.Job
	if err := h.db.View(context.Background(), func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(time.Now().Add(time.Hour), 0, nil)
		for _, j := range jobs {
			if j.Kind == offboard.JobAction && j.CaseID == c.Case.ID && j.TaskKey == "okta_suspend" {
				job = j
			}
		}
		return err
	}); err != nil || job == nil {
		t.Fatalf("no suspend job (%v)", err)
	}
	if _, err := eng.Apply(context.Background(), offboard.ActionSucceeded{By: offboard.System("runner"), JobID: job.ID, Verified: true,
		Secrets: offboard.Secrets{"device_pin:mac1": pin}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/cases/" + string(c.Case.ID), "/api/v1/cases?status=open"} {
		r := h.do(request{method: "GET", path: path, token: adminToken})
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, r.status, r.body)
		}
		if body := string(r.body); strings.Contains(body, pin) || !strings.Contains(body, `"device_pin:mac1":"set"`) {
			t.Errorf("%s: PIN present %v, name set present %v", path, strings.Contains(body, pin), strings.Contains(body, `"set"`))
		}
	}
	if strings.Contains(h.logs.String(), pin) {
		t.Error("the server logged the PIN")
	}
}
