package bamboohr_test

import (
	"context"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

func TestClient_HRRecord(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(bamboohrtest.Employee{ID: "10", Fields: map[string]string{
		"firstName": "Jane", "lastName": " Doe ", "workEmail": "jane@example.com", "status": "Inactive",
		"employmentHistoryStatus": "Terminated", "terminationDate": "2026-03-05", "terminationType": "Dismissal",
		"supervisorEmail": "boss@example.com", "jobTitle": "Engineer", "department": "R&D", "location": "Berlin"}})
	api := newAPI(t, fake, bamboohrtest.Key)
	got, err := api.HRRecord(context.Background(), "10")
	if err != nil {
		t.Fatal(err)
	}
	want := offboard.HRRecord{
		Employee: offboard.Employee{HRISID: "10", Name: "Jane Doe", Email: "jane@example.com", ManagerEmail: "boss@example.com",
			Title: "Engineer", Department: "R&D", Location: "Berlin"},
		Status: "Inactive", EmploymentStatus: "Terminated", TerminationDate: "2026-03-05", TerminationType: "Dismissal",
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := api.HRRecord(context.Background(), "99"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
		t.Errorf("unknown employee: %v, want ENOTFOUND", err)
	}
	if _, err := newAPI(t, fake, "wrong-key").HRRecord(context.Background(), "10"); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("wrong key: %v, want EFORBIDDEN", err)
	}
	if s := api.HRSystem(); s.Name != "bamboohr" || s.Label != "BambooHR" {
		t.Errorf("system %+v", s)
	}
}
