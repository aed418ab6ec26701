package hris_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
)

// refusals returns the engine's audited refusals of open_case.
func (e *env) refusals(t testing.TB) []*offboard.AuditEvent {
	t.Helper()
	var out []*offboard.AuditEvent
	err := e.db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(ev *offboard.AuditEvent) error {
		if ev.Action == "command.refused" && strings.HasPrefix(ev.Detail, "open_case:") {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBambooHR_PoisonDate: a signed termination dated 9999-12-31 used to
// be answered 503 for ever (the store cannot write the year); 9999-12-17
// was accepted and scheduled a revocation in the year 9999. Both are 422
// naming the field, audited, and open nothing; the sane termination in
// the same delivery still opens its case.
func TestBambooHR_PoisonDate(t *testing.T) {
	for _, date := range []string{"9999-12-31", "9999-12-17"} {
		t.Run(date, func(t *testing.T) {
			e := newEnv(t, nil)
			body := `{"employees":[
			 {"id":"301","fields":{"firstName":"Pat","lastName":"Poison","workEmail":"pat@example.com",
			   "employmentHistoryStatus":"Terminated","terminationDate":"` + date + `","terminationType":"Resignation"}},
			 {"id":"302","fields":{"firstName":"Sam","lastName":"Sane","workEmail":"sam@example.com",
			   "employmentHistoryStatus":"Terminated","terminationDate":"2026-12-15","terminationType":"Resignation"}}
			]}`
			w, resp := serve(e.in.BambooHR(), bambooReq([]byte(body), secret, now))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", w.Code, w.Body)
			}
			want := "last day " + date + " is more than 2 years ahead"
			if len(resp.Skipped) != 1 || resp.Skipped[0].EmployeeID != "301" ||
				!strings.Contains(resp.Skipped[0].Reason, want) {
				t.Fatalf("answer does not name the refused termination and why (%q): %s", want, w.Body)
			}
			cs := e.cases(t)
			if len(cs) != 1 || cs[0].Case.Employee.Email != "sam@example.com" {
				t.Fatalf("cases after the delivery: %d, want only sam's", len(cs))
			}
			refused := e.refusals(t)
			if len(refused) != 1 || refused[0].Target != "pat@example.com" || !strings.Contains(refused[0].Detail, want) {
				t.Fatalf("audited refusals: %+v", refused)
			}
			// BambooHR retries a 4xx delivery: sam's case is not opened twice.
			w, _ = serve(e.in.BambooHR(), bambooReq([]byte(body), secret, now))
			if w.Code != http.StatusUnprocessableEntity || len(e.cases(t)) != 1 {
				t.Fatalf("retry: %d, %d cases", w.Code, len(e.cases(t)))
			}
		})
	}
}

// TestGeneric_PoisonEffectiveTime: the generic intake takes an RFC 3339
// effective time; one at epoch zero is refused with 422, not stored.
func TestGeneric_PoisonEffectiveTime(t *testing.T) {
	e := newEnv(t, nil)
	w, _ := serve(e.in.Generic(), genericReq(`{"email":"ez@example.com","kind":"involuntary","effective_at":"1970-01-01T00:00:00Z"}`, token))
	if w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "effective time 1970-01-01T00:00:00Z is more than 10 years ago") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if n := len(e.cases(t)); n != 0 {
		t.Fatalf("%d cases opened", n)
	}
	if n := len(e.refusals(t)); n != 1 {
		t.Fatalf("%d audited refusals, want 1", n)
	}
}

// TestIntake_ZeroDatePlaceholder: 0001-01-01 (the zero date many systems
// write for "none") was accepted by both intakes: as a time it is Go's
// zero time, read as "no effective time", so it slipped past the
// lookback check, and the past last day became today — a revocation
// tonight from a placeholder. It is refused with 422 naming the field.
func TestIntake_ZeroDatePlaceholder(t *testing.T) {
	t.Run("generic termination_date", func(t *testing.T) {
		e := newEnv(t, nil)
		w, _ := serve(e.in.Generic(), genericReq(`{"email":"zd@example.com","kind":"voluntary","termination_date":"0001-01-01"}`, token))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "termination_date") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if n := len(e.cases(t)); n != 0 {
			t.Fatalf("%d cases opened", n)
		}
	})
	t.Run("generic effective_at", func(t *testing.T) {
		e := newEnv(t, nil)
		w, _ := serve(e.in.Generic(), genericReq(`{"email":"zd@example.com","kind":"involuntary","effective_at":"0001-01-01T00:00:00Z"}`, token))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "effective_at") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if n := len(e.cases(t)); n != 0 {
			t.Fatalf("%d cases opened", n)
		}
	})
	t.Run("bamboohr terminationDate", func(t *testing.T) {
		e := newEnv(t, nil)
		body := `{"employees":[{"id":"401","fields":{"firstName":"Zed","lastName":"Zero","workEmail":"zd@example.com",
		   "employmentHistoryStatus":"Terminated","terminationDate":"0001-01-01","terminationType":"Resignation"}}]}`
		w, resp := serve(e.in.BambooHR(), bambooReq([]byte(body), secret, now))
		if w.Code != http.StatusUnprocessableEntity || len(resp.Skipped) != 1 || !strings.Contains(resp.Skipped[0].Reason, "terminationDate") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if n := len(e.cases(t)); n != 0 {
			t.Fatalf("%d cases opened", n)
		}
	})
}
