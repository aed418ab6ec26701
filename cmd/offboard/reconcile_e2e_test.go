package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// The webhook was lost: BambooHR says Jane was dismissed yesterday, Okta
// still has her ACTIVE. The reconciliation opens the case, and the
// runner suspends her in Okta with no click. A second run opens nothing.
func TestServe_ReconcileOpensCaseForLostWebhook(t *testing.T) {
	okta := oktatest.New(t)
	jane := okta.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com",
		FirstName: "Jane", LastName: "Doe", Status: "ACTIVE", Sessions: 1})
	bamboo := bamboohrtest.New(t)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	bamboo.AddEmployee(bamboohrtest.Employee{ID: "4242", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane.doe@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": yesterday, "terminationType": "Dismissal",
	}})
	bamboo.AddEmployee(bamboohrtest.Employee{ID: "7", Fields: map[string]string{
		"firstName": "Still", "lastName": "Here", "workEmail": "still.here@example.com", "status": "Active",
	}})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
hris:
  bamboohr:
    api_key: %q
    subdomain: %q
`, okta.URL(), oktatest.Token, bamboohrtest.Key, bamboohrtest.Subdomain))
	live := startApp(t, cfgPath, wireOptions{bamboohrBaseURL: bamboo.URL()})
	a := live.app
	if a.reconciler == nil {
		t.Fatalf("reconciliation is off: %s", a.reconcileOff)
	}

	// serve reconciles once at start: the lost webhook is caught without
	// waiting for the hourly run.
	var v offboard.CaseView
	eventually(t, "suspended in Okta", func() bool {
		v = call(t, "GET", live.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		got, _ := okta.User(jane.ID)
		return got.Status == "SUSPENDED" && taskByKey(v, "okta_suspend") != nil &&
			taskByKey(v, "okta_suspend").Status == offboard.TaskDone
	})
	if v.Case.Kind != offboard.Involuntary || v.Case.Source != "reconcile:bamboohr" || v.Case.SourceRef != "4242" ||
		!strings.Contains(v.Case.Notes, "terminated in BambooHR on "+yesterday+" but still ACTIVE in Okta") {
		t.Fatalf("case %+v", v.Case)
	}

	// She is suspended now: the next run finds nothing to do.
	rep, err := a.reconciler.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Opened != 0 || rep.Flagged != 0 || rep.StillActive != 0 {
		t.Fatalf("second report %+v", rep)
	}
	if r := call(t, "GET", live.url+"/api/v1/cases/OFF-0002", hrToken, ""); r.status != 404 {
		t.Fatalf("a second case: %d %s", r.status, r.body)
	}
}

func TestWire_ReconcileOffWithoutBambooHRAPI(t *testing.T) {
	okta := oktatest.New(t)
	cfgPath := writeConfig(t, t.TempDir(), fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
`, okta.URL(), oktatest.Token))
	a := startApp(t, cfgPath, wireOptions{}).app
	if a.reconciler != nil || !strings.Contains(a.reconcileOff, "hris.bamboohr.api_key") {
		t.Fatalf("reconciler %v, off because %q", a.reconciler, a.reconcileOff)
	}
}
