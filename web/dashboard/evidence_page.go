package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/evidence"
)

// evidenceDefaultDays is the period the Evidence page shows when none is
// picked: an access review samples about a quarter.
const evidenceDefaultDays = 90

type evidenceRow struct {
	evidence.Row
	Name, KindLabel, VerdictLabel, TimeToRevoke, SLA string
}

type exceptionRow struct {
	evidence.Exception
	KindLabel string
}

type evidencePageData struct {
	// From and To are the form's values as entered, so a refused period
	// is shown back for correcting.
	From, To      string
	Error         string
	Period        string
	Leavers       int
	Within        int
	Judged        int
	WithinPercent string
	Rows          []evidenceRow
	Exceptions    []exceptionRow
	Reconciled    int
	// Runs are the reconciliation runs recorded in the period.
	Runs, RunsFailed int
	DownloadLink     string
	Shown            bool
}

// evidencePage shows the evidence pack of a period as a page: the same
// figures, rows and exceptions as the pack (evidence.Pack.Summary), and
// the download of that pack. It only reads.
func (s *server) evidencePage(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r.Context())
	if s.o.Evidence == nil {
		s.fail(w, r, http.StatusNotFound, "The evidence page is not available on this server; run offboard evidence on a copy of the store.")
		return
	}
	if !mayDownloadEvidence(viewer) {
		s.o.Logger.WarnContext(r.Context(), "dashboard: evidence page refused", "viewer", viewer.String())
		s.fail(w, r, http.StatusForbidden, "The Evidence page is for admins, Security and auditors: it names every leaver.")
		return
	}
	from, to, status, msg := s.evidencePeriod(r, true)
	data := evidencePageData{From: strings.TrimSpace(r.URL.Query().Get("from")), To: strings.TrimSpace(r.URL.Query().Get("to"))}
	if status != 0 {
		data.Error = msg
		s.render(w, r, status, "evidence", "Evidence", data)
		return
	}
	data.From, data.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	pack, err := s.o.Evidence(r.Context(), from, to.AddDate(0, 0, 1))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	sum := pack.Summary()
	data.Shown = true
	data.Period, data.Leavers, data.Within, data.Judged, data.WithinPercent = sum.Period, len(sum.Rows), sum.Within, sum.Judged, sum.WithinPercent
	data.Reconciled = len(sum.Reconciled)
	data.Runs, data.RunsFailed = sum.Runs.Runs, sum.Runs.Failed
	data.DownloadLink = "/evidence.zip?" + url.Values{"from": {data.From}, "to": {data.To}}.Encode()
	for _, row := range sum.Rows {
		er := evidenceRow{Row: row, Name: row.Name, KindLabel: row.Kind.Label(), VerdictLabel: evidence.VerdictLabel(row.Verdict), SLA: row.SLA.Words()}
		if er.Name == "" {
			er.Name = row.Email
		}
		if row.Revoked {
			er.TimeToRevoke = offboard.Humanize(row.TimeToRevocation)
		}
		data.Rows = append(data.Rows, er)
	}
	for _, e := range sum.Exceptions {
		data.Exceptions = append(data.Exceptions, exceptionRow{Exception: e, KindLabel: evidence.ExceptionLabel(e.Kind)})
	}
	s.o.Logger.InfoContext(r.Context(), "dashboard: evidence page shown", "viewer", viewer.String(), "from", data.From, "to", data.To)
	s.render(w, r, http.StatusOK, "evidence", "Evidence", data)
}
