// Package hris receives termination notices from HR systems: BambooHR's
// signed field-based and event-based webhooks and a generic JSON webhook with a bearer
// token and a configurable field mapping. Each termination becomes an
// offboard.OpenCase command for the engine; the answer is sent only after
// the engine committed it, so a sender that sees 2xx knows the case is
// stored, and a sender that sees 5xx retries (the dedupe keys make the
// retry open nothing twice). Unauthenticated refusals are limited and
// summarised per source (refusals.go). The package also holds the
// BambooHR API client (bamboohr_api.go) that event-based deliveries and
// the reconciler read employees with. It imports the root package,
// config, internal/strictjson, x/time/rate and the standard library:
// never flows, store, bot or another connector.
package hris

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
)

// MaxBody is the largest request body read; larger ones get 413.
const MaxBody = 1 << 20

// MaxSkew is how far a BambooHR timestamp may be from now.
const MaxSkew = 5 * time.Minute

// Options configure an Intake.
type Options struct {
	// Engine opens the cases (the intake never imports the engine:
	// connectors stay out of flows).
	Engine offboard.CaseService
	Config config.HRIS
	Clock  offboard.Clock
	Logger *slog.Logger
	// Audit records rejected deliveries (bad signature, malformed body,
	// skipped employees). Nil records nothing.
	Audit func(ctx context.Context, ev offboard.AuditEvent) error
	// Location is the company time zone, for "today" (default UTC).
	Location *time.Location
	// BambooHRAPI reads the employee an event-based BambooHR delivery
	// names (it carries no values). Nil: such deliveries get 422 naming
	// hris.bamboohr.api_key.
	BambooHRAPI *BambooHRAPI
}

// Intake serves the HR-system webhooks.
type Intake struct {
	engine offboard.CaseService
	cfg    config.HRIS
	clock  offboard.Clock
	log    *slog.Logger
	audit  func(ctx context.Context, ev offboard.AuditEvent) error
	loc    *time.Location
	types  map[string]offboard.DepartureKind // lower-cased termination types
	bamboo *BambooHRAPI                      // nil without hris.bamboohr.api_key
	// refused rate-limits and summarises unauthenticated refusals.
	refused *refusals
}

// New returns an Intake.
func New(o Options) (*Intake, error) {
	if o.Engine == nil {
		return nil, errors.New("hris: no engine")
	}
	in := &Intake{engine: o.Engine, cfg: o.Config, clock: o.Clock, log: o.Logger, audit: o.Audit,
		loc: o.Location, types: map[string]offboard.DepartureKind{}, refused: newRefusals(),
		bamboo: o.BambooHRAPI}
	if in.clock == nil {
		in.clock = offboard.WallClock()
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.loc == nil {
		in.loc = time.UTC
	}
	types := o.Config.BambooHR.TerminationTypes
	if types == nil {
		types = config.DefaultTerminationTypes()
	}
	for name, k := range types {
		kind, err := offboard.ParseDepartureKind(string(k))
		if err != nil {
			return nil, errors.New("hris: hris.bamboohr.termination_types[" + name + "]: " + err.Error())
		}
		in.types[normType(name)] = kind
	}
	return in, nil
}

func normType(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// resolveKind maps an HR system's termination type to a departure kind:
// a departure kind itself, an exact configured type, or the configured
// types named as whole words in it, when they agree. Anything else is
// voluntary, with a note for HR.
func (in *Intake) resolveKind(typ string) (kind offboard.DepartureKind, known bool) {
	t := normType(typ)
	if t == "" {
		return offboard.Voluntary, false
	}
	if k, err := offboard.ParseDepartureKind(t); err == nil {
		return k, true
	}
	if k, ok := in.types[t]; ok {
		return k, true
	}
	words := " " + strings.Join(strings.FieldsFunc(t, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}), " ") + " "
	var found offboard.DepartureKind
	for name, k := range in.types {
		if !strings.Contains(words, " "+name+" ") {
			continue
		}
		if found != "" && found != k {
			return offboard.Voluntary, false
		}
		found = k
	}
	if found != "" {
		return found, true
	}
	return offboard.Voluntary, false
}

// today is the date now in the employee's zone, or the company's.
func (in *Intake) today(tz string) string {
	loc := in.loc
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	return in.clock.Now().In(loc).Format(time.DateOnly)
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// record appends a refused audit event; a failure is logged, not fatal.
func (in *Intake) record(ctx context.Context, source, target, detail string, evidence map[string]string) {
	in.recordEvent(ctx, source, "webhook.rejected", target, detail, evidence)
}

// recordAction appends a refused audit event with its own action.
func (in *Intake) recordAction(ctx context.Context, source, action, detail string, evidence map[string]string) {
	in.recordEvent(ctx, source, action, "", detail, evidence)
}

func (in *Intake) recordEvent(ctx context.Context, source, action, target, detail string, evidence map[string]string) {
	if in.audit == nil {
		return
	}
	ev := offboard.AuditEvent{
		Time: in.clock.Now(), Actor: offboard.System(source), Action: action,
		Target: target, Outcome: offboard.OutcomeRefused, Detail: detail, Evidence: evidence,
	}
	if err := in.audit(context.WithoutCancel(ctx), ev); err != nil {
		in.log.Error("hris: could not record a rejected delivery", "source", source, "err", err)
	}
}

// reject answers a delivery refused as a whole and audits it.
func (in *Intake) reject(w http.ResponseWriter, r *http.Request, source string, status int, code, msg, detail string) {
	in.log.Warn("hris: delivery rejected", "source", source, "status", status, "reason", detail, "remote", r.RemoteAddr)
	in.record(r.Context(), source, "", detail, map[string]string{"status": http.StatusText(status), "remote": r.RemoteAddr})
	writeError(w, status, code, msg)
}

// readBody reads at most MaxBody bytes; false means an answer was sent.
// Before the sender authenticated, its refusals are rate-limited and
// summarised (refusals.go).
func (in *Intake) readBody(w http.ResponseWriter, r *http.Request, source string, authenticated bool) ([]byte, bool) {
	refuse := in.reject
	if !authenticated {
		refuse = in.refuseUnauthenticated
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, offboard.EINVALID, "use POST")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			refuse(w, r, source, http.StatusRequestEntityTooLarge, offboard.EINVALID,
				"body too large: at most 1 MiB", "body over 1 MiB")
			return nil, false
		}
		refuse(w, r, source, http.StatusBadRequest, offboard.EINVALID, "could not read the body", "unreadable body")
		return nil, false
	}
	return body, true
}

// termination is one departure found in a delivery.
type termination struct {
	ref       string            // the sender's id for the employee (or the email)
	open      offboard.OpenCase // the command that opens the case
	skip      string            // why no case is opened, when set
	skipAudit string
}

// CaseOut is one employee's outcome in a 202 answer.
type CaseOut struct {
	EmployeeID string `json:"employee_id"`
	CaseID     string `json:"case_id"`
	Duplicate  bool   `json:"duplicate"`
	Message    string `json:"message,omitempty"`
}

// Skipped is an employee of a delivery that opened no case, and why.
type Skipped struct {
	EmployeeID string `json:"employee_id"`
	Reason     string `json:"reason"`
	// Conflict is set when the notice contradicts what is stored (an
	// event id already used for another person).
	Conflict bool `json:"conflict,omitempty"`
}

// Response is the answer: 202 when every termination in the delivery
// was acted on, 422 (with Error set) when some or all were not; the
// cases listed were committed either way.
type Response struct {
	Accepted int       `json:"accepted"`
	Cases    []CaseOut `json:"cases"`
	Skipped  []Skipped `json:"skipped"`
	Ignored  []string  `json:"ignored,omitempty"`
	// Error says, on a 422, why the delivery was not acted on in full.
	Error *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is the error of a 4xx answer.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apply opens the cases. It returns false after answering 503 when the
// engine failed (not refused): the sender retries.
func (in *Intake) apply(w http.ResponseWriter, r *http.Request, source string, terms []termination, resp *Response) bool {
	for _, t := range terms {
		if t.skip != "" {
			in.log.Warn("hris: termination skipped", "source", source, "employee", t.ref, "reason", t.skipAudit)
			resp.Skipped = append(resp.Skipped, Skipped{EmployeeID: t.ref, Reason: t.skip})
			in.record(r.Context(), source, t.ref, "termination skipped: "+t.skipAudit, nil)
			continue
		}
		res, err := in.engine.Apply(r.Context(), t.open)
		switch {
		case err == nil:
			out := CaseOut{EmployeeID: t.ref, Duplicate: res.Duplicate, Message: res.Message}
			if res.Case != nil {
				out.CaseID = string(res.Case.ID)
			}
			resp.Cases = append(resp.Cases, out)
		case offboard.Permanent(err):
			// The engine audited the refusal; the answer names it.
			in.log.Warn("hris: termination refused", "source", source, "employee", t.ref, "reason", offboard.ErrorMessage(err))
			resp.Skipped = append(resp.Skipped, Skipped{EmployeeID: t.ref, Reason: offboard.ErrorMessage(err),
				Conflict: offboard.ErrorCode(err) == offboard.ECONFLICT})
		default:
			in.log.Error("hris: could not open a case; asking the sender to retry", "source", source, "employee", t.ref, "err", err)
			writeError(w, http.StatusServiceUnavailable, offboard.EUNAVAILABLE,
				"could not record the termination; retry later")
			return false
		}
	}
	resp.Accepted = len(resp.Cases)
	return true
}

func (in *Intake) answer(w http.ResponseWriter, resp *Response) {
	if resp.Cases == nil {
		resp.Cases = []CaseOut{}
	}
	if resp.Skipped == nil {
		resp.Skipped = []Skipped{}
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// parseDate accepts "2006-01-02" or an RFC 3339 time (its own date).
// 0001-01-01 is not a date but a placeholder: as a time it is the zero
// time, which reads as "no effective time" and so escaped the engine's
// lookback check, while the past day became today.
func parseDate(s string) (day string, at time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil && !t.IsZero() {
		return s, t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && !t.IsZero() {
		return t.Format(time.DateOnly), t, true
	}
	return "", time.Time{}, false
}

// lastDay is the date a case gets: a past date of a notice that is not
// immediate becomes today, with a note (the engine refuses past days).
func (in *Intake) lastDay(date, tz string, kind offboard.DepartureKind, label string, notes *[]string) string {
	if date == "" {
		return ""
	}
	if today := in.today(tz); !kind.Immediate() && date < today {
		*notes = append(*notes, label+" termination date "+date+" is in the past; last day set to today")
		return today
	}
	return date
}

// truncate shortens s for a log or audit line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
