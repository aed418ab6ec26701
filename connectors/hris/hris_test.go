package hris_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors/hris"
	"github.com/offboard-dev/offboard/flows/flowstest"
	"github.com/offboard-dev/offboard/store"
)

const (
	secret    = "bamboo-secret-current-123"
	oldSecret = "bamboo-secret-previous-456"
	token     = "generic-token-0123456789"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type env struct {
	t      *testing.T
	engine flowstest.Engine
	db     *store.DB
	in     *hris.Intake
	mu     sync.Mutex
	audits []offboard.AuditEvent
	wakes  int
}

func newEnv(t testing.TB, mod func(*config.HRIS)) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := offboard.ClockFunc(func() time.Time { return now })
	e := &env{db: db}
	eng := flowstest.New(t, flowstest.Options{Store: db, Clock: clock,
		AfterCommit: func() { e.mu.Lock(); e.wakes++; e.mu.Unlock() }})
	e.engine = eng
	cfg := config.Default().HRIS
	cfg.BambooHR.WebhookSecret = secret
	cfg.Generic.Token = token
	if mod != nil {
		mod(&cfg)
	}
	e.in, err = hris.New(hris.Options{Engine: eng, Config: cfg, Clock: clock,
		Audit: offboard.AuditFunc(func(_ context.Context, ev offboard.AuditEvent) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.audits = append(e.audits, ev)
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func sign(key string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	m.Write([]byte(ts))
	return hex.EncodeToString(m.Sum(nil))
}

func bambooReq(body []byte, key string, at time.Time) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/bamboohr", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-BambooHR-Timestamp", ts)
	r.Header.Set("X-BambooHR-Signature", sign(key, body, ts))
	return r
}

func serve(h http.Handler, r *http.Request) (*httptest.ResponseRecorder, hris.Response) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp hris.Response
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	return w, resp
}

func (e *env) cases(t testing.TB) []*offboard.CaseView {
	t.Helper()
	cs, err := e.engine.ListCases(context.Background(), offboard.System("test"), offboard.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

const goodDelivery = `{"employees":[
 {"id":"101","action":"Updated","changedFields":["employmentHistoryStatus"],"timestamp":"2026-11-26T09:59:00Z",
  "fields":{"firstName":"Ida","lastName":"Invol","workEmail":"ida@example.com","supervisorEmail":"mona@example.com",
   "employmentHistoryStatus":"Terminated","terminationDate":"2026-11-26","terminationType":"Dismissal"}},
 {"id":"102","action":"Updated","changedFields":["terminationDate"],
  "fields":{"firstName":"Val","lastName":"Vol","workEmail":"val@example.com","status":"Active",
   "terminationDate":"2026-12-15","terminationType":"Resignation"}},
 {"id":"103","action":"Updated","changedFields":["jobTitle"],
  "fields":{"firstName":"Stay","lastName":"Here","workEmail":"stay@example.com","status":"Active","terminationDate":"0000-00-00","jobTitle":"Lead"}}
]}`

func TestBambooHR_GoodDeliveryAndRepeat(t *testing.T) {
	e := newEnv(t, nil)
	w, resp := serve(e.in.BambooHR(), bambooReq([]byte(goodDelivery), secret, now))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if resp.Accepted != 2 || len(resp.Cases) != 2 || len(resp.Ignored) != 1 || resp.Ignored[0] != "103" {
		t.Fatalf("response %s", w.Body)
	}
	cs := e.cases(t)
	if len(cs) != 2 {
		t.Fatalf("%d cases, want 2", len(cs))
	}
	byEmail := map[string]*offboard.Case{}
	for _, c := range cs {
		byEmail[c.Case.Employee.Email] = c.Case
	}
	ida, val := byEmail["ida@example.com"], byEmail["val@example.com"]
	if ida == nil || val == nil {
		t.Fatalf("cases %+v", byEmail)
	}
	if ida.Kind != offboard.Involuntary || ida.LastDay != "2026-11-26" || !ida.EffectiveAt.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ida: kind %s last %s effective %v", ida.Kind, ida.LastDay, ida.EffectiveAt)
	}
	if ida.Employee.Name != "Ida Invol" || ida.Employee.ManagerEmail != "mona@example.com" || ida.Employee.HRISID != "101" ||
		ida.Source != "hris:bamboohr" || ida.SourceRef != "101" {
		t.Errorf("ida: %+v", ida)
	}
	if val.Kind != offboard.Voluntary || val.LastDay != "2026-12-15" || !val.EffectiveAt.Equal(time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("val: kind %s last %s effective %v", val.Kind, val.LastDay, val.EffectiveAt)
	}
	if e.wakes == 0 {
		t.Error("runner not woken")
	}

	// The same delivery again (a retry, a new timestamp) opens nothing.
	w, resp2 := serve(e.in.BambooHR(), bambooReq([]byte(goodDelivery), secret, now.Add(time.Minute)))
	if w.Code != http.StatusAccepted || len(resp2.Cases) != 2 {
		t.Fatalf("repeat: %d %s", w.Code, w.Body)
	}
	for i, c := range resp2.Cases {
		if !c.Duplicate || c.CaseID != resp.Cases[i].CaseID {
			t.Errorf("repeat case %+v, first %+v", c, resp.Cases[i])
		}
	}
	if n := len(e.cases(t)); n != 2 {
		t.Errorf("%d cases after the repeat, want 2", n)
	}
}

func TestBambooHR_PreviousSecretAccepted(t *testing.T) {
	e := newEnv(t, func(c *config.HRIS) { c.BambooHR.PreviousWebhookSecret = oldSecret })
	w, _ := serve(e.in.BambooHR(), bambooReq([]byte(goodDelivery), oldSecret, now))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestBambooHR_Unauthorized(t *testing.T) {
	body := []byte(goodDelivery)
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name string
		req  func() *http.Request
	}{
		{"stale timestamp", func() *http.Request { return bambooReq(body, secret, now.Add(-6*time.Minute)) }},
		{"future timestamp", func() *http.Request { return bambooReq(body, secret, now.Add(6*time.Minute)) }},
		{"bad signature", func() *http.Request { return bambooReq(body, "wrong-secret", now) }},
		{"old secret not configured", func() *http.Request { return bambooReq(body, oldSecret, now) }},
		{"flipped body byte", func() *http.Request {
			r := bambooReq(body, secret, now)
			r.Body = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(flipped)).Body
			return r
		}},
		{"missing headers", func() *http.Request {
			r := bambooReq(body, secret, now)
			r.Header.Del("X-BambooHR-Signature")
			r.Header.Del("X-BambooHR-Timestamp")
			return r
		}},
		{"timestamp-first signature", func() *http.Request {
			r := bambooReq(body, secret, now)
			ts := r.Header.Get("X-BambooHR-Timestamp")
			m := hmac.New(sha256.New, []byte(secret))
			m.Write([]byte(ts + "." + string(body)))
			r.Header.Set("X-BambooHR-Signature", hex.EncodeToString(m.Sum(nil)))
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			r := tt.req()
			sig := r.Header.Get("X-BambooHR-Signature")
			w, _ := serve(e.in.BambooHR(), r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			want := `{"error":{"code":"unauthorized","message":"signature check failed"}}`
			if strings.TrimSpace(w.Body.String()) != want {
				t.Errorf("body %s", w.Body)
			}
			if n := len(e.cases(t)); n != 0 {
				t.Errorf("%d cases opened", n)
			}
			if len(e.audits) != 1 {
				t.Fatalf("%d audit events", len(e.audits))
			}
			ev := e.audits[0]
			if ev.Action != "webhook.rejected" || ev.Outcome != offboard.OutcomeRefused || ev.Actor.ID != "hris:bamboohr" {
				t.Errorf("audit %+v", ev)
			}
			dump, _ := json.Marshal(ev)
			for _, leak := range []string{secret, oldSecret, sig} {
				if leak != "" && strings.Contains(string(dump), leak) {
					t.Errorf("audit event contains a secret or MAC: %s", dump)
				}
			}
		})
	}
}

func TestBambooHR_MalformedAndTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	w, _ := serve(e.in.BambooHR(), bambooReq([]byte(`{"employees":[`), secret, now))
	if w.Code != http.StatusBadRequest {
		t.Errorf("malformed: %d %s", w.Code, w.Body)
	}
	w, _ = serve(e.in.BambooHR(), bambooReq([]byte(`{"type":"employee.updated"}`), secret, now))
	if w.Code != http.StatusBadRequest {
		t.Errorf("event-based: %d %s", w.Code, w.Body)
	}
	big := bytes.Repeat([]byte(" "), hris.MaxBody+1)
	w, _ = serve(e.in.BambooHR(), bambooReq(big, secret, now))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", w.Code)
	}
	if len(e.audits) != 3 {
		t.Errorf("%d audit events, want 3", len(e.audits))
	}
	if n := len(e.cases(t)); n != 0 {
		t.Errorf("%d cases", n)
	}
}

func TestBambooHR_Off(t *testing.T) {
	e := newEnv(t, func(c *config.HRIS) { c.BambooHR.WebhookSecret = "" })
	w, _ := serve(e.in.BambooHR(), bambooReq([]byte(goodDelivery), secret, now))
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "hris.bamboohr.webhook_secret") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestBambooHR_UnknownTypeAndNoEmail(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"employees":[
	 {"id":"7","fields":{"displayName":"Una Known","workEmail":"una@example.com","employmentHistoryStatus":"Terminated",
	   "terminationDate":"2026-12-01","terminationType":"Sabbatical gone wrong"}},
	 {"id":"8","fields":{"firstName":"No","lastName":"Mail","employmentHistoryStatus":"Terminated","terminationDate":"2026-12-01"}},
	 {"id":"9","fields":{"workEmail":"tia@example.com","status":"Inactive","terminationDate":"2026-12-01","terminationType":"Termination (Involuntary)"}}
	]}`
	// One termination could not be acted on: 422 naming it, with the two
	// committed cases listed.
	w, resp := serve(e.in.BambooHR(), bambooReq([]byte(body), secret, now))
	if w.Code != http.StatusUnprocessableEntity || len(resp.Cases) != 2 || len(resp.Skipped) != 1 || resp.Skipped[0].EmployeeID != "8" ||
		resp.Error == nil || !strings.Contains(resp.Error.Message, "8: no work email") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	byEmail := map[string]*offboard.Case{}
	for _, c := range e.cases(t) {
		byEmail[c.Case.Employee.Email] = c.Case
	}
	una := byEmail["una@example.com"]
	if una == nil || una.Kind != offboard.Voluntary ||
		!strings.Contains(una.Notes, "BambooHR termination type Sabbatical gone wrong is not mapped; confirm voluntary/involuntary") {
		t.Errorf("una: %+v", una)
	}
	if tia := byEmail["tia@example.com"]; tia == nil || tia.Kind != offboard.Involuntary {
		t.Errorf("tia: %+v", tia)
	}
	if len(e.audits) != 1 {
		t.Errorf("%d audit events for the skipped employee", len(e.audits))
	}
}

func TestBambooHR_FormEncoded(t *testing.T) {
	e := newEnv(t, nil)
	body := []byte("employees%5B55%5D%5Baction%5D=Updated&employees%5B55%5D%5Bfields%5D%5BworkEmail%5D=fo%40example.com" +
		"&employees%5B55%5D%5Bfields%5D%5BemploymentHistoryStatus%5D=Terminated&employees%5B55%5D%5Bfields%5D%5BterminationDate%5D=2026-11-30")
	r := bambooReq(body, secret, now)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w, resp := serve(e.in.BambooHR(), r)
	if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || resp.Cases[0].EmployeeID != "55" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func genericReq(body, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/hris", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

func nested(c *config.HRIS) {
	c.Generic.Fields = config.GenericFields{
		EventID: "id", Email: "data.employee.work_email", Name: "data.employee.name",
		TerminationDate: "data.events[0].date", Kind: "data.events[0].kind", HRISID: "data.employee.id",
	}
}

func TestGeneric(t *testing.T) {
	e := newEnv(t, nested)
	body := `{"id":"evt-1","data":{"employee":{"id":42,"work_email":"gus@example.com","name":"Gus Generic"},
	  "events":[{"date":"2026-12-20","kind":"retirement"}]}}`
	w, resp := serve(e.in.Generic(), genericReq(body, token))
	if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || resp.Cases[0].Duplicate || resp.Cases[0].EmployeeID != "42" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	cs := e.cases(t)
	if len(cs) != 1 {
		t.Fatalf("%d cases", len(cs))
	}
	c := cs[0].Case
	if c.Kind != offboard.Retirement || c.LastDay != "2026-12-20" || c.Employee.Name != "Gus Generic" ||
		c.Source != "hris:generic" || c.SourceRef != "evt-1" || c.Employee.HRISID != "42" {
		t.Errorf("case %+v", c)
	}
	// Same event id again: duplicate, no second case.
	w, resp = serve(e.in.Generic(), genericReq(body, token))
	if w.Code != http.StatusAccepted || !resp.Cases[0].Duplicate || resp.Cases[0].CaseID != string(c.ID) {
		t.Fatalf("repeat %d %s", w.Code, w.Body)
	}
	if n := len(e.cases(t)); n != 1 {
		t.Errorf("%d cases after the repeat", n)
	}

	// Bad token.
	w, _ = serve(e.in.Generic(), genericReq(body, "wrong-token-0123456789"))
	if w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), token) {
		t.Errorf("bad token: %d %s", w.Code, w.Body)
	}
	w, _ = serve(e.in.Generic(), genericReq(body, ""))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", w.Code)
	}
	// Missing email names the field.
	w, _ = serve(e.in.Generic(), genericReq(`{"data":{"employee":{},"events":[{"date":"2026-12-20"}]}}`, token))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "email") ||
		!strings.Contains(w.Body.String(), "data.employee.work_email") {
		t.Errorf("missing email: %d %s", w.Code, w.Body)
	}
	// The first bad token is audited at once, the second is counted
	// for the summary (written at the latest when the intake stops).
	if len(e.audits) != 2 {
		t.Errorf("%d audit events, want 2", len(e.audits))
	}
	e.in.FlushRefusals(context.Background(), true)
	if len(e.audits) != 3 || e.audits[2].Action != "webhook.rejected.summary" || e.audits[2].Evidence["count"] != "1" {
		t.Errorf("after the flush: %+v", e.audits)
	}
}

func TestGeneric_FlatDefaultsAndInvoluntaryToday(t *testing.T) {
	e := newEnv(t, nil)
	w, _ := serve(e.in.Generic(), genericReq(`{"email":"ian@example.com","kind":"involuntary"}`, token))
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	cs := e.cases(t)
	if len(cs) != 1 || cs[0].Case.LastDay != "2026-11-26" || cs[0].Case.Kind != offboard.Involuntary {
		t.Fatalf("cases %+v", cs)
	}
	w, _ = serve(e.in.Generic(), genericReq(`{"email":"v@example.com","kind":"voluntary"}`, token))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "termination_date") {
		t.Errorf("voluntary without date: %d %s", w.Code, w.Body)
	}
}

func TestGeneric_Off(t *testing.T) {
	e := newEnv(t, func(c *config.HRIS) { c.Generic.Token = "" })
	w, _ := serve(e.in.Generic(), genericReq(`{}`, token))
	if w.Code != http.StatusNotFound {
		t.Errorf("%d", w.Code)
	}
}

func FuzzBambooHRPayload(f *testing.F) {
	f.Add([]byte(goodDelivery))
	f.Add([]byte(`{"employees":[{"id":1,"fields":{"workEmail":"x@example.com","status":"Inactive"}}]}`))
	f.Add([]byte(`{"employees":[{"fields":{"terminationDate":"garbage"}}]}`))
	f.Add([]byte(`{"employees":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":"employee.updated","timestamp":"2026-11-26T10:00:00+0000","data":{"companyId":"1","employeeId":"4012","changedFields":["status"]}}`))
	f.Add([]byte(`{"employees":[{"id":"5","fields":{"Work Email":"x@example.com","Employment Status":"Terminated","Termination Date":{"value":"2026-12-01"}}}]}`))
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		w, resp := serve(e.in.BambooHR(), bambooReq(body, secret, now))
		if w.Code != http.StatusAccepted && w.Code != http.StatusBadRequest && w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code == http.StatusBadRequest && bytes.Contains(w.Body.Bytes(), []byte(`"case_id"`)) {
			t.Fatalf("case reported on a refusal")
		}
		// A 2xx means every termination in it was acted on.
		if w.Code == http.StatusAccepted && (len(resp.Skipped) > 0 || len(resp.Cases) == 0) {
			t.Fatalf("2xx with nothing acted on: %s", w.Body)
		}
		if w.Code == http.StatusUnprocessableEntity && resp.Error == nil {
			t.Fatalf("422 without an error: %s", w.Body)
		}
	})
}

func FuzzGenericPayload(f *testing.F) {
	f.Add([]byte(`{"email":"a@example.com","termination_date":"2026-12-01"}`))
	f.Add([]byte(`{"event_id":7,"email":"a@example.com","kind":"involuntary"}`))
	f.Add([]byte(`{"email":["x"]}`))
	f.Add([]byte(`null`))
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := len(e.cases(t))
		w, _ := serve(e.in.Generic(), genericReq(string(body), token))
		switch w.Code {
		case http.StatusAccepted, http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code != http.StatusAccepted && len(e.cases(t)) != before {
			t.Fatalf("a refused body opened a case: %q", body)
		}
	})
}

// A reused event id naming another person must not be answered as a
// duplicate: the second person would keep their access.
func TestGeneric_ReusedEventIDOtherPerson(t *testing.T) {
	e := newEnv(t, nil)
	w, _ := serve(e.in.Generic(), genericReq(`{"event_id":"ev-1","email":"g10@example.com","kind":"involuntary"}`, token))
	if w.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", w.Code, w.Body)
	}
	w, resp := serve(e.in.Generic(), genericReq(`{"event_id":"ev-1","email":"g11@example.com","kind":"involuntary"}`, token))
	opened := false
	for _, c := range e.cases(t) {
		opened = opened || c.Case.Employee.Email == "g11@example.com"
	}
	switch {
	case w.Code == http.StatusConflict:
		if opened || !strings.Contains(w.Body.String(), "ev-1") || !strings.Contains(w.Body.String(), "g11@example.com") {
			t.Errorf("409 must name the event id and the person: %s", w.Body)
		}
	case w.Code/100 == 2:
		if !opened || (len(resp.Cases) == 1 && resp.Cases[0].Duplicate) {
			t.Errorf("2xx without a case for g11: %d %s", w.Code, w.Body)
		}
	default:
		t.Errorf("status %d: %s", w.Code, w.Body)
	}
	// The same notice about the same person is still a duplicate.
	w, resp = serve(e.in.Generic(), genericReq(`{"event_id":"ev-1","email":"g10@example.com","kind":"involuntary"}`, token))
	if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || !resp.Cases[0].Duplicate {
		t.Errorf("repeat: %d %s", w.Code, w.Body)
	}
}

// A delivery in which no employee is a termination we act on is not a
// silent 2xx: 422 names why each employee was passed over, audited.
func TestBambooHR_NoTermination(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"employees":[{"id":"103","fields":{"workEmail":"stay@example.com","status":"Active","terminationDate":"0000-00-00"}},
	 {"id":"104","fields":{"workEmail":"also@example.com","employmentHistoryStatus":"On Leave"}}]}`
	w, resp := serve(e.in.BambooHR(), bambooReq([]byte(body), secret, now))
	if w.Code != http.StatusUnprocessableEntity || resp.Error == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for _, want := range []string{`103 (not terminated: employmentHistoryStatus not sent, status "Active", terminationDate "0000-00-00")`,
		`104 (not terminated: employmentHistoryStatus "On Leave"`} {
		if !strings.Contains(resp.Error.Message, want) {
			t.Errorf("message %q lacks %q", resp.Error.Message, want)
		}
	}
	if len(e.audits) != 1 || e.audits[0].Action != "webhook.rejected" || !strings.Contains(e.audits[0].Detail, "103") {
		t.Errorf("audit %+v", e.audits)
	}
	if n := len(e.cases(t)); n != 0 {
		t.Errorf("%d cases", n)
	}
	w, resp = serve(e.in.BambooHR(), bambooReq([]byte(`{"employees":[]}`), secret, now))
	if w.Code != http.StatusUnprocessableEntity || resp.Error == nil || !strings.Contains(resp.Error.Message, "no employees") {
		t.Errorf("empty delivery: %d %s", w.Code, w.Body)
	}
}

// The generic intake takes JSON only, each key once, every key read.
func TestGeneric_StrictBody(t *testing.T) {
	e := newEnv(t, func(c *config.HRIS) { c.Generic.IgnoreFields = []string{"meta"} })
	for _, tt := range []struct {
		name, ct, body string
		status         int
		want           string
	}{
		{"text/plain", "text/plain", `{"email":"p@example.com","kind":"involuntary"}`, 415, "application/json"},
		{"duplicate key", "application/json", `{"email":"a@example.com","email":"b@example.com","kind":"involuntary"}`, 400, "key email is given twice"},
		{"upper-case key", "application/json", `{"EMAIL":"u@example.com","kind":"involuntary"}`, 422, "unknown field EMAIL"},
		{"unknown key", "application/json", `{"email":"x@example.com","kind":"involuntary","lastday":"2026-12-30"}`, 422, "unknown field lastday"},
		{"deep nesting", "application/json", `{"email":"d@example.com","meta":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, "nests deeper than 64 levels"},
		// Not a voluntary exit that keeps access until the last day.
		{"unknown kind", "application/json", `{"email":"f@example.com","kind":"fired","termination_date":"2026-11-26"}`, 422, `kind: \"fired\" at \"kind\" is not a departure kind offboard knows`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := genericReq(tt.body, token)
			r.Header.Set("Content-Type", tt.ct)
			w, _ := serve(e.in.Generic(), r)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d %q", w.Code, w.Body, tt.status, tt.want)
			}
		})
	}
	if n := len(e.cases(t)); n != 0 {
		t.Errorf("refused bodies opened %d cases", n)
	}
	// Ignored fields may be sent.
	w, _ := serve(e.in.Generic(), genericReq(`{"email":"ok@example.com","kind":"involuntary","meta":{"trace":"x"}}`, token))
	if w.Code != http.StatusAccepted {
		t.Errorf("with an ignored field: %d %s", w.Code, w.Body)
	}
}

// BambooHR's dedupe key is the employee id and date: a delivery with the
// same id naming another email is not "already open" for the first.
func TestBambooHR_ReusedIDOtherEmail(t *testing.T) {
	e := newEnv(t, nil)
	delivery := func(email string) string {
		return `{"employees":[{"id":"201","fields":{"workEmail":"` + email + `","employmentHistoryStatus":"Terminated",
		  "terminationDate":"2026-11-26","terminationType":"Dismissal"}}]}`
	}
	if w, _ := serve(e.in.BambooHR(), bambooReq([]byte(delivery("first@example.com")), secret, now)); w.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", w.Code, w.Body)
	}
	w, resp := serve(e.in.BambooHR(), bambooReq([]byte(delivery("second@example.com")), secret, now))
	if w.Code/100 == 2 || len(resp.Skipped) != 1 || !resp.Skipped[0].Conflict ||
		!strings.Contains(resp.Skipped[0].Reason, "second@example.com") {
		t.Fatalf("reused id: %d %s", w.Code, w.Body)
	}
	// The same delivery again is still a duplicate, answered 202.
	w, resp = serve(e.in.BambooHR(), bambooReq([]byte(delivery("first@example.com")), secret, now))
	if w.Code != http.StatusAccepted || len(resp.Cases) != 1 || !resp.Cases[0].Duplicate {
		t.Errorf("repeat: %d %s", w.Code, w.Body)
	}
}

// A notice sent again after its case was cancelled is not a 2xx
// "duplicate" (nothing is being done): 409 says how to open a new case.
func TestGeneric_RepeatAfterCancel(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"event_id":"ev-9","email":"gone@example.com","kind":"involuntary"}`
	w, resp := serve(e.in.Generic(), genericReq(body, token))
	if w.Code != http.StatusAccepted || len(resp.Cases) != 1 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	id := offboard.CaseID(resp.Cases[0].CaseID)
	if _, err := e.engine.Apply(context.Background(), offboard.CancelCase{By: offboard.System("test"), CaseID: id, Reason: "HR error"}); err != nil {
		t.Fatal(err)
	}
	w, _ = serve(e.in.Generic(), genericReq(body, token))
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "cancelled") || !strings.Contains(w.Body.String(), "new notice id") {
		t.Errorf("repeat after cancel: %d %s", w.Code, w.Body)
	}
}
