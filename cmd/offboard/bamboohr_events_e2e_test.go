package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

// BambooHR's recommended event-based webhook names only the employee:
// serve hands the intake its BambooHR API client, which reads Jane's
// record and opens the case. With the webhook secret but no API key the
// same delivery is a 422 naming the key.
func TestServe_BambooHREventBasedWebhook(t *testing.T) {
	bamboo := bamboohrtest.New(t)
	today := time.Now().UTC().Format(time.DateOnly)
	bamboo.AddEmployee(bamboohrtest.Employee{ID: "4242", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane.doe@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": today, "terminationType": "Dismissal"}})
	const secret = "bamboo-event-webhook-secret-0123"
	post := func(url string) (int, string) {
		d := bamboo.EventBased(bamboohrtest.WebhookConfig{PrivateKey: secret, ISOTimestamp: true}, time.Now(),
			"employee.updated", "4242", "employmentHistoryStatus")
		resp, err := d.Send(http.DefaultClient, url+"/webhooks/bamboohr")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	noKey := startApp(t, writeConfig(t, t.TempDir(), fmt.Sprintf(`hris:
  bamboohr:
    webhook_secret: %q
`, secret)), wireOptions{})
	if status, body := post(noKey.url); status != http.StatusUnprocessableEntity || !strings.Contains(body, "hris.bamboohr.api_key") {
		t.Fatalf("without an API key: %d %s", status, body)
	}

	live := startApp(t, writeConfig(t, t.TempDir(), fmt.Sprintf(`hris:
  bamboohr:
    webhook_secret: %q
    api_key: %q
    subdomain: %q
`, secret, bamboohrtest.Key, bamboohrtest.Subdomain)), wireOptions{bamboohrBaseURL: bamboo.URL()})
	if status, body := post(live.url); status != http.StatusAccepted || !strings.Contains(body, "OFF-0001") {
		t.Fatalf("event-based delivery: %d %s", status, body)
	}
	v := call(t, "GET", live.url+"/api/v1/cases/OFF-0001", hrToken, "").view(t)
	if v.Case.Kind != offboard.Involuntary || v.Case.Source != "hris:bamboohr" || v.Case.SourceRef != "4242" ||
		v.Case.Employee.Email != "jane.doe@example.com" || v.Case.Employee.Name != "Jane Doe" {
		t.Fatalf("case %+v", v.Case)
	}
}
