package dashboard

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
)

// EvidencePack is a built evidence pack (evidence.Pack): Write streams it
// as a zip, Summary gives the figures and rows the Evidence page shows
// (the same ones index.csv holds).
type EvidencePack interface {
	Write(w io.Writer) error
	Summary() evidence.Summary
}

// EvidenceFunc builds the evidence pack of the leavers whose case clock
// started in [from, to). It only reads.
type EvidenceFunc func(ctx context.Context, from, to time.Time) (EvidencePack, error)

// mayDownloadEvidence: the pack names every leaver, confidential ones
// included, so it is for admins, Security and auditors, and for the dashboard's own viewer when no one signs in (then
// console.token or demo mode guards every page).
func mayDownloadEvidence(a offboard.Actor) bool {
	return a.IsAdmin() || a.Has(offboard.RoleSecurity) || a.Has(offboard.RoleAuditor) || (a.Kind == offboard.ActorSystem && a.Has(offboard.RoleSystem))
}

func (s *server) evidence(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r.Context())
	if s.o.Evidence == nil {
		s.fail(w, r, http.StatusNotFound, "The evidence download is not available on this server; run offboard evidence on a copy of the store.")
		return
	}
	if !mayDownloadEvidence(viewer) {
		s.o.Logger.WarnContext(r.Context(), "dashboard: evidence download refused", "viewer", viewer.String())
		s.fail(w, r, http.StatusForbidden, "The evidence pack is for admins, Security and auditors: it names every leaver.")
		return
	}
	from, to, status, msg := s.evidencePeriod(r, false)
	if status != 0 {
		s.fail(w, r, status, msg)
		return
	}
	pack, err := s.o.Evidence(r.Context(), from, to.AddDate(0, 0, 1))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	name := "offboard-evidence-" + from.Format("2006-01-02") + "-to-" + to.Format("2006-01-02") + ".zip"
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	s.o.Logger.InfoContext(r.Context(), "dashboard: evidence pack downloaded", "viewer", viewer.String(), "from", from.Format("2006-01-02"), "to", to.Format("2006-01-02"))
	if err := pack.Write(w); err != nil {
		// The status is sent; a cut-off download is all we can show.
		s.o.Logger.ErrorContext(r.Context(), "dashboard: evidence pack", "err", err)
	}
}

// evidencePeriod reads the from and to dates (to inclusive) in the
// company's zone. A bad date is 400 naming the field, a reversed period
// 422; both are warned in the log. With defaults, an empty field means
// the last 90 days up to today.
func (s *server) evidencePeriod(r *http.Request, defaults bool) (from, to time.Time, status int, msg string) {
	q := r.URL.Query()
	loc := s.o.Location
	now := s.o.Clock.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	parse := func(name string, def time.Time) (time.Time, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" && defaults {
			return def, nil
		}
		return time.ParseInLocation("2006-01-02", v, loc)
	}
	from, errFrom := parse("from", today.AddDate(0, 0, -evidenceDefaultDays))
	to, errTo := parse("to", today)
	if errFrom != nil || errTo != nil || to.Before(from) {
		s.o.Logger.WarnContext(r.Context(), "dashboard: evidence period refused", "viewer", viewerOf(r.Context()).String(), "from", q.Get("from"), "to", q.Get("to"))
	}
	switch {
	case errFrom != nil:
		return from, to, http.StatusBadRequest, "Bad value for from: pick a date like 2026-11-01."
	case errTo != nil:
		return from, to, http.StatusBadRequest, "Bad value for to: pick a date like 2026-11-30."
	case to.Before(from):
		return from, to, http.StatusUnprocessableEntity, "The period ends before it starts: to must be on or after from."
	}
	return from, to, 0, ""
}
