package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot"
)

// In the console: Run on "Deactivate the Okta account" while the data
// transfers wait opens the confirmation listing them and the risk; an
// empty reason is asked for again; a reason runs the task.
func TestConsole_RunBeforeDependencies(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: time.Now().AddDate(0, 0, 10).Format(time.DateOnly),
		Employee: offboard.Employee{Email: "jane.doe@example.com", ManagerEmail: "mona.manager@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	id := string(res.Case.ID)
	b := h.browser()
	b.actAs("ivan.it@example.com")
	run := offboard.ActionRef{Verb: offboard.VerbStart, CaseID: res.Case.ID, TaskKey: "okta_deactivate"}.Encode()
	_, body := b.post("/console/click", url.Values{"room": {id}, "value": {run}}, nil)
	text := html.UnescapeString(body)
	if !strings.Contains(body, `value="`+bot.FormRunOverride+`"`) || !strings.Contains(text, "Transfer Drive ownership (waiting for approval)") ||
		!strings.Contains(text, "unassigns every app") {
		t.Fatalf("Run did not open the confirmation:\n%.3000s", body)
	}
	if _, body = b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormRunOverride}, "reason": {""}}, nil); !strings.Contains(body, "Say why it cannot wait.") {
		t.Fatalf("an empty reason was not asked for again:\n%.2000s", body)
	}
	b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormRunOverride}, "reason": {"Drive exported by legal"}}, nil)
	v, err := h.engine.GetCase(ctx, offboard.System("test"), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range v.Tasks {
		if task.Key == "okta_deactivate" && task.Status != offboard.TaskRunning {
			t.Fatalf("okta_deactivate is %s after the confirmed override", task.Status)
		}
	}
}
