package evidence

import (
	"time"

	"github.com/offboard-dev/offboard"
)

// Row is one leaver as the summary shows it: index.csv writes these rows
// and the dashboard's Evidence page shows them, so both say the same.
type Row struct {
	CaseID offboard.CaseID
	// Name is HR's name as given (may be empty: then Email names them).
	Name, Email  string
	Confidential bool
	Kind         offboard.DepartureKind
	// Source is where the case came from ("reconcile:bamboohr" when
	// reconciliation found the leaver).
	Source string
	// EffectiveAt is HR's effective time; zero when HR gave none.
	EffectiveAt time.Time
	NoticeAt    time.Time
	RevokedAt   *time.Time
	// TimeToRevocation is set when Revoked; TimeToRevocationText is the
	// index's rendering of it ("" when not revoked).
	TimeToRevocation     time.Duration
	Revoked              bool
	TimeToRevocationText string
	SLA                  offboard.SLARule
	Deadline             *time.Time
	Verdict              string
	SystemsRevoked       []string
	Exceptions           int
}

// Summary is the pack's summary: the period, the SLA figures, one row a
// leaver, and every exception.
type Summary struct {
	From, To time.Time // To is exclusive, as in Options
	Period   string
	// Within and Judged count the leavers within the SLA and those with a
	// verdict (within or outside); WithinPercent says it in words.
	Within, Judged int
	WithinPercent  string
	Rows           []Row
	Exceptions     []Exception
	Reconciled     []Row
	Runs           ReconcileRuns
}

// Summary computes the summary rows and figures once, for the index,
// the summary page and the dashboard.
func (p *Pack) Summary() Summary {
	s := Summary{From: p.Options.From, To: p.Options.To, Period: p.Period(), Exceptions: p.Exceptions(), Runs: p.Runs}
	s.Within, s.Judged = p.Within()
	s.WithinPercent = p.WithinPercent()
	for _, r := range p.Records {
		s.Rows = append(s.Rows, r.Row())
	}
	for _, r := range p.Reconciled {
		s.Reconciled = append(s.Reconciled, r.Row())
	}
	return s
}

// Row is the record's summary row.
func (r *Record) Row() Row {
	c := r.Case
	row := Row{CaseID: c.ID, Name: c.Employee.Name, Email: c.Employee.Email, Confidential: c.Confidential, Kind: c.Kind, Source: c.Source,
		EffectiveAt: c.EffectiveAt, NoticeAt: c.NoticeAt, RevokedAt: c.RevokedAt, TimeToRevocationText: r.TimeToRevoc,
		SLA: r.SLA, Deadline: r.Deadline, Verdict: r.Verdict, SystemsRevoked: r.Revoked(), Exceptions: len(r.Exceptions)}
	row.TimeToRevocation, row.Revoked = c.TimeToRevocation()
	return row
}

// VerdictLabel says a verdict for people.
func VerdictLabel(v string) string {
	switch v {
	case VerdictWithin:
		return "Within SLA"
	case VerdictOutside:
		return "Outside SLA"
	case VerdictPending:
		return "Pending (deadline not reached)"
	case VerdictCancelled:
		return "Cancelled departure"
	case VerdictUnknown:
		return "No verdict (no last day to judge by)"
	}
	return v
}

// ExceptionLabel says an exception kind for people.
func ExceptionLabel(k string) string {
	switch k {
	case ExceptionSkip:
		return "Skipped"
	case ExceptionOverride:
		return "Override"
	case ExceptionFailure:
		return "Failure"
	case ExceptionRetry:
		return "Retry"
	case ExceptionRefused:
		return "Refused command"
	}
	return k
}
