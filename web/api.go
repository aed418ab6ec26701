package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/strictjson"
)

// Limits on what callers send.
const (
	maxBodyBytes = 1 << 20 // a request body; more answers 413
	maxField     = 200     // a name, title, key, …
	maxEmail     = 254     // RFC 5321
	maxNotes     = 10_000
	maxListLimit = 500
	// dedupePrefix keeps API idempotency keys apart from the event ids
	// other sources (HRIS webhooks) deduplicate by.
	dedupePrefix = "api:"
)

// createCaseRequest is the body of POST /api/v1/cases. It is its own
// type, not offboard.Employee/Case, so that the API changes only on
// purpose.
type createCaseRequest struct {
	Employee     employeeRequest `json:"employee"`
	Kind         string          `json:"kind"`
	LastDay      string          `json:"last_day"`
	EffectiveAt  string          `json:"effective_at"`
	Confidential *bool           `json:"confidential"`
	Playbook     string          `json:"playbook"`
	Notes        string          `json:"notes"`
	DedupeKey    string          `json:"dedupe_key"`
	// Batch marks cases sent together (a layoff): chat announces them
	// once per department, as one batch.
	Batch string `json:"batch"`
	// ConfirmUnknown opens the case although no directory knows an
	// email (someone outside the identity system and the HRIS); without it such an
	// email answers 422 with the nearest known one.
	ConfirmUnknown bool `json:"confirm_unknown"`
}

type employeeRequest struct {
	Email        string `json:"email"`
	Name         string `json:"name"`
	Title        string `json:"title"`
	Department   string `json:"department"`
	Location     string `json:"location"`
	ManagerEmail string `json:"manager_email"`
	TimeZone     string `json:"time_zone"`
	HRISID       string `json:"hris_id"`
}

type cancelCaseRequest struct {
	Reason string `json:"reason"`
}

// caseResponse is one case as the API shows it.
type caseResponse struct {
	Case      *offboard.Case       `json:"case"`
	Tasks     []*offboard.Task     `json:"tasks"`
	Approvals []*offboard.Approval `json:"approvals"`
	Message   string               `json:"message,omitempty"`
	Duplicate bool                 `json:"duplicate,omitempty"`
}

type listResponse struct {
	Cases []caseResponse `json:"cases"`
}

func viewResponse(v *offboard.CaseView) caseResponse {
	return caseResponse{Case: v.Case, Tasks: nonNil(v.Tasks), Approvals: nonNil(v.Approvals)}
}

func resultResponse(res *offboard.Result) caseResponse {
	return caseResponse{Case: res.Case, Tasks: nonNil(res.Tasks), Approvals: nonNil(res.Approvals),
		Message: res.Message, Duplicate: res.Duplicate}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// invalid is a request that is malformed (not JSON, an unknown or
// repeated key, a value too long or of the wrong type, a bad query): 400.
func invalid(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, code: offboard.EINVALID, message: fmt.Sprintf(format, args...)}
}

// unusable is a well-formed request that cannot be acted on (a required
// value missing, a value the engine refuses): 422, as engine refusals.
func unusable(format string, args ...any) error {
	return offboard.Errorf(offboard.EINVALID, format, args...)
}

// createCase serves POST /api/v1/cases.
func (s *Server) createCase(w http.ResponseWriter, r *http.Request, a offboard.Actor) error {
	var req createCaseRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return s.refused(r, a, "", err)
	}
	cmd, err := req.command(a, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return s.refused(r, a, req.Employee.Email, err)
	}
	res, err := s.engine.Apply(r.Context(), cmd)
	if err != nil {
		if st := statusFor(offboard.ErrorCode(err)); st >= 400 && st < 500 {
			// The engine audited its refusal; the log says it too.
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "api: case not opened",
				slog.String("request_id", RequestID(r.Context())), slog.String("actor", a.String()),
				slog.Int("status", st), slog.String("reason", offboard.ErrorMessage(err)))
		}
		return err
	}
	if res.Duplicate {
		// The same key for another person is a caller's bug that would
		// otherwise look like success while nobody's access goes.
		if !strings.EqualFold(res.Case.Employee.Email, strings.TrimSpace(cmd.Employee.Email)) {
			return offboard.Errorf(offboard.ECONFLICT,
				"dedupe key %q was already used for %s, a case for another person; use a new key",
				strings.TrimPrefix(cmd.DedupeKey, dedupePrefix), res.Case.ID)
		}
		writeJSON(w, http.StatusOK, resultResponse(res))
		return nil
	}
	w.Header().Set("Location", "/api/v1/cases/"+string(res.Case.ID))
	writeJSON(w, http.StatusCreated, resultResponse(res))
	return nil
}

// refused logs and audits a create request refused before the engine
// saw it (the engine audits its own refusals), and returns err.
func (s *Server) refused(r *http.Request, a offboard.Actor, email string, err error) error {
	msg := offboard.ErrorMessage(err)
	status := http.StatusUnprocessableEntity
	if he, ok := errors.AsType[*httpError](err); ok {
		msg, status = he.message, he.status
	}
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "api: case not opened",
		slog.String("request_id", RequestID(r.Context())), slog.String("actor", a.String()),
		slog.Int("status", status), slog.String("reason", msg))
	if s.audit != nil {
		ev := offboard.AuditEvent{Time: time.Now(), Actor: a, Action: "api.rejected", Target: truncate(strings.TrimSpace(email), maxEmail),
			Outcome: offboard.OutcomeRefused, Detail: "open case: " + msg,
			Evidence: map[string]string{"status": strconv.Itoa(status), "request_id": RequestID(r.Context())}}
		if aerr := s.audit.Append(context.WithoutCancel(r.Context()), ev); aerr != nil {
			s.log.Error("api: could not audit a refused request", "err", aerr)
		}
	}
	return err
}

// command checks what the engine does not (shape and size) and builds
// the OpenCase; the engine validates the rest and authorizes.
func (req *createCaseRequest) command(a offboard.Actor, idemKey string) (offboard.OpenCase, error) {
	e := req.Employee
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"employee.email", e.Email, maxEmail}, {"employee.manager_email", e.ManagerEmail, maxEmail},
		{"employee.name", e.Name, maxField}, {"employee.title", e.Title, maxField},
		{"employee.department", e.Department, maxField}, {"employee.location", e.Location, maxField},
		{"employee.time_zone", e.TimeZone, maxField}, {"employee.hris_id", e.HRISID, maxField},
		{"kind", req.Kind, maxField}, {"last_day", req.LastDay, maxField},
		{"effective_at", req.EffectiveAt, maxField}, {"playbook", req.Playbook, maxField},
		{"dedupe_key", req.DedupeKey, maxField}, {"Idempotency-Key header", idemKey, maxField},
		{"batch", req.Batch, maxField},
		{"notes", req.Notes, maxNotes},
	} {
		if len(f.value) > f.max {
			return offboard.OpenCase{}, invalid("%s is longer than %d bytes", f.name, f.max)
		}
	}
	batch, err := batchName(req.Batch)
	if err != nil {
		return offboard.OpenCase{}, err
	}
	if strings.TrimSpace(e.Email) == "" {
		return offboard.OpenCase{}, unusable("employee.email is required")
	}
	if strings.TrimSpace(req.Kind) == "" {
		return offboard.OpenCase{}, unusable("kind is required: use voluntary, involuntary, retirement or contract_end")
	}
	cmd := offboard.OpenCase{
		By: a,
		Employee: offboard.Employee{
			HRISID: strings.TrimSpace(e.HRISID), Name: e.Name, Email: e.Email,
			Title: strings.TrimSpace(e.Title), Department: strings.TrimSpace(e.Department),
			Location: strings.TrimSpace(e.Location), ManagerEmail: e.ManagerEmail,
			TimeZone: strings.TrimSpace(e.TimeZone),
		},
		Kind:         offboard.DepartureKind(req.Kind),
		LastDay:      strings.TrimSpace(req.LastDay),
		Confidential: req.Confidential,
		Playbook:     strings.TrimSpace(req.Playbook),
		Source:       "api",
		SourceRef:    a.ID,
		Batch:        batch,
		Notes:        req.Notes,
	}
	cmd.ConfirmUnknown = req.ConfirmUnknown
	if v := strings.TrimSpace(req.EffectiveAt); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return offboard.OpenCase{}, unusable("effective_at %q is not an RFC 3339 time like 2026-12-31T17:00:00Z", v)
		}
		cmd.EffectiveAt = t
	}
	key := strings.TrimSpace(req.DedupeKey)
	if key == "" {
		key = strings.TrimSpace(idemKey)
	}
	if key != "" {
		cmd.DedupeKey = dedupePrefix + key
	}
	return cmd, nil
}

// getCase serves GET /api/v1/cases/{id}.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request, a offboard.Actor) error {
	id, err := pathCaseID(r)
	if err != nil {
		return err
	}
	v, err := s.engine.GetCase(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewResponse(v))
	return nil
}

// listCases serves GET /api/v1/cases?status=…&email=…&limit=…. Without
// email it lists cases with the status (default open), newest first; with
// email it finds that person's cases of any status unless status is given.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request, a offboard.Actor) error {
	q := r.URL.Query()
	for k, v := range q {
		if k != "status" && k != "email" && k != "limit" {
			return invalid("unknown query parameter %q: use status, email or limit", k)
		}
		if len(v) > 1 {
			return invalid("query parameter %s is given %d times; give it once", k, len(v))
		}
	}
	status := offboard.CaseOpen
	if q.Has("status") {
		st, err := offboard.ParseCaseStatus(q.Get("status"))
		if err != nil {
			return invalid("%s", offboard.ErrorMessage(err))
		}
		status = st
	}
	limit := 100
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > maxListLimit {
			return invalid("limit must be a number from 1 to %d", maxListLimit)
		}
		limit = n
	}
	var views []*offboard.CaseView
	var err error
	if q.Has("email") {
		views, err = s.engine.FindCases(r.Context(), a, q.Get("email"))
		if offboard.ErrorCode(err) == offboard.ENOTFOUND { // a case id that does not exist
			views, err = nil, nil
		}
		if q.Has("status") {
			kept := views[:0]
			for _, v := range views {
				if v.Case.Status == status {
					kept = append(kept, v)
				}
			}
			views = kept
		}
		views = views[:min(len(views), limit)]
	} else {
		views, err = s.engine.ListCases(r.Context(), a, status, limit)
	}
	if err != nil {
		return err
	}
	out := listResponse{Cases: make([]caseResponse, 0, len(views))}
	for _, v := range views {
		out.Cases = append(out.Cases, viewResponse(v))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cancelCase serves POST /api/v1/cases/{id}/cancel. The body may be
// empty; the engine then says a reason is required.
func (s *Server) cancelCase(w http.ResponseWriter, r *http.Request, a offboard.Actor) error {
	id, err := pathCaseID(r)
	if err != nil {
		return err
	}
	var req cancelCaseRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		return err
	}
	if len(req.Reason) > maxNotes {
		return invalid("reason is longer than %d bytes", maxNotes)
	}
	res, err := s.engine.Apply(r.Context(), offboard.CancelCase{By: a, CaseID: id, Reason: req.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resultResponse(res))
	return nil
}

// pathCaseID reads {id}; something that cannot be a case id names no case.
func pathCaseID(r *http.Request) (offboard.CaseID, error) {
	raw := r.PathValue("id")
	id, ok := offboard.ParseCaseID(raw)
	if !ok {
		return "", offboard.Errorf(offboard.ENOTFOUND, "no case %q: case ids look like OFF-0042", raw)
	}
	return id, nil
}

// decodeBody decodes one JSON object from r into dst, strictly: the
// Content-Type must be application/json, the body at most maxBodyBytes,
// every key given once and known in its exact case (encoding/json alone
// lets the last duplicate win and matches keys case-insensitively). An
// empty body is allowed when optional.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	ct := r.Header.Get("Content-Type")
	if optional && ct == "" && r.ContentLength == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia,
			message: fmt.Sprintf("Content-Type must be application/json, not %q", ct)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return bodyError(io.EOF)
	}
	fields, open := strictjson.Known(reflect.TypeOf(dst))
	err = strictjson.Walk(body, func(path string) error {
		if !strictjson.Allowed(path, fields, open) {
			return invalid("unknown field %q in the request body (field names are case-sensitive)", path)
		}
		return nil
	})
	if dup, ok := errors.AsType[*strictjson.DuplicateKeyError](err); ok {
		return invalid("field %q is given twice in the request body; give it once", dup.Path)
	}
	if errors.Is(err, strictjson.ErrTrailing) {
		return invalid("the request body must hold one JSON object and nothing after it")
	}
	if errors.Is(err, strictjson.ErrTooDeep) {
		return invalid("the request body nests deeper than %d levels", strictjson.MaxDepth)
	}
	if err != nil {
		if _, ok := errors.AsType[*httpError](err); ok {
			return err
		}
		// Malformed JSON: the decoder's own error says where, as before.
		if derr := json.NewDecoder(bytes.NewReader(body)).Decode(&struct{}{}); derr != nil {
			return bodyError(derr)
		}
		return bodyError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	return nil
}

// bodyError turns a decoding error into a message that names the problem.
func bodyError(err error) error {
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &httpError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
			message: fmt.Sprintf("the request body is larger than %d bytes", e.Limit)}
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalid("malformed JSON at byte offset %d: %s", e.Offset, e.Error())
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return invalid("the request body must be a JSON object, not %s", e.Value)
		}
		return invalid("field %s must be %s, not %s", e.Field, jsonKind(e.Type), e.Value)
	}
	switch {
	case errors.Is(err, io.EOF):
		return invalid("the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the request body ends in the middle of a value")
	}
	if msg := err.Error(); strings.Contains(msg, "unknown field") {
		_, name, _ := strings.Cut(msg, "unknown field ")
		return invalid("unknown field %s in the request body", name)
	}
	return invalid("the request body is not valid JSON: %v", err)
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int64, reflect.Float64, reflect.Uint, reflect.Int32:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// batchName is the client's "batch", trimmed; a control character is
// refused (the name is part of the batch's key in the store, and is
// shown). Batches are kept apart per API token: see Case.BatchKey.
func batchName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", invalid("batch has a control character")
	}
	return name, nil
}
