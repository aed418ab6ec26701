package hris_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors/bamboohr/bamboohrtest"
)

// terminatedJane is a BambooHR employee whose termination took effect.
func terminatedJane() bamboohrtest.Employee {
	return bamboohrtest.Employee{ID: "4012", Fields: map[string]string{
		"firstName": "Jane", "lastName": "Doe", "workEmail": "jane@example.com", "supervisorEmail": "mona@example.com",
		"status": "Inactive", "employmentHistoryStatus": "Terminated", "terminationDate": "2026-11-26",
		"terminationType": "Dismissal", "jobTitle": "Engineer"}}
}

// A field-based webhook as BambooHR sets it up by default posts fields
// under their English names ("Work Email", "Employment Status"): it
// opens the case.
func TestBambooHR_EnglishFieldNames(t *testing.T) {
	for _, form := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "form"}[form], func(t *testing.T) {
			fake := bamboohrtest.New(t)
			fake.AddEmployee(terminatedJane())
			e := newEnv(t, nil)
			d := fake.FieldBased(bamboohrtest.WebhookConfig{PrivateKey: secret, Form: form}, now,
				[]string{"employmentHistoryStatus"}, "4012")
			if !strings.Contains(string(d.Body), "Employment") || !strings.Contains(string(d.Body), "Work") {
				t.Fatalf("the fake did not post English names: %s", d.Body)
			}
			w, resp := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
			if w.Code != http.StatusAccepted || len(resp.Cases) != 1 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			cs := e.cases(t)
			if len(cs) != 1 {
				t.Fatalf("%d cases", len(cs))
			}
			c := cs[0].Case
			if c.Employee.Email != "jane@example.com" || c.Employee.Name != "Jane Doe" || c.Employee.ManagerEmail != "mona@example.com" ||
				c.Kind != offboard.Involuntary || c.LastDay != "2026-11-26" || c.Employee.HRISID != "4012" {
				t.Errorf("case %+v", c)
			}
		})
	}
}

// Field names match without regard to case, spaces or underscores, so
// an admin's aliases in any style work.
func TestBambooHR_FieldNameVariants(t *testing.T) {
	styles := map[string]map[string]string{
		"camelCase": {"workEmail": "workEmail", "employmentHistoryStatus": "employmentHistoryStatus", "firstName": "firstName",
			"lastName": "lastName", "terminationDate": "terminationDate", "terminationType": "terminationType"},
		"snake_case": {"workEmail": "work_email", "employmentHistoryStatus": "employment_status", "firstName": "first_name",
			"lastName": "last_name", "terminationDate": "termination_date", "terminationType": "termination_type",
			"supervisorEmail": "supervisor_email", "status": "status"},
		"UPPER CASE": {"workEmail": "WORK EMAIL", "employmentHistoryStatus": "EMPLOYMENT STATUS", "firstName": "FIRST NAME",
			"lastName": "LAST NAME", "terminationDate": "TERMINATION DATE", "terminationType": "TERMINATION TYPE",
			"supervisorEmail": "SUPERVISOR EMAIL", "status": "STATUS"},
		"mixed": {"workEmail": "Work email", "employmentHistoryStatus": "employment Status", "firstName": "first-name",
			"terminationDate": "Termination_Date"},
	}
	for name, aliases := range styles {
		t.Run(name, func(t *testing.T) {
			fake := bamboohrtest.New(t)
			fake.AddEmployee(terminatedJane())
			e := newEnv(t, nil)
			d := fake.FieldBased(bamboohrtest.WebhookConfig{PrivateKey: secret, Aliases: aliases}, now,
				[]string{"employmentHistoryStatus"}, "4012")
			w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
			if w.Code != http.StatusAccepted {
				t.Fatalf("%d %s (body %s)", w.Code, w.Body, d.Body)
			}
			cs := e.cases(t)
			if len(cs) != 1 || cs[0].Case.Employee.Email != "jane@example.com" || cs[0].Case.Kind != offboard.Involuntary ||
				!strings.HasPrefix(cs[0].Case.Employee.Name, "Jane") {
				t.Fatalf("cases %+v", cs)
			}
		})
	}
}

// A delivery whose English-named fields say the employee is active is a
// 422 naming the fields under BambooHR's own names as sent.
func TestBambooHR_EnglishNamesNotTerminated(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(bamboohrtest.Employee{ID: "77", Fields: map[string]string{
		"workEmail": "stay@example.com", "status": "Active", "employmentHistoryStatus": "Full-Time", "terminationDate": ""}})
	e := newEnv(t, nil)
	d := fake.FieldBased(bamboohrtest.WebhookConfig{PrivateKey: secret}, now, []string{"employmentHistoryStatus"}, "77")
	w, resp := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
	if w.Code != http.StatusUnprocessableEntity || resp.Error == nil ||
		!strings.Contains(resp.Error.Message, `77 (not terminated: employmentHistoryStatus "Full-Time", status "Active"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// X-BambooHR-Timestamp may be ISO 8601 (as in some documented samples)
// or unix seconds; either way the signature covers it as sent and a
// time more than 5 minutes off is refused.
func TestBambooHR_ISOTimestamp(t *testing.T) {
	fake := bamboohrtest.New(t)
	fake.AddEmployee(terminatedJane())
	e := newEnv(t, nil)
	iso := bamboohrtest.WebhookConfig{PrivateKey: secret, ISOTimestamp: true}
	d := fake.FieldBased(iso, now.Add(-time.Minute), []string{"status"}, "4012")
	if ts := d.Header.Get("X-BambooHR-Timestamp"); !strings.Contains(ts, "T") {
		t.Fatalf("the fake sent %q, not ISO", ts)
	}
	w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr"))
	if w.Code != http.StatusAccepted {
		t.Fatalf("ISO +0000: %d %s", w.Code, w.Body)
	}
	// Other ISO spellings, signed as sent.
	for _, ts := range []string{now.Format(time.RFC3339), now.Add(2 * time.Minute).Format("2006-01-02T15:04:05.000Z07:00"),
		now.In(time.FixedZone("", -7*3600)).Format(time.RFC3339)} {
		r := d.Request("/webhooks/bamboohr")
		r.Header.Set("X-BambooHR-Timestamp", ts)
		r.Header.Set("X-BambooHR-Signature", bamboohrtest.Sign(secret, d.Body, ts))
		if w, _ := serve(e.in.BambooHR(), r); w.Code != http.StatusAccepted {
			t.Errorf("%s: %d %s", ts, w.Code, w.Body)
		}
	}
	unix := fake.FieldBased(bamboohrtest.WebhookConfig{PrivateKey: secret}, now, []string{"status"}, "4012")
	if w, _ := serve(e.in.BambooHR(), unix.Request("/webhooks/bamboohr")); w.Code != http.StatusAccepted {
		t.Errorf("unix: %d %s", w.Code, w.Body)
	}

	// The skew check still holds for ISO times.
	before := len(e.audits)
	for _, at := range []time.Time{now.Add(-6 * time.Minute), now.Add(6 * time.Minute)} {
		d := fake.FieldBased(iso, at, []string{"status"}, "4012")
		if w, _ := serve(e.in.BambooHR(), d.Request("/webhooks/bamboohr")); w.Code != http.StatusUnauthorized {
			t.Errorf("ISO %s: %d %s", at, w.Code, w.Body)
		}
	}
	// A timestamp changed after signing breaks the signature.
	r := d.Request("/webhooks/bamboohr")
	r.Header.Set("X-BambooHR-Timestamp", now.Format(time.RFC3339))
	if w, _ := serve(e.in.BambooHR(), r); w.Code != http.StatusUnauthorized {
		t.Errorf("re-written timestamp: %d", w.Code)
	}
	// Not a time at all, though signed.
	r = d.Request("/webhooks/bamboohr")
	r.Header.Set("X-BambooHR-Timestamp", "yesterday")
	r.Header.Set("X-BambooHR-Signature", bamboohrtest.Sign(secret, d.Body, "yesterday"))
	if w, _ := serve(e.in.BambooHR(), r); w.Code != http.StatusUnauthorized {
		t.Errorf("not a time: %d", w.Code)
	}
	if len(e.audits) == before {
		t.Error("refusals not audited")
	}
	if n := len(e.cases(t)); n != 1 {
		t.Errorf("%d cases", n)
	}
}
