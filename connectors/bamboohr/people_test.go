package bamboohr_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

func TestClient_People(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(bamboohrtest.Employee{ID: "1", Fields: map[string]string{"workEmail": "ada@example.com", "status": "Active"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "2", Fields: map[string]string{"workEmail": " mona@example.com ", "firstName": "Mona", "lastName": "Manager", "supervisorEmail": "ada@example.com", "status": "Active"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "3", Fields: map[string]string{"workEmail": "left@example.com", "supervisorEmail": "mona@example.com", "status": "Inactive"}})
	fake.AddEmployee(bamboohrtest.Employee{ID: "4", Fields: map[string]string{"status": "Active"}}) // no work email: skipped

	people, err := newAPI(t, fake, bamboohrtest.Key).People(context.Background())
	if err != nil {
		t.Fatalf("People: %v", err)
	}
	want := []offboard.Person{{Email: "ada@example.com"}, {Email: "mona@example.com", Name: "Mona Manager", ManagerEmail: "ada@example.com"}}
	if !reflect.DeepEqual(people, want) {
		t.Errorf("people = %+v, want %+v", people, want)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/acme/v1/reports/custom" || reqs[0].Query != "format=JSON&onlyCurrent=true" {
		t.Errorf("requests = %+v, want one custom report of current employees", reqs)
	}

	if _, err := newAPI(t, fake, "wrong-key").People(context.Background()); offboard.ErrorCode(err) != offboard.EFORBIDDEN {
		t.Errorf("bad key: err = %v, want EFORBIDDEN", err)
	}
}
