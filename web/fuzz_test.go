package web_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzCreateCaseBody sends arbitrary bodies to POST /api/v1/cases: the
// server must never panic and never answer 5xx, whatever arrives.
func FuzzCreateCaseBody(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`"x"`,
		`{"employee":{"email":"a@example.com"},"kind":"involuntary"}`,
		`{"employee":{"email":"b@example.com","manager_email":"b@example.com"},"kind":"voluntary","last_day":"2099-01-01"}`,
		`{"employee":{"email":"c@example.com","time_zone":"../../etc/passwd"},"kind":"retirement","last_day":"2099-01-01"}`,
		`{"employee":{"email":"d@example.com"},"kind":"contract-end","last_day":"2099-02-30","effective_at":"2099-01-01T00:00:00Z"}`,
		`{"employee":{"email":"e@example.com"},"kind":"involuntary","confidential":false,"dedupe_key":"k","playbook":"default","notes":"n"}`,
		`{"employee":{"email":"f@example.com"},"kind":"involuntary","extra":1}`,
		`{"employee":{"email":1},"kind":true}`,
		`{"employee":"x"}`,
		`{"employee":{"email":"g@example.com"},"kind":"involuntary"} trailing`,
		`{"kind":"voluntary","last_day":"0000-01-01"}`,
		"{\"employee\":{\"email\":\"h\u0000@example.com\"},\"kind\":\"involuntary\"}",
		`{"employee":{"email":"\"quoted\"@example.com","name":"` + "\xff\xfe" + `"},"kind":"involuntary"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	h := newHarness(f)
	client := h.srv.Client()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest("POST", h.srv.URL+"/api/v1/cases", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+hrToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("body %q: status %d: %s", body, resp.StatusCode, b)
		}
	})
}
