package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServer_CreateCasePoisonDates: dates the store cannot write (years
// past 9999) used to answer 500; far-future ones opened a case that
// revoked access in the year 9999. Both are 400 naming the field.
func TestServer_CreateCasePoisonDates(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		name, field, value, want string
	}{
		{"last day 9999-12-31", "last_day", "9999-12-31", "last day 9999-12-31 is more than 2 years ahead"},
		{"last day 9999-12-17", "last_day", "9999-12-17", "last day 9999-12-17 is more than 2 years ahead"},
		{"effective time past 9999 in UTC", "effective_at", "9999-12-31T23:00:00-05:00", "effective time 10000-01-01T04:00:00Z is more than 2 years ahead"},
		{"effective time at epoch zero", "effective_at", "1970-01-01T00:00:00Z", "effective time 1970-01-01T00:00:00Z is more than 10 years ago"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken,
				body: newCase("poison@example.com", "voluntary", func(m map[string]any) { m[tt.field] = tt.value })})
			// Well-formed JSON the engine refuses: 422, not 400.
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			if e := r.errorBody(t); e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, tt.want) {
				t.Fatalf("error %+v, want %q", e.Error, tt.want)
			}
		})
	}
	// Nothing was half-written: the same person opens a sane case.
	if r := h.do(request{method: "POST", path: "/api/v1/cases", token: hrToken,
		body: newCase("poison@example.com", "voluntary")}); r.status != http.StatusCreated {
		t.Fatalf("sane case after the refusals: %d %s", r.status, r.body)
	}
}
