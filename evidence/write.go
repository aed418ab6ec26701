package evidence

import (
	"archive/zip"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when":     when,
	"whenp":    func(t *time.Time) string { return whenPtr(t) },
	"kindword": func(k offboard.DepartureKind) string { return k.Label() },
	"join":     strings.Join,
	"controls": func() []Control { return Controls },
}).ParseFS(templateFS, "templates/*.html"))

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// IndexHeader is index.csv's first row.
var IndexHeader = []string{"case_id", "name", "email", "kind", "hr_effective_time", "notice_time", "revocation_time",
	"time_to_revocation", "sla", "sla_deadline", "sla_verdict", "systems_revoked", "exceptions"}

// Write writes the pack as a zip to w.
func (p *Pack) Write(w io.Writer) error {
	z := zip.NewWriter(w)
	if err := p.writeIndex(z); err != nil {
		return err
	}
	for _, r := range p.Records {
		if err := p.writePage(z, "cases/"+string(r.Case.ID)+".html", "case.html", pageData{Pack: p, Record: r}); err != nil {
			return err
		}
	}
	if err := p.writePage(z, "summary.html", "summary.html", pageData{Pack: p, Summary: p.Summary()}); err != nil {
		return err
	}
	if err := p.writePage(z, "controls.html", "controls.html", pageData{Pack: p}); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("evidence: finish zip: %w", err)
	}
	return nil
}

type pageData struct {
	Pack    *Pack
	Record  *Record
	Summary Summary
}

func (p *Pack) create(z *zip.Writer, name string) (io.Writer, error) {
	f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.Generated})
	if err != nil {
		return nil, fmt.Errorf("evidence: add %s: %w", name, err)
	}
	return f, nil
}

func (p *Pack) writePage(z *zip.Writer, name, tmpl string, d pageData) error {
	f, err := p.create(z, name)
	if err != nil {
		return err
	}
	if err := pages.ExecuteTemplate(f, tmpl, d); err != nil {
		return fmt.Errorf("evidence: render %s: %w", name, err)
	}
	return nil
}

func (p *Pack) writeIndex(z *zip.Writer) error {
	f, err := p.create(z, "index.csv")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	if err := cw.Write(IndexHeader); err != nil {
		return fmt.Errorf("evidence: write index: %w", err)
	}
	for _, r := range p.Summary().Rows {
		effective, revoked, deadline := "", "", ""
		if !r.EffectiveAt.IsZero() {
			effective = r.EffectiveAt.UTC().Format(time.RFC3339)
		}
		if r.RevokedAt != nil {
			revoked = r.RevokedAt.UTC().Format(time.RFC3339)
		}
		if r.Deadline != nil {
			deadline = r.Deadline.UTC().Format(time.RFC3339)
		}
		row := []string{string(r.CaseID), r.Name, r.Email, string(r.Kind), effective,
			r.NoticeAt.UTC().Format(time.RFC3339), revoked, r.TimeToRevocationText, r.SLA.String(), deadline, r.Verdict,
			strings.Join(r.SystemsRevoked, ";"), strconv.Itoa(r.Exceptions)}
		for i := range row {
			row[i] = offboard.CSVSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("evidence: write index: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("evidence: write index: %w", err)
	}
	return nil
}

// Within counts the leavers within and with a verdict (within or outside).
func (p *Pack) Within() (within, judged int) {
	for _, r := range p.Records {
		switch r.Verdict {
		case VerdictWithin:
			within++
			judged++
		case VerdictOutside:
			judged++
		}
	}
	return within, judged
}

// WithinPercent says the share within the SLA ("95.0%", or "n/a").
func (p *Pack) WithinPercent() string {
	w, j := p.Within()
	if j == 0 {
		return "n/a (no leaver with a verdict)"
	}
	return fmt.Sprintf("%.1f%% (%d of %d)", float64(w)*100/float64(j), w, j)
}

// Exceptions lists every record's exceptions.
func (p *Pack) Exceptions() []Exception {
	var out []Exception
	for _, r := range p.Records {
		out = append(out, r.Exceptions...)
	}
	return out
}

// Period says the period in the company's zone.
func (p *Pack) Period() string {
	o := p.Options
	return o.From.In(o.Zone).Format("2006-01-02") + " to " + o.To.Add(-time.Nanosecond).In(o.Zone).Format("2006-01-02")
}
