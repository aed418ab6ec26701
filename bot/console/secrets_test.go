package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// In the console, "Show lock PIN" answers IT with a private note; the
// room, and the same browser acting as Finance, never show the PIN.
func TestConsole_RevealSecretPrivately(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "jane.doe@example.com", Name: "Jane Doe"}})
	if err != nil {
		t.Fatal(err)
	}
	const pin = "318064"
	var job *offboard.Job
	if err := h.db.View(ctx, func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(time.Now().Add(time.Hour), 0, nil)
		for _, j := range jobs {
			if j.Kind == offboard.JobAction && j.TaskKey == "okta_suspend" {
				job = j
			}
		}
		return err
	}); err != nil || job == nil {
		t.Fatalf("no suspend job (%v)", err)
	}
	if _, err := h.engine.Apply(ctx, offboard.ActionSucceeded{By: offboard.System("runner"), JobID: job.ID, Verified: true,
		Secrets: offboard.Secrets{"device_pin:mac1": pin}}); err != nil {
		t.Fatal(err)
	}
	id := string(res.Case.ID)
	b := h.browser()
	b.actAs("ivan.it@example.com")
	if _, room := b.get("/console/rooms/" + id); !strings.Contains(room, "Show lock PIN") || strings.Contains(room, pin) {
		t.Fatalf("the room: button shown %v, PIN shown %v", strings.Contains(room, "Show lock PIN"), strings.Contains(room, pin))
	}
	click := offboard.ActionRef{Verb: offboard.VerbRevealSecret, CaseID: res.Case.ID, TaskKey: "okta_suspend"}.Encode()
	_, body := b.post("/console/click", url.Values{"room": {id}, "value": {click}}, nil)
	private := strings.Join(privateBlocks(body), "\n")
	if !strings.Contains(private, "lock PIN "+pin) {
		t.Fatalf("IT got no private note with the PIN:\n%.3000s", body)
	}
	if strings.Count(body, pin) != strings.Count(private, pin) {
		t.Error("the PIN shows outside IT's private note")
	}

	b.actAs("fiona.finance@example.com")
	_, body = b.post("/console/click", url.Values{"room": {id}, "value": {click}}, nil)
	if strings.Contains(body, pin) || !strings.Contains(body, "may not run") {
		t.Errorf("Finance: PIN shown %v, refusal shown %v", strings.Contains(body, pin), strings.Contains(body, "may not run"))
	}
	b.actAs("hana.hr@example.com")
	if _, room := b.get("/console/rooms/" + id); strings.Contains(room, pin) {
		t.Error("HR's view of the room shows the PIN")
	}
}
