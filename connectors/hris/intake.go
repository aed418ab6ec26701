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
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	Audit offboard.AuditLog
	// Location is the company time zone, for "today" (default UTC).
	Location *time.Location
	// BambooHRAPI reads the employee an event-based BambooHR delivery
	// names (it carries no values); connectors/bamboohr implements it.
	// Nil: such deliveries get 422 naming hris.bamboohr.api_key.
	BambooHRAPI offboard.HRRecordReader
}

// Intake serves the HR-system webhooks.
type Intake struct {
	engine offboard.CaseService
	cfg    config.HRIS
	clock  offboard.Clock
	log    *slog.Logger
	audit  offboard.AuditLog
	loc    *time.Location
	kinds  *offboard.TerminationTypes
	bamboo offboard.HRRecordReader // nil without hris.bamboohr.api_key
	// refused rate-limits and summarises unauthenticated refusals.
	refused *refusals
}

// New returns an Intake.
func New(o Options) (*Intake, error) {
	if o.Engine == nil {
		return nil, errors.New("hris: no engine")
	}
	in := &Intake{engine: o.Engine, cfg: o.Config, clock: o.Clock, log: o.Logger, audit: o.Audit,
		loc: o.Location, refused: newRefusals(),
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
	kinds, err := o.Config.BambooHR.TerminationKinds()
	if err != nil {
		return nil, fmt.Errorf("hris: %w", err)
	}
	in.kinds = kinds
	return in, nil
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
	if err := in.audit.Append(context.WithoutCancel(ctx), ev); err != nil {
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
