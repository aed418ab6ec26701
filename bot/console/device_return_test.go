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

// In the console: Record the return opens the form; a day not yet come
// is asked for again beside its field; received and wiped settle the
// laptop's task, and the card shows the return.
func TestConsole_RecordDeviceReturn(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Email: "jane.doe@example.com", ManagerEmail: "mona.manager@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	id := string(res.Case.ID)
	b := h.browser()
	b.actAs("ivan.it@example.com")
	click := offboard.ActionRef{Verb: offboard.VerbRecordReturn, CaseID: res.Case.ID, TaskKey: "device_recover"}.Encode()
	_, body := b.post("/console/click", url.Values{"room": {id}, "value": {click}}, nil)
	if !strings.Contains(body, `value="`+bot.FormDeviceReturn+`"`) || !strings.Contains(body, `name="received_on"`) {
		t.Fatalf("the click did not open the return form:\n%.3000s", body)
	}
	_, body = b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormDeviceReturn},
		"shipping_ref": {"1Z999AA1"}, "received_on": {"2999-01-01"}, "wiped": {"no"}}, nil)
	if !strings.Contains(html.UnescapeString(body), "That day has not come yet.") {
		t.Fatalf("a future day was not refused beside its field:\n%.3000s", body)
	}
	today := time.Now().UTC().Format("2006-01-02")
	_, body = b.post("/console/submit", url.Values{"room": {id}, "form_id": {bot.FormDeviceReturn},
		"shipping_ref": {"1Z999AA1"}, "received_on": {today}, "wiped": {"yes"}}, nil)
	if !strings.Contains(html.UnescapeString(body), "shipping reference 1Z999AA1 · received "+today+" · wiped by ivan.it@example.com") {
		t.Errorf("the card does not show the return:\n%.4000s", body)
	}
	v, err := h.engine.GetCase(ctx, offboard.System("test"), res.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range v.Tasks {
		if task.Key == "device_recover" && task.Status != offboard.TaskDone {
			t.Fatalf("device_recover is %s after received and wiped", task.Status)
		}
	}
}
