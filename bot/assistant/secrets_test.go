package assistant_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
)

// TestModel_NeverSeesSecrets: a task holding a lock PIN reaches the
// model's tools, and the rules' answer, with the secret's name at most;
// no request sent to the model holds the PIN.
func TestModel_NeverSeesSecrets(t *testing.T) {
	w := newWorld(t)
	const pin = "864209"
	res, err := w.engine.Apply(w.ctx, offboard.StartTask{By: boss, CaseID: w.ids["jane"], TaskKey: "okta_suspend"})
	if err != nil || res.JobsQueued == 0 {
		t.Fatalf("start: %v (%d jobs)", err, res.JobsQueued)
	}
	var job *offboard.Job
	if err := w.db.View(w.ctx, func(tx offboard.Tx) error {
		jobs, err := tx.ReadyJobs(w.clock.Now(), 0, nil)
		for _, j := range jobs {
			if j.Kind == offboard.JobAction && j.CaseID == w.ids["jane"] && j.TaskKey == "okta_suspend" {
				job = j
			}
		}
		return err
	}); err != nil || job == nil {
		t.Fatalf("no suspend job (%v)", err)
	}
	if _, err := w.engine.Apply(w.ctx, offboard.ActionSucceeded{By: offboard.System("runner"), JobID: job.ID, Verified: true,
		Secrets: offboard.Secrets{"device_pin:mac1": pin}}); err != nil {
		t.Fatal(err)
	}
	var result string
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", "case_status", `{"case":"jane"}`)}}
		}
		result, _ = req.Result("c1")
		return openaitest.Reply{Content: "Jane's Okta account is suspended."}
	})
	w.askModel(newModel(t, w, fake), boss, "where is Jane's offboarding?")
	if !strings.Contains(result, "device_pin:mac1") {
		t.Errorf("the tool result does not name the secret (is the task there?):\n%s", result)
	}
	for i, req := range fake.Requests() {
		raw, _ := json.Marshal(req)
		if strings.Contains(string(raw), pin) {
			t.Errorf("request %d to the model holds the PIN", i)
		}
	}
	if text := w.ask(boss, "status of "+string(w.ids["jane"])); strings.Contains(text, pin) {
		t.Error("the rules' answer holds the PIN")
	}
}
