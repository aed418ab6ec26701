package bamboohrtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"
)

// Webhook deliveries as BambooHR sends them
// (documentation.bamboohr.com/docs/webhooks, /field-based-webhooks,
// /event-based-webhooks): a POST signed with the webhook's private key,
// X-BambooHR-Signature being the hex HMAC-SHA256 of the raw body followed
// by the X-BambooHR-Timestamp value as sent.

// EnglishNames are the names BambooHR posts fields under when the admin
// gives them no alias, keyed by API field name.
var EnglishNames = map[string]string{
	"firstName":               "First Name",
	"lastName":                "Last Name",
	"workEmail":               "Work Email",
	"homeEmail":               "Home Email",
	"status":                  "Status",
	"employmentHistoryStatus": "Employment Status",
	"terminationDate":         "Termination Date",
	"terminationType":         "Termination Type",
	"supervisorEmail":         "Supervisor Email",
	"jobTitle":                "Job Title",
	"department":              "Department",
	"location":                "Location",
}

// DefaultPostFields are the API names of the fields a field-based
// webhook posts unless WebhookConfig.PostFields says otherwise: the ones
// offboard's README asks the admin to tick.
var DefaultPostFields = []string{"firstName", "lastName", "workEmail", "supervisorEmail", "status",
	"employmentHistoryStatus", "terminationDate", "terminationType"}

// WebhookConfig is one webhook as set up in BambooHR's Account Settings.
type WebhookConfig struct {
	// PrivateKey signs the deliveries.
	PrivateKey string
	// PostFields are the API names of the posted fields (field-based
	// webhooks only); nil means DefaultPostFields.
	PostFields []string
	// Aliases rename posted fields (API name → alias); a field without
	// one is posted under its English name.
	Aliases map[string]string
	// Form posts URL-encoded form data instead of JSON.
	Form bool
	// ISOTimestamp sends X-BambooHR-Timestamp as ISO 8601
	// ("2026-01-31T18:42:00+0000") instead of unix seconds.
	ISOTimestamp bool
}

// Delivery is one signed webhook POST.
type Delivery struct {
	Body   []byte
	Header http.Header
}

// Request returns the delivery as an incoming server request to target
// (a path or URL), for a handler's ServeHTTP.
func (d *Delivery) Request(target string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(d.Body))
	for k, v := range d.Header {
		r.Header[k] = append([]string(nil), v...)
	}
	return r
}

// Send posts the delivery to url with hc, as BambooHR would.
func (d *Delivery) Send(hc *http.Client, url string) (*http.Response, error) {
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range d.Header {
		r.Header[k] = append([]string(nil), v...)
	}
	return hc.Do(r)
}

// Sign is BambooHR's signature of body sent with timestamp ts.
func Sign(key string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	m.Write([]byte(ts))
	return hex.EncodeToString(m.Sum(nil))
}

// isoLayout is how BambooHR's documented samples write times.
const isoLayout = "2006-01-02T15:04:05-0700"

func (c WebhookConfig) name(apiName string) string {
	if a, ok := c.Aliases[apiName]; ok && a != "" {
		return a
	}
	if n, ok := EnglishNames[apiName]; ok {
		return n
	}
	return apiName
}

func (c WebhookConfig) sign(body []byte, at time.Time) *Delivery {
	ts := strconv.FormatInt(at.Unix(), 10)
	if c.ISOTimestamp {
		ts = at.UTC().Format(isoLayout)
	}
	h := http.Header{}
	if c.Form {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("User-Agent", "BambooHR-WebHooks/1.0 (+https://www.bamboohr.com)")
	h.Set("X-BambooHR-Timestamp", ts)
	h.Set("X-BambooHR-Signature", Sign(c.PrivateKey, body, ts))
	return &Delivery{Body: body, Header: h}
}

// FieldBased is a field-based ("global") employee_with_fields.updated
// delivery for the employees ids, as sent at at: each employee's posted
// fields with their current values, and changed (API names) as its
// changedFields, all under English names or aliases.
func (s *Server) FieldBased(c WebhookConfig, at time.Time, changed []string, ids ...string) *Delivery {
	s.t.Helper()
	post := c.PostFields
	if post == nil {
		post = DefaultPostFields
	}
	changedNames := make([]string, 0, len(changed))
	for _, f := range changed {
		changedNames = append(changedNames, c.name(f))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type employee struct {
		Action        string            `json:"action"`
		ChangedFields []string          `json:"changedFields"`
		Fields        map[string]string `json:"fields"`
		ID            string            `json:"id"`
		Timestamp     string            `json:"timestamp"`
	}
	var emps []employee
	form := url.Values{}
	for _, id := range ids {
		e, ok := s.employees[id]
		if !ok {
			s.t.Fatalf("bamboohrtest: no employee %q to send a webhook about", id)
		}
		fields := map[string]string{}
		for _, f := range post {
			// The documentation does not say how an unset field is
			// posted; the fake posts it empty, which reads as not sent.
			fields[c.name(f)] = e.Fields[f]
		}
		emps = append(emps, employee{Action: "Updated", ChangedFields: changedNames, Fields: fields, ID: id,
			Timestamp: at.UTC().Format(isoLayout)})
		// Form posts put the fields straight under the employee.
		prefix := "employees[" + id + "]"
		form.Set(prefix+"[action]", "Updated")
		for i, n := range changedNames {
			form.Set(prefix+"[changedFields]["+strconv.Itoa(i)+"]", n)
		}
		for n, v := range fields {
			form.Set(prefix+"["+n+"]", v)
		}
	}
	if c.Form {
		return c.sign([]byte(form.Encode()), at)
	}
	body, err := json.Marshal(map[string]any{"employees": emps})
	if err != nil {
		s.t.Fatal(err)
	}
	return c.sign(body, at)
}

// EventBased is an event-based delivery (BambooHR's recommended kind) of
// event ("employee.updated", "employee.created", "employee.deleted")
// about employee id; changed are API field names (employee.updated
// only). It carries no field values: the receiver reads them from the
// API.
func (s *Server) EventBased(c WebhookConfig, at time.Time, event, id string, changed ...string) *Delivery {
	s.t.Helper()
	if c.Form {
		form := url.Values{"type": {event}, "data[companyId]": {CompanyID}, "data[employeeId]": {id}}
		for i, f := range changed {
			form.Set("data[changedFields]["+strconv.Itoa(i)+"]", f)
		}
		return c.sign([]byte(form.Encode()), at)
	}
	data := map[string]any{"companyId": CompanyID, "employeeId": id}
	if event == "employee.updated" {
		data["changedFields"] = append([]string{}, changed...)
	}
	body, err := json.Marshal(map[string]any{"type": event, "timestamp": at.UTC().Format(isoLayout), "data": data})
	if err != nil {
		s.t.Fatal(err)
	}
	return c.sign(body, at)
}
