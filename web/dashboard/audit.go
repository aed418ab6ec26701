package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/internal/sameorigin"
)

// badField is a filter value that does not parse.
type badField struct{ Field, Msg string }

func (e *badField) Error() string { return e.Field + ": " + e.Msg }

// auditQuery is the filter as typed, for the form and the links.
type auditQuery struct {
	Case, Since, Until string
}

func (q auditQuery) encode() string {
	v := url.Values{}
	if q.Case != "" {
		v.Set("case", q.Case)
	}
	if q.Since != "" {
		v.Set("since", q.Since)
	}
	if q.Until != "" {
		v.Set("until", q.Until)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// parseAuditFilter reads case, since and until. Dates are days in the
// dashboard's location; until is inclusive. RFC 3339 times are accepted
// too (until exclusive, as the command line treats them).
func (s *server) parseAuditFilter(v url.Values) (offboard.AuditFilter, auditQuery, error) {
	q := auditQuery{Case: strings.TrimSpace(v.Get("case")), Since: strings.TrimSpace(v.Get("since")), Until: strings.TrimSpace(v.Get("until"))}
	var f offboard.AuditFilter
	if q.Case != "" {
		id, ok := offboard.ParseCaseID(q.Case)
		if !ok {
			return f, q, &badField{"case", fmt.Sprintf("%q is not a case id like OFF-0042", q.Case)}
		}
		f.CaseID, q.Case = id, string(id)
	}
	loc := s.o.Location
	parse := func(field, val string, endOfDay bool) (time.Time, error) {
		if val == "" {
			return time.Time{}, nil
		}
		if t, err := time.ParseInLocation("2006-01-02", val, loc); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1)
			}
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, val); err == nil {
			return t, nil
		}
		return time.Time{}, &badField{field, fmt.Sprintf("%q is not a date like 2026-11-25", val)}
	}
	var err error
	if f.Since, err = parse("since", q.Since, false); err != nil {
		return f, q, err
	}
	if f.Until, err = parse("until", q.Until, true); err != nil {
		return f, q, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, q, &badField{"until", "the end is not after the start"}
	}
	return f, q, nil
}

type verifyView struct {
	OK       bool
	Events   uint64
	HeadHash string
	BadSeq   uint64
	Problem  string
}

type auditData struct {
	Query    auditQuery
	Events   []eventRow
	Total    int
	Limited  bool
	Limit    int
	JSONLink string
	CSVLink  string
	Verify   *verifyView
	// Evidence shows the evidence download form.
	Evidence bool
}

func (s *server) failFilter(w http.ResponseWriter, r *http.Request, err error) {
	var bf *badField
	if errors.As(err, &bf) {
		s.fail(w, r, http.StatusBadRequest, "Bad filter value for "+bf.Field+": "+bf.Msg+".")
		return
	}
	s.failErr(w, r, err)
}

// auditPage reads the latest AuditPageLimit events of f, newest first.
func (s *server) auditData(r *http.Request, f offboard.AuditFilter, q auditQuery) (auditData, error) {
	d := auditData{Query: q, Limit: AuditPageLimit, JSONLink: "/audit.json" + q.encode(), CSVLink: "/audit.csv" + q.encode(),
		Evidence: s.o.Evidence != nil && mayDownloadEvidence(viewerOf(r.Context()))}
	ring := make([]eventRow, 0, AuditPageLimit)
	next := 0
	visible, err := s.auditScope(r.Context(), f)
	if err != nil {
		return d, err
	}
	err = s.o.Audit(r.Context(), f, func(e *offboard.AuditEvent) error {
		if !visible(e) {
			return nil
		}
		d.Total++
		if len(ring) < AuditPageLimit {
			ring = append(ring, toEventRow(e))
			return nil
		}
		ring[next] = toEventRow(e)
		next = (next + 1) % AuditPageLimit
		return nil
	})
	if err != nil {
		return d, err
	}
	d.Events = append(ring[next:], ring[:next]...)
	slices.Reverse(d.Events)
	d.Limited = d.Total > AuditPageLimit
	return d, nil
}

func (s *server) audit(w http.ResponseWriter, r *http.Request) {
	f, q, err := s.parseAuditFilter(r.URL.Query())
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	d, err := s.auditData(r, f, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.taskTitles(r, d.Events)
	s.render(w, r, http.StatusOK, "audit", "Audit trail", d)
}

// maxTitleCases bounds the case reads one audit page makes to name tasks.
const maxTitleCases = 64

// taskTitles says the task an event is about by its title ("Suspend the
// Okta account"), as the case page does, instead of the playbook's key
// (okta_suspend). A case the viewer may not read, or past the bound,
// keeps its keys.
func (s *server) taskTitles(r *http.Request, events []eventRow) {
	titles := map[offboard.CaseID]map[string]string{}
	for i := range events {
		e := &events[i]
		if e.CaseID == "" || e.Target == "" {
			continue
		}
		m, seen := titles[e.CaseID]
		if !seen {
			if len(titles) >= maxTitleCases {
				continue
			}
			if v, err := s.o.Engine.GetCase(r.Context(), viewerOf(r.Context()), e.CaseID); err == nil {
				m = make(map[string]string, len(v.Tasks))
				for _, t := range v.Tasks {
					m[t.Key] = t.Title
				}
			}
			titles[e.CaseID] = m
		}
		if t, ok := m[e.Target]; ok {
			e.Target = t
		}
	}
}

func (s *server) verify(w http.ResponseWriter, r *http.Request) {
	if !sameorigin.Allowed(r, s.o.PublicURL) {
		s.fail(w, r, http.StatusForbidden, "This request came from another site, so nothing was done.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f, q, err := s.parseAuditFilter(r.Form)
	if err != nil {
		s.failFilter(w, r, err)
		return
	}
	if !seesAll(viewerOf(r.Context())) {
		// The chain's length and head say how much happened across every
		// case, including those this person may not see.
		s.fail(w, r, http.StatusForbidden, "Verifying the whole audit chain is for HR, IT, Security, Legal, auditors and admins.")
		return
	}
	res, err := s.o.Verify(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.o.Logger.InfoContext(r.Context(), "dashboard: audit chain verified", "ok", res.OK, "events", res.Events, "bad_seq", res.BadSeq)
	d, err := s.auditData(r, f, q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d.Verify = &verifyView{OK: res.OK, Events: res.Events, HeadHash: res.HeadHash, BadSeq: res.BadSeq, Problem: res.Problem}
	status := http.StatusOK
	s.render(w, r, status, "audit", "Audit trail", d)
}

func (s *server) auditExport(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, _, err := s.parseAuditFilter(r.URL.Query())
		if err != nil {
			s.failFilter(w, r, err)
			return
		}
		visible, err := s.auditScope(r.Context(), f)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		name := "offboard-audit"
		if f.CaseID != "" {
			name += "-" + string(f.CaseID)
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		switch format {
		case "json":
			h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
		default:
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		}
		if _, err := offboard.WriteAudit(w, format, func(fn func(*offboard.AuditEvent) error) error {
			return s.o.Audit(r.Context(), f, func(e *offboard.AuditEvent) error {
				if !visible(e) {
					return nil
				}
				return fn(e)
			})
		}); err != nil {
			// The status is sent; a cut-off download is all we can show.
			s.o.Logger.ErrorContext(r.Context(), "dashboard: audit export", "format", format, "err", err)
		}
	}
}
