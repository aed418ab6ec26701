package hris

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/jsontext"
)

// bambooName is BambooHR's name in dedupe keys: connectors/bamboohr's
// System.Name, which reconciliation's keys are made with.
const bambooName = "bamboohr"

const bambooSource = "hris:" + bambooName

// BambooHR serves POST /webhooks/bamboohr: BambooHR's field-based and
// event-based webhooks, signed with hris.bamboohr.webhook_secret (or the
// previous secret).
func (in *Intake) BambooHR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.cfg.BambooHR.WebhookSecret == "" {
			writeError(w, http.StatusNotFound, offboard.ENOTFOUND, "BambooHR intake is off: set hris.bamboohr.webhook_secret")
			return
		}
		body, ok := in.readBody(w, r, bambooSource, false)
		if !ok {
			return
		}
		if reason := in.verifyBamboo(r.Header, body); reason != "" {
			in.refuseUnauthenticated(w, r, bambooSource, http.StatusUnauthorized, "unauthorized", "signature check failed",
				"signature check failed: "+reason)
			return
		}
		if ev, isEvent, err := parseBambooEvent(r.Header.Get("Content-Type"), body); isEvent {
			if err != nil {
				in.reject(w, r, bambooSource, http.StatusBadRequest, offboard.EINVALID, err.Error(), "malformed payload: "+err.Error())
				return
			}
			in.bambooEvent(w, r, ev)
			return
		}
		emps, err := parseBamboo(r.Header.Get("Content-Type"), body)
		if err != nil {
			in.reject(w, r, bambooSource, http.StatusBadRequest, offboard.EINVALID, err.Error(), "malformed payload: "+err.Error())
			return
		}
		var resp Response
		var terms []termination
		var notTerminated []string
		for _, e := range emps {
			t, isTerm := in.bambooTermination(e)
			if !isTerm {
				resp.Ignored = append(resp.Ignored, e.ID)
				notTerminated = append(notTerminated, e.ID+" ("+notTerminatedReason(e)+")")
				continue
			}
			terms = append(terms, t)
		}
		in.finishBamboo(w, r, len(emps), terms, notTerminated, &resp)
	})
}

// finishBamboo opens the cases of terms and answers: 202 only when every
// termination was acted on. Otherwise 422, naming why, with the cases
// that were committed listed too: a retry of the whole delivery opens
// nothing twice (dedupe keys). Employees that are not terminations in a
// delivery that also carries acted-on ones are only listed: nothing was
// asked of us.
func (in *Intake) finishBamboo(w http.ResponseWriter, r *http.Request, employees int, terms []termination, notTerminated []string, resp *Response) {
	if !in.apply(w, r, bambooSource, terms, resp) {
		return
	}
	var problem string
	switch {
	case employees == 0:
		problem = "the delivery lists no employees"
	case len(terms) == 0:
		problem = "no employee in this delivery is a termination offboard acts on: " + strings.Join(notTerminated, "; ")
	case len(resp.Skipped) > 0:
		why := make([]string, 0, len(resp.Skipped))
		for _, sk := range resp.Skipped {
			why = append(why, sk.EmployeeID+": "+sk.Reason)
		}
		problem = fmt.Sprintf("%d of %d terminations opened no case: %s", len(resp.Skipped), len(terms), strings.Join(why, "; "))
	}
	if problem == "" {
		in.answer(w, resp)
		return
	}
	if len(terms) == 0 {
		// Skipped terminations were audited one by one; a delivery
		// with none is audited here.
		in.log.Warn("hris: delivery has no termination to act on", "source", bambooSource, "reason", problem)
		in.record(r.Context(), bambooSource, "", problem, map[string]string{"status": http.StatusText(http.StatusUnprocessableEntity)})
	}
	resp.Error = &ErrorDetail{Code: offboard.EINVALID, Message: problem}
	if resp.Cases == nil {
		resp.Cases = []CaseOut{}
	}
	if resp.Skipped == nil {
		resp.Skipped = []Skipped{}
	}
	writeJSON(w, http.StatusUnprocessableEntity, resp)
}

// notTerminatedReason says why an employee is not a termination, from
// the fields that would have made it one.
func notTerminatedReason(e bambooEmployee) string {
	show := func(name string) string {
		if v := e.field(name); v != "" {
			return fmt.Sprintf("%s %q", name, truncate(v, 40))
		}
		return name + " not sent"
	}
	return "not terminated: " + show("employmentHistoryStatus") + ", " + show("status") + ", " + show("terminationDate")
}

// verifyBamboo checks the signature and the timestamp, and says what is
// wrong (for the audit, never the sender), or "".
func (in *Intake) verifyBamboo(h http.Header, body []byte) string {
	ts := strings.TrimSpace(h.Get("X-BambooHR-Timestamp"))
	sig := strings.TrimSpace(h.Get("X-BambooHR-Signature"))
	if ts == "" || sig == "" {
		return "missing X-BambooHR-Signature or X-BambooHR-Timestamp"
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return "signature is not a hex SHA-256 MAC"
	}
	match := false
	for _, secret := range []string{in.cfg.BambooHR.WebhookSecret.Reveal(), in.cfg.BambooHR.PreviousWebhookSecret.Reveal()} {
		if secret == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		m.Write([]byte(ts))
		if hmac.Equal(m.Sum(nil), got) {
			match = true
		}
	}
	if !match {
		return "signature does not match"
	}
	at, ok := parseBambooTimestamp(ts)
	if !ok {
		return fmt.Sprintf("timestamp %q is neither unix seconds nor ISO 8601 with a zone", truncate(ts, 40))
	}
	skew := in.clock.Now().Sub(at)
	if skew > MaxSkew || skew < -MaxSkew {
		return fmt.Sprintf("timestamp %s is %s away from now (max %s)", truncate(ts, 40), skew.Round(time.Second), MaxSkew)
	}
	return ""
}

// parseBambooTimestamp reads X-BambooHR-Timestamp: unix seconds, or ISO
// 8601 as BambooHR's samples write it ("2026-01-31T18:42:00+0000",
// "2026-05-21T14:00:00Z", "…+00:00"). A time without a zone is refused:
// its instant is unknown, so its skew cannot be checked.
func parseBambooTimestamp(ts string) (time.Time, bool) {
	if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
		return time.Unix(sec, 0), true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, ts); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// bambooEmployee is one employee of a field-based delivery, or as read
// from the API for an event-based one.
type bambooEmployee struct {
	ID     string
	Action string
	// norm holds the fields by normalized name (bamboohr_fields.go).
	norm map[string]string
}

func newBambooEmployee(id, action string, fields map[string]string) bambooEmployee {
	return bambooEmployee{ID: id, Action: action, norm: normFields(fields)}
}

type bambooJSON struct {
	Employees *[]struct {
		ID     any            `json:"id"`
		Action any            `json:"action"`
		Fields map[string]any `json:"fields"`
	} `json:"employees"`
}

// parseBamboo reads a field-based payload, JSON or form-encoded.
func parseBamboo(contentType string, body []byte) ([]bambooEmployee, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		return parseBambooForm(body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var p bambooJSON
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("body is not a BambooHR field-based webhook payload: %v", jsontext.ErrorText(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("body has data after the JSON object")
	}
	if p.Employees == nil {
		return nil, fmt.Errorf(`body has no "employees": use a field-based ("global") BambooHR webhook that sends the employee's fields`)
	}
	out := make([]bambooEmployee, 0, len(*p.Employees))
	for i, e := range *p.Employees {
		id := jsontext.Scalar(e.ID)
		if id == "" {
			id = fmt.Sprintf("employees[%d]", i)
		}
		fields := make(map[string]string, len(e.Fields))
		for k, v := range e.Fields {
			fields[k] = fieldValue(v)
		}
		out = append(out, newBambooEmployee(id, jsontext.Scalar(e.Action), fields))
	}
	return out, nil
}

// parseBambooForm reads employees[<id>][<name>]=… posts (as BambooHR
// documents them) and employees[<id>][fields][<name>]=….
func parseBambooForm(body []byte) ([]bambooEmployee, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("form body does not parse: %v", err)
	}
	type formEmployee struct {
		action string
		fields map[string]string
	}
	byID := map[string]*formEmployee{}
	for key, vals := range q {
		rest, ok := strings.CutPrefix(key, "employees[")
		if !ok {
			continue
		}
		id, rest, ok := strings.Cut(rest, "]")
		if !ok || id == "" {
			return nil, fmt.Errorf("form key %q is not employees[<id>][…]", key)
		}
		e := byID[id]
		if e == nil {
			e = &formEmployee{fields: map[string]string{}}
			byID[id] = e
		}
		val := ""
		if len(vals) > 0 {
			val = vals[0]
		}
		switch {
		case rest == "[action]":
			e.action = val
		case strings.HasPrefix(rest, "[fields][") && strings.HasSuffix(rest, "]"):
			e.fields[rest[len("[fields]["):len(rest)-1]] = val
		case strings.HasPrefix(rest, "[changedFields]"), rest == "[timestamp]", rest == "[id]":
		case strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") && !strings.Contains(rest[1:len(rest)-1], "["):
			e.fields[rest[1:len(rest)-1]] = val
		}
	}
	if len(byID) == 0 {
		return nil, fmt.Errorf("form body has no employees[<id>][…] keys")
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]bambooEmployee, 0, len(ids))
	for _, id := range ids {
		out = append(out, newBambooEmployee(id, byID[id].action, byID[id].fields))
	}
	return out, nil
}

// emptyDate reports a BambooHR date that means "none" (as
// connectors/bamboohr reads it).
func emptyDate(s string) bool { return s == "" || s == "0000-00-00" }

// bambooTermination maps an employee; false means not a termination.
func (in *Intake) bambooTermination(e bambooEmployee) (termination, bool) {
	f := e.field
	termDate := f("terminationDate")
	if !strings.EqualFold(f("employmentHistoryStatus"), "Terminated") &&
		!strings.EqualFold(f("status"), "Inactive") && emptyDate(termDate) {
		return termination{}, false
	}
	t := termination{ref: e.ID}
	email := f("workEmail")
	if email == "" {
		email = f("email")
	}
	if email == "" {
		t.skip = "no work email in the payload: add Work Email to the webhook's post fields, or open the case by hand"
		t.skipAudit = "BambooHR employee " + e.ID + " is terminated but has no email"
		return t, true
	}
	var notes []string
	date, effective := "", time.Time{}
	if !emptyDate(termDate) {
		d, at, ok := offboard.ParseHRDate(termDate)
		if !ok {
			t.skip = fmt.Sprintf("terminationDate %q is not a date like 2026-12-31", termDate)
			t.skipAudit = "BambooHR employee " + e.ID + ": " + t.skip
			return t, true
		}
		date, effective = d, at
	} else {
		notes = append(notes, "BambooHR sent no termination date; last day set to today")
	}
	kind, known := in.kinds.Resolve(f("terminationType"))
	if !known {
		typ := f("terminationType")
		if typ == "" {
			notes = append(notes, "BambooHR sent no termination type; confirm voluntary/involuntary")
		} else {
			notes = append(notes, fmt.Sprintf("BambooHR termination type %s is not mapped; confirm voluntary/involuntary", typ))
		}
	}
	name := strings.TrimSpace(f("firstName") + " " + f("lastName"))
	if name == "" {
		name = f("displayName")
	}
	emp := offboard.Employee{
		HRISID: e.ID, Name: name, Email: email, ManagerEmail: f("supervisorEmail"),
		Title: f("jobTitle"), Department: f("department"), Location: f("location"),
	}
	keyDate := date
	if keyDate == "" {
		keyDate = in.today("")
	}
	lastDay := in.lastDay(date, "", kind, "BambooHR", &notes)
	if lastDay == "" {
		lastDay = keyDate
	}
	t.open = offboard.OpenCase{
		By: offboard.System(bambooSource), Employee: emp, Kind: kind, LastDay: lastDay,
		EffectiveAt: effective, Source: bambooSource, SourceRef: e.ID,
		DedupeKey: offboard.HRDedupeKey(bambooName, e.ID, keyDate), Notes: strings.Join(notes, "\n"),
	}
	return t, true
}

// fieldValue is a posted field's text: a scalar, or the "value" of an
// object like {"value": "Ashley"}.
func fieldValue(v any) string {
	if m, ok := v.(map[string]any); ok {
		return jsontext.Scalar(m["value"])
	}
	return jsontext.Scalar(v)
}
