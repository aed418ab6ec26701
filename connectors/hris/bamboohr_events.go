package hris

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/jsontext"
)

// bambooAPITimeout bounds the API read an event-based delivery waits
// for; past it the answer is 503 and BambooHR retries.
const bambooAPITimeout = 10 * time.Second

// bambooEventDelivery is an event-based delivery
// (documentation.bamboohr.com/docs/event-based-webhooks):
// {"type":"employee.updated","timestamp":…,"data":{"companyId":…,
// "employeeId":…,"changedFields":[…]}}, or the same as a form post. It
// names the employee but carries no values.
type bambooEventDelivery struct {
	Type       string
	EmployeeID string
}

// parseBambooEvent reads an event-based delivery. isEvent is false for
// anything else (a field-based delivery, or a body parseBamboo will
// refuse): a top-level "type" without "employees" makes it an event.
func parseBambooEvent(contentType string, body []byte) (ev bambooEventDelivery, isEvent bool, err error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		q, err := url.ParseQuery(string(body))
		if err != nil || !q.Has("type") {
			return ev, false, nil
		}
		for k := range q {
			if len(k) >= len("employees[") && k[:len("employees[")] == "employees[" {
				return ev, false, nil
			}
		}
		ev = bambooEventDelivery{Type: q.Get("type"), EmployeeID: q.Get("data[employeeId]")}
		return ev, true, ev.check()
	}
	var probe struct {
		Type      json.RawMessage `json:"type"`
		Employees json.RawMessage `json:"employees"`
	}
	if json.Unmarshal(body, &probe) != nil || probe.Type == nil || probe.Employees != nil {
		return ev, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var p struct {
		Type any `json:"type"`
		Data *struct {
			EmployeeID any `json:"employeeId"`
		} `json:"data"`
	}
	if err := dec.Decode(&p); err != nil {
		return ev, true, fmt.Errorf("body is not a BambooHR event-based webhook payload: %v", jsontext.ErrorText(err))
	}
	ev.Type = jsontext.Scalar(p.Type)
	if p.Data != nil {
		ev.EmployeeID = jsontext.Scalar(p.Data.EmployeeID)
	}
	return ev, true, ev.check()
}

func (ev bambooEventDelivery) check() error {
	switch {
	case ev.Type == "":
		return errors.New(`event-based payload has no "type"`)
	case ev.EmployeeID == "":
		return errors.New(`event-based payload has no "data.employeeId"`)
	case !employeeIDRe.MatchString(ev.EmployeeID):
		// It becomes part of an API path: BambooHR's ids are numbers.
		return fmt.Errorf(`event-based payload's "data.employeeId" %q is not a BambooHR employee id`, truncate(ev.EmployeeID, 40))
	}
	return nil
}

var employeeIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// bambooEvent acts on an event-based delivery: it reads the employee
// from the BambooHR API and treats them as a field-based delivery of
// their current fields would be. Deliveries it cannot act on are 422
// naming why; a failing API is 503 so that BambooHR retries.
func (in *Intake) bambooEvent(w http.ResponseWriter, r *http.Request, ev bambooEventDelivery) {
	id := ev.EmployeeID
	refuse := func(msg string) {
		in.reject(w, r, bambooSource, http.StatusUnprocessableEntity, offboard.EINVALID, msg, msg)
	}
	switch ev.Type {
	case "employee.updated":
	case "employee.created":
		refuse(fmt.Sprintf("employee.created for employee %s: a new employee is not a termination; subscribe the webhook to employee.updated only", id))
		return
	case "employee.deleted":
		refuse(fmt.Sprintf("employee.deleted for employee %s: a deleted record is not a termination (BambooHR keeps a terminated employee's record); open the case by hand if they left", id))
		return
	default:
		refuse(fmt.Sprintf("event type %q (employee %s) is not one offboard acts on: subscribe the webhook to employee.updated", truncate(ev.Type, 40), id))
		return
	}
	if in.bamboo == nil {
		refuse(fmt.Sprintf("employee.updated for employee %s carries no field values and offboard cannot read the employee from BambooHR's API: "+
			"set hris.bamboohr.api_key and hris.bamboohr.subdomain, or use a field-based webhook", id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), bambooAPITimeout)
	defer cancel()
	rec, err := in.bamboo.HRRecord(ctx, id)
	if err != nil {
		in.bambooAPIFailed(w, r, id, err)
		return
	}
	e := newBambooEmployee(id, "Updated", recordFields(rec))
	var resp Response
	var terms []termination
	var notTerminated []string
	if t, isTerm := in.bambooTermination(e); isTerm {
		terms = append(terms, t)
	} else {
		resp.Ignored = []string{id}
		notTerminated = []string{id + " (" + notTerminatedReason(e) + ")"}
	}
	in.finishBamboo(w, r, 1, terms, notTerminated, &resp)
}

// bambooAPIFailed answers a failed read of employee id: 422 when
// BambooHR has no such employee or refused the request as such, else 503
// (with Retry-After when BambooHR gave one) so that BambooHR retries.
func (in *Intake) bambooAPIFailed(w http.ResponseWriter, r *http.Request, id string, err error) {
	switch offboard.ErrorCode(err) {
	case offboard.ENOTFOUND:
		msg := fmt.Sprintf("BambooHR's API has no employee %s (404): the record is gone, or hris.bamboohr.subdomain is wrong", id)
		in.reject(w, r, bambooSource, http.StatusUnprocessableEntity, offboard.EINVALID, msg, msg)
		return
	case offboard.EINVALID:
		msg := fmt.Sprintf("could not read employee %s from BambooHR: %s", id, offboard.ErrorMessage(err))
		in.reject(w, r, bambooSource, http.StatusUnprocessableEntity, offboard.EINVALID, msg, msg)
		return
	case offboard.EFORBIDDEN:
		// Our configuration, not the delivery, is wrong: BambooHR keeps
		// retrying while an admin fixes the key, so nothing is lost.
		in.log.Error("hris: BambooHR refused the API key reading an employee for a webhook; fix hris.bamboohr.api_key",
			"source", bambooSource, "employee", id)
		writeError(w, http.StatusServiceUnavailable, offboard.EUNAVAILABLE,
			"BambooHR refused offboard's API key (hris.bamboohr.api_key) reading employee "+id+"; retry later")
		return
	}
	if rl, ok := errors.AsType[*offboard.RateLimitError](err); ok {
		if secs := int(rl.Reset.Sub(in.clock.Now()).Seconds()); secs > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
	}
	in.log.Warn("hris: could not read an employee from BambooHR for a webhook; asking BambooHR to retry",
		"source", bambooSource, "employee", id, "err", err)
	writeError(w, http.StatusServiceUnavailable, offboard.EUNAVAILABLE,
		"could not read employee "+id+" from BambooHR's API; retry later")
}

// recordFields are rec's values under BambooHR's API field names, so
// that an employee read from the API is judged as a field-based delivery
// of their fields would be.
func recordFields(rec offboard.HRRecord) map[string]string {
	return map[string]string{
		"workEmail": rec.Email, "displayName": rec.Name, "supervisorEmail": rec.ManagerEmail,
		"jobTitle": rec.Title, "department": rec.Department, "location": rec.Location,
		"status": rec.Status, "employmentHistoryStatus": rec.EmploymentStatus,
		"terminationDate": rec.TerminationDate, "terminationType": rec.TerminationType,
	}
}
