package bamboohr_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/bamboohr"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

var apiNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newAPI(t *testing.T, fake *bamboohrtest.Server, key string) *bamboohr.Client {
	t.Helper()
	api, err := bamboohr.New(config.BambooHR{APIKey: config.Secret(key), Subdomain: bamboohrtest.Subdomain},
		bamboohr.WithBaseURL(fake.URL()), bamboohr.WithClock(offboard.ClockFunc(func() time.Time { return apiNow })))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestClient_Terminated(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(bamboohrtest.Employee{ID: "10", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": "2026-03-05",
		"terminationType": "Dismissal", "supervisorEmail": "boss@example.com"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "11", Fields: map[string]string{
		"firstName": "Active", "workEmail": "active@example.com", "status": "Active", "employmentHistoryStatus": "Full-Time"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "12", Fields: map[string]string{
		"workEmail": "quit@example.com", "status": "Active", "terminationDate": "2026-03-01", "terminationType": "Something odd"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "13", Fields: map[string]string{
		"workEmail": "later@example.com", "status": "Active", "terminationDate": "2026-04-01"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "14", Changed: apiNow.AddDate(-1, 0, 0), Fields: map[string]string{
		"workEmail": "old@example.com", "status": "Inactive"}})

	got, err := newAPI(t, fake, bamboohrtest.Key).Terminated(context.Background(), apiNow.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("terminations = %+v, want employees 10 and 12", got)
	}
	want := offboard.Termination{EmployeeID: "10", Email: "jane@example.com", Name: "Jane Doe", ManagerEmail: "boss@example.com",
		TerminationDate: "2026-03-05", Kind: offboard.Involuntary, KindMapped: true, Type: "Dismissal"}
	if got[0] != want {
		t.Errorf("got %+v\nwant %+v", got[0], want)
	}
	if got[1].EmployeeID != "12" || got[1].Kind != offboard.Voluntary || got[1].KindMapped || got[1].TerminationDate != "2026-03-01" {
		t.Errorf("unmapped type: %+v", got[1])
	}
	for _, r := range fake.Requests() {
		if r.Status != 200 {
			t.Errorf("request %s %s?%s = %d", r.Method, r.Path, r.Query, r.Status)
		}
	}
}

func TestClient_Errors(t *testing.T) {
	fake := bamboohrtest.New(t)
	const wrong = "wrong-key-do-not-leak-42"
	_, err := newAPI(t, fake, wrong).Terminated(context.Background(), apiNow)
	if offboard.ErrorCode(err) != offboard.EFORBIDDEN || !strings.Contains(err.Error(), "api_key") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("wrong key: %v", err)
	}

	api := newAPI(t, fake, bamboohrtest.Key)
	fake.Fail(http.StatusTooManyRequests)
	_, err = api.Terminated(context.Background(), apiNow)
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); !ok || !rl.Reset.Equal(apiNow.Add(30*time.Second)) {
		t.Fatalf("429: %v", err)
	}
	fake.Fail(http.StatusBadGateway)
	_, err = api.Terminated(context.Background(), apiNow)
	if _, permanent := errors.AsType[*offboard.Error](err); err == nil || permanent {
		t.Fatalf("502 should be a plain (retryable) error: %v", err)
	}

	for _, sub := range []string{"", "acme/../x", "a b"} {
		if _, err := bamboohr.New(config.BambooHR{APIKey: "k", Subdomain: sub}); err == nil {
			t.Errorf("subdomain %q accepted", sub)
		}
	}
	if _, err := bamboohr.New(config.BambooHR{Subdomain: "acme"}); err == nil {
		t.Error("no key accepted")
	}
}
