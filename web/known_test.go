package web_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/web"
)

// A typo in an API call is refused with 422 and the nearest known email;
// "confirm_unknown": true opens the case for someone outside the
// directory.
func TestServer_CreateCaseUnknownEmail(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "known.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	dir := offboard.NewDirectory("okta")
	dir.SetLabel("okta", "Okta")
	dir.Set("okta", []offboard.Person{{Email: "jane.doe@example.com", Name: "Jane Doe", ManagerEmail: "mona.manager@example.com"}}, time.Now())
	eng := flowstest.New(t, flowstest.Options{Store: db, Lookup: dir.Lookup})
	h := newHarness(t, func(o *web.Options) { o.Engine = eng })

	r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken,
		body: newCase("jane.doe@exmaple.com", "involuntary")})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("typo: status %d: %s", r.status, r.body)
	}
	var body struct {
		Error struct {
			Code    string                  `json:"code"`
			Message string                  `json:"message"`
			Unknown []offboard.UnknownEmail `json:"unknown"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	e := body.Error
	if e.Code != offboard.EINVALID || !strings.Contains(e.Message, "did you mean jane.doe@example.com?") ||
		!strings.Contains(e.Message, "confirm_unknown") {
		t.Errorf("error = %+v", e)
	}
	if len(e.Unknown) != 1 || e.Unknown[0].Field != "employee" || e.Unknown[0].Email != "jane.doe@exmaple.com" ||
		e.Unknown[0].Suggestion != "jane.doe@example.com" || len(e.Unknown[0].Sources) != 1 || e.Unknown[0].Sources[0] != "Okta" {
		t.Errorf("unknown = %+v", e.Unknown)
	}

	confirmed := newCase("contractor@agency.example", "involuntary")
	confirmed["confirm_unknown"] = true
	r = h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken, body: confirmed})
	if r.status != http.StatusCreated {
		t.Fatalf("confirmed: status %d: %s", r.status, r.body)
	}
	if c := r.caseBody(t); c.Case.Employee.Email != "contractor@agency.example" {
		t.Errorf("case for %q", c.Case.Employee.Email)
	}
	// Confirming is not a right: a finance token still may not open cases.
	r = h.do(request{method: "POST", path: "/api/v1/cases", token: financeToken, body: confirmed})
	if r.status != http.StatusForbidden {
		t.Errorf("finance confirming: status %d: %s", r.status, r.body)
	}
}
