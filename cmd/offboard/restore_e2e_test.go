package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/okta/oktatest"
)

// HR rescinds a termination while the suspend is already running against
// Okta. The suspend completes after the cancel; IT then finds a Restore
// task on the cancelled case, clicks it once, and Jane is ACTIVE again in
// the fake Okta, with evidence of what could not come back.
func TestServe_CancelDuringSuspendThenRestore(t *testing.T) {
	fake := oktatest.New(t)
	jane := fake.AddUser(oktatest.User{Login: "jane.doe@example.com", Email: "jane.doe@example.com", FirstName: "Jane", LastName: "Doe",
		Factors: []oktatest.Factor{{FactorType: "push"}}, Sessions: 2})
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`okta:
  org_url: %q
  api_token: %q
  insecure_http_for_tests: true
`, fake.URL(), oktatest.Token))
	// Every Okta call takes a while, so the cancel lands mid-suspend.
	fake.Latency(300 * time.Millisecond)
	app := startApp(t, cfgPath, wireOptions{})

	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane); r.status != 201 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	eventually(t, "the suspend is leased by a worker", func() bool {
		leased := false
		_ = app.app.db.View(context.Background(), func(tx offboard.Tx) error {
			jobs, err := tx.JobsForCase("OFF-0001")
			for _, j := range jobs {
				if j.TaskKey == "okta_suspend" && j.Leased {
					leased = true
				}
			}
			return err
		})
		return leased
	})
	if r := call(t, "POST", app.url+"/api/v1/cases/OFF-0001/cancel", hrToken, `{"reason":"termination rescinded"}`); r.status != 200 {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	var v offboard.CaseView
	eventually(t, "the suspend finished after the cancel and IT has a restore task", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		r := taskByKey(v, "restore_okta")
		return r != nil && r.Status == offboard.TaskPending
	})
	if v.Case.Status != offboard.CaseCancelled || taskByKey(v, "okta_suspend").Status != offboard.TaskDone {
		t.Fatalf("case %s, suspend %s", v.Case.Status, taskByKey(v, "okta_suspend").Status)
	}
	if got, _ := fake.User(jane.ID); got.Status != "SUSPENDED" {
		t.Fatalf("Jane in Okta before the restore: %s", got.Status)
	}
	restore := taskByKey(v, "restore_okta")
	if restore.Department != offboard.DeptIT || restore.Params["okta_user"] != jane.ID || !strings.Contains(restore.Note, "Suspend the Okta account") {
		t.Fatalf("restore task = %+v", restore)
	}

	// One click by IT, through the chat router every platform uses.
	ivan := offboard.Actor{Kind: offboard.ActorPerson, Email: "ivan.it@example.com", Name: "Ivan", Platform: "test"}
	reply := app.app.router.Click(context.Background(), ivan, offboard.ActionRef{Verb: offboard.VerbStart, CaseID: "OFF-0001", TaskKey: "restore_okta"}.Encode())
	if reply.Ephemeral {
		t.Fatalf("restore click refused: %s", reply.Text)
	}
	eventually(t, "the restore is done and verified", func() bool {
		v = call(t, "GET", app.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
		return taskByKey(v, "restore_okta").Status == offboard.TaskDone
	})
	if got, _ := fake.User(jane.ID); got.Status != "ACTIVE" {
		t.Fatalf("Jane in Okta after the restore: %s", got.Status)
	}
	ev := taskByKey(v, "restore_okta").Evidence
	if ev["status_before"] != "SUSPENDED" || ev["status_after"] != "ACTIVE" || ev["okta_request_id"] == "" ||
		!strings.Contains(ev["not_restored"], "re-enrol MFA") {
		t.Fatalf("restore evidence %v", ev)
	}
	app.stop()
	code, out, _ := runCLI("audit", "export", "--config", cfgPath, "--case", "OFF-0001")
	for _, want := range []string{`"action":"case.cancelled"`, `"action":"task.restore_needed"`, `"target":"restore_okta"`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("audit export lacks %s:\n%s", want, out)
		}
	}
}
