package hris

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/jsontext"
	"github.com/offboard-dev/offboard/internal/strictjson"
)

const genericSource = "hris:generic"

// Generic serves POST /webhooks/hris: one termination a JSON body, read
// through hris.generic.fields, authenticated by hris.generic.token.
func (in *Intake) Generic() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := in.cfg.Generic.Token.Reveal()
		if token == "" {
			writeError(w, http.StatusNotFound, offboard.ENOTFOUND, "generic HRIS intake is off: set hris.generic.token")
			return
		}
		if !bearerOK(r.Header.Get("Authorization"), token) {
			in.refuseUnauthenticated(w, r, genericSource, http.StatusUnauthorized, "unauthorized", "token check failed",
				"token check failed: missing or wrong bearer token")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			in.reject(w, r, genericSource, http.StatusUnsupportedMediaType, "unsupported_media_type",
				"Content-Type must be application/json", fmt.Sprintf("Content-Type %q is not application/json", truncate(r.Header.Get("Content-Type"), 100)))
			return
		}
		body, ok := in.readBody(w, r, genericSource, true)
		if !ok {
			return
		}
		t, err := in.genericTermination(body)
		if err != nil {
			// Not JSON, or a key twice: 400; JSON we cannot act on: 422.
			status := http.StatusUnprocessableEntity
			if pe, ok := errors.AsType[*malformedError](err); ok {
				status, err = http.StatusBadRequest, pe.err
			}
			in.reject(w, r, genericSource, status, offboard.EINVALID, err.Error(), "unusable payload: "+err.Error())
			return
		}
		var resp Response
		if !in.apply(w, r, genericSource, []termination{t}, &resp) {
			return
		}
		if len(resp.Cases) == 0 && len(resp.Skipped) == 1 {
			// The engine refused the one notice (and audited it): a
			// well-formed body we cannot act on, or one contradicting
			// what is stored.
			if resp.Skipped[0].Conflict {
				writeError(w, http.StatusConflict, offboard.ECONFLICT, resp.Skipped[0].Reason)
				return
			}
			writeError(w, http.StatusUnprocessableEntity, offboard.EINVALID, resp.Skipped[0].Reason)
			return
		}
		in.answer(w, &resp)
	})
}

// bearerOK compares digests in constant time, so neither the value nor
// its length leaks through timing.
func bearerOK(header, token string) bool {
	scheme, given, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a := sha256.Sum256([]byte(strings.TrimSpace(given)))
	b := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// malformedError is a body that is not one JSON value with each key
// once (400); other errors are JSON we cannot act on (422).
type malformedError struct{ err error }

func (e *malformedError) Error() string { return e.err.Error() }

// genericTermination maps a body through the configured paths. Errors
// name the field and say what is wrong.
func (in *Intake) genericTermination(body []byte) (termination, error) {
	fm := in.cfg.Generic.Fields
	if err := in.checkGenericKeys(body); err != nil {
		return termination{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return termination{}, &malformedError{fmt.Errorf("body is not JSON: %s", jsontext.ErrorText(err))}
	}
	get := func(name, path string) (string, error) {
		if path == "" {
			return "", nil
		}
		v, found, err := lookup(doc, path)
		if err != nil {
			return "", fmt.Errorf("%s: bad path %q: %v", name, path, err)
		}
		if !found || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			if s = jsontext.Scalar(v); s == "" {
				return "", fmt.Errorf("%s: the value at %q is not text", name, path)
			}
		}
		return strings.TrimSpace(s), nil
	}
	vals := map[string]string{}
	for _, f := range []struct{ name, path string }{
		{"event_id", fm.EventID}, {"email", fm.Email}, {"name", fm.Name}, {"manager_email", fm.ManagerEmail},
		{"termination_date", fm.TerminationDate}, {"effective_at", fm.EffectiveAt}, {"kind", fm.Kind},
		{"hris_id", fm.HRISID}, {"title", fm.Title}, {"department", fm.Department}, {"time_zone", fm.TimeZone},
	} {
		v, err := get(f.name, f.path)
		if err != nil {
			return termination{}, err
		}
		vals[f.name] = v
	}
	if vals["email"] == "" {
		return termination{}, fmt.Errorf("email: required, but the body has no value at %q", fm.Email)
	}
	var notes []string
	kind, known := in.kinds.Resolve(vals["kind"])
	if !known && vals["kind"] != "" {
		// A kind we cannot read ("fired") must not become a voluntary
		// exit that keeps access until the last day: the sender, who
		// chose the value, is told instead.
		return termination{}, fmt.Errorf("kind: %q at %q is not a departure kind offboard knows: send voluntary, involuntary, retirement or contract_end, or map it under hris.bamboohr.termination_types",
			vals["kind"], fm.Kind)
	}
	date, effective := "", time.Time{}
	if raw := vals["termination_date"]; raw != "" {
		d, at, ok := offboard.ParseHRDate(raw)
		if !ok {
			return termination{}, fmt.Errorf("termination_date: %q at %q is not a date like 2026-12-31", raw, fm.TerminationDate)
		}
		date, effective = d, at
	} else if !kind.Immediate() {
		return termination{}, fmt.Errorf("termination_date: required (only an involuntary departure may leave it out), but the body has no value at %q", fm.TerminationDate)
	}
	if raw := vals["effective_at"]; raw != "" {
		at, err := time.Parse(time.RFC3339, raw)
		if err != nil || at.IsZero() { // the zero time is a placeholder, not a time
			return termination{}, fmt.Errorf("effective_at: %q at %q is not an RFC 3339 time like 2026-12-31T17:00:00Z", raw, fm.EffectiveAt)
		}
		effective = at
	}
	tz := vals["time_zone"]
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return termination{}, fmt.Errorf("time_zone: unknown time zone %q", tz)
		}
	}
	keyDate := date
	if keyDate == "" {
		keyDate = in.today(tz)
	}
	lastDay := in.lastDay(date, tz, kind, "HR system", &notes)
	ref := vals["hris_id"]
	if ref == "" {
		ref = vals["email"]
	}
	dedupe := offboard.HRDedupeKey("hris", strings.ToLower(vals["email"]), keyDate)
	sourceRef := vals["hris_id"]
	if id := vals["event_id"]; id != "" {
		dedupe, sourceRef = "hris:"+id, id
	}
	return termination{ref: ref, open: offboard.OpenCase{
		By: offboard.System(genericSource),
		Employee: offboard.Employee{
			HRISID: vals["hris_id"], Name: vals["name"], Email: vals["email"], ManagerEmail: vals["manager_email"],
			Title: vals["title"], Department: vals["department"], TimeZone: tz,
		},
		Kind: kind, LastDay: lastDay, EffectiveAt: effective, Source: genericSource, SourceRef: sourceRef,
		DedupeKey: dedupe, Notes: strings.Join(notes, "\n"),
	}}, nil
}

// checkGenericKeys refuses a key given twice (400) and keys no path of
// hris.generic.fields or hris.generic.ignore_fields names (422): a field
// we do not read might be the one that matters ("EMAIL" is not "email").
func (in *Intake) checkGenericKeys(body []byte) error {
	fm := in.cfg.Generic.Fields
	var mapped []string
	for _, p := range []string{fm.EventID, fm.Email, fm.Name, fm.ManagerEmail, fm.TerminationDate, fm.EffectiveAt,
		fm.Kind, fm.HRISID, fm.Title, fm.Department, fm.TimeZone} {
		if p != "" {
			mapped = append(mapped, p)
		}
	}
	var unknown []string
	err := strictjson.Walk(body, func(path string) error {
		for _, m := range mapped {
			if m == path || strings.HasPrefix(m, path+".") || strings.HasPrefix(m, path+"[") {
				return nil
			}
		}
		for _, ig := range in.cfg.Generic.IgnoreFields {
			if ig == path || strings.HasPrefix(path, ig+".") || strings.HasPrefix(path, ig+"[") {
				return nil
			}
		}
		unknown = append(unknown, path)
		return nil
	})
	if dup, ok := errors.AsType[*strictjson.DuplicateKeyError](err); ok {
		return &malformedError{fmt.Errorf("%s: give it once", dup.Error())}
	}
	if errors.Is(err, strictjson.ErrTrailing) {
		return &malformedError{fmt.Errorf("body has data after the JSON value")}
	}
	if errors.Is(err, strictjson.ErrTooDeep) {
		return &malformedError{fmt.Errorf("body nests deeper than %d levels", strictjson.MaxDepth)}
	}
	if err != nil {
		var doc any
		if derr := json.Unmarshal(body, &doc); derr != nil {
			err = derr
		}
		return &malformedError{fmt.Errorf("body is not JSON: %s", jsontext.ErrorText(err))}
	}
	if len(unknown) > 0 {
		if len(unknown) > 10 {
			unknown = append(unknown[:10], fmt.Sprintf("and %d more", len(unknown)-10))
		}
		return fmt.Errorf("unknown field %s: offboard reads only the paths in hris.generic.fields (names are case-sensitive); list fields it may ignore in hris.generic.ignore_fields",
			strings.Join(unknown, ", "))
	}
	return nil
}

// lookup follows a dotted path with [n] indexes ("data.events[0].date").
// found is false when a key or index is absent; err when the path itself
// does not parse.
func lookup(doc any, path string) (v any, found bool, err error) {
	v = doc
	for i, part := range strings.Split(path, ".") {
		name, rest := part, ""
		if j := strings.IndexByte(part, '['); j >= 0 {
			name, rest = part[:j], part[j:]
		}
		if name == "" && (i > 0 || rest == "") {
			return nil, false, fmt.Errorf("empty segment")
		}
		if name != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false, nil
			}
			if v, ok = m[name]; !ok {
				return nil, false, nil
			}
		}
		for rest != "" {
			end := strings.IndexByte(rest, ']')
			if rest[0] != '[' || end < 0 {
				return nil, false, fmt.Errorf("unclosed or misplaced [")
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("array index must be a number")
			}
			rest = rest[end+1:]
			a, ok := v.([]any)
			if !ok || n >= len(a) {
				return nil, false, nil
			}
			v = a[n]
		}
	}
	return v, true, nil
}
