// Package evidence builds the evidence pack an auditor samples leavers
// from: per leaver a printable record and an index row, a summary, and
// the controls each record evidences. It only reads the store (trust
// rule: evidence tools never write).
package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Source is what the pack reads: store.DB in a read-only open.
type Source interface {
	View(ctx context.Context, fn func(offboard.Tx) error) error
	AuditEvents(ctx context.Context, f offboard.AuditFilter, fn func(*offboard.AuditEvent) error) error
}

// Options choose the leavers and say how to judge them.
type Options struct {
	// From and To bound the period by the case clock's start; To is
	// exclusive (the day after --to).
	From, To time.Time
	// Cases, when set, are the only leavers in the pack.
	Cases []offboard.CaseID
	SLA   offboard.SLAPolicy
	Zone  *time.Location
	// CheckpointFile is audit.checkpoint_file; "" when anchoring is off.
	CheckpointFile string
	// StorePath names the store in the verify command the pack prints.
	StorePath string
	// Redactor masks configured secrets in free text and evidence.
	Redactor *offboard.Redactor
	Now      time.Time
}

// Verdicts of a case against its SLA.
const (
	VerdictWithin    = "within"
	VerdictOutside   = "outside"
	VerdictPending   = "pending"   // not revoked yet, deadline not passed
	VerdictCancelled = "cancelled" // the departure was called off
	VerdictUnknown   = "unknown"   // the rule cannot be applied (no last day)
)

// Exception kinds.
const (
	ExceptionSkip     = "skip"
	ExceptionOverride = "override"
	ExceptionFailure  = "failure"
	ExceptionRetry    = "retry"
	ExceptionRefused  = "refused"
)

// Step is one task of the case as evidence: a system's revocation, a
// device action or a manual step.
type Step struct {
	Key, Title, Action, System, Status string
	Department                         string
	Revocation                         bool
	By                                 string
	At                                 *time.Time
	Attempts                           int
	// ReadBack is the task's evidence (read-back, before/after), redacted.
	ReadBack []KV
	// RequestIDs are the vendor request ids the evidence names.
	RequestIDs []string
	// Secrets name what the task handed over; values never appear.
	Secrets    []string
	SkipReason string
}

// KV is one evidence entry.
type KV struct{ Key, Value string }

// Exception is one departure from the happy path.
type Exception struct {
	CaseID offboard.CaseID
	Kind   string
	Task   string
	Time   time.Time
	Actor  string
	Text   string
	Seq    uint64
}

// Decision is one approver's answer.
type Decision struct {
	Approval, Question, Approver, Status string
	Decisions                            []string
}

// ChainProof ties the record to the audit chain and its anchor.
type ChainProof struct {
	Events []*offboard.AuditEvent
	// Checkpoint is the newest signed checkpoint at or after the case's
	// last event; nil when none covers it.
	Checkpoint *offboard.Checkpoint
	// Anchoring says why there is no checkpoint, when there is none.
	Anchoring     string
	VerifyCommand string
	ExportCommand string
}

// Record is one leaver.
type Record struct {
	Case        *offboard.Case
	SLA         offboard.SLARule
	Deadline    *time.Time
	Verdict     string
	TimeToRevoc string
	Systems     []Step
	Devices     []Step
	Manual      []Step
	Approvals   []Decision
	Exceptions  []Exception
	Proof       ChainProof
	Controls    []Control
}

// Revoked names the systems whose access was removed, for the index.
func (r *Record) Revoked() []string {
	var out []string
	for _, s := range r.Systems {
		if s.Revocation && s.Status == string(offboard.TaskDone) && !slices.Contains(out, s.System) {
			out = append(out, s.System)
		}
	}
	return out
}

// Pack is everything the zip holds, before it is written.
type Pack struct {
	Options   Options
	Records   []*Record
	Generated time.Time
	// Reconciled are leavers found terminated in HR but still active
	// (cases reconciliation opened) in the period.
	Reconciled []*Record
	// Runs are the reconciliation runs recorded in the period.
	Runs ReconcileRuns
}

// Build reads the leavers and their evidence.
func Build(ctx context.Context, src Source, o Options) (*Pack, error) {
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.SLA == nil {
		o.SLA = offboard.DefaultSLAPolicy()
	}
	if !o.To.After(o.From) {
		return nil, fmt.Errorf("evidence period: --to must not be before --from")
	}
	cps, err := readCheckpoints(o.CheckpointFile)
	if err != nil {
		return nil, err
	}
	recs, err := readRecords(ctx, src, o)
	if err != nil {
		return nil, err
	}
	p := &Pack{Options: o, Generated: o.Now}
	if p.Runs, err = readReconcileRuns(ctx, src, o); err != nil {
		return nil, err
	}
	for _, r := range recs {
		err := src.AuditEvents(ctx, offboard.AuditFilter{CaseID: r.Case.ID}, func(e *offboard.AuditEvent) error {
			ev := *e
			ev.Detail = o.Redactor.String(ev.Detail)
			ev.Evidence = o.Redactor.Map(ev.Evidence)
			r.Proof.Events = append(r.Proof.Events, &ev)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("evidence: read audit events of %s: %w", r.Case.ID, err)
		}
		r.Exceptions = exceptions(r.Case.ID, r.Proof.Events)
		r.Proof.Checkpoint, r.Proof.Anchoring = covering(cps, o.CheckpointFile, r.Proof.Events)
		r.Proof.VerifyCommand = verifyCommand(o)
		r.Proof.ExportCommand = "offboard audit export --case " + string(r.Case.ID) + " --store " + storeName(o)
		r.Controls = controlsFor(r)
		p.Records = append(p.Records, r)
		if strings.HasPrefix(r.Case.Source, "reconcile:") {
			p.Reconciled = append(p.Reconciled, r)
		}
	}
	return p, nil
}

// batch is how many case numbers one read transaction covers: a long
// read transaction keeps bbolt from reusing pages while serve writes.
const batch = 200

// readRecords reads the named cases, or every case whose clock started
// in the period, refusing a named case that is missing or out of period.
func readRecords(ctx context.Context, src Source, o Options) ([]*Record, error) {
	inPeriod := func(c *offboard.Case) bool {
		t := c.ClockStart()
		return !t.Before(o.From) && t.Before(o.To)
	}
	var recs []*Record
	read := func(tx offboard.Tx, id offboard.CaseID, named bool) error {
		c, err := tx.Case(id)
		if !named && offboard.ErrorCode(err) == offboard.ENOTFOUND {
			return nil
		}
		if err != nil {
			return fmt.Errorf("evidence: read case %s: %w", id, err)
		}
		if !inPeriod(c) {
			if named {
				return offboard.Errorf(offboard.EINVALID, "case %s started %s, outside the period %s to %s",
					id, c.ClockStart().In(o.Zone).Format("2006-01-02 15:04"), o.From.In(o.Zone).Format("2006-01-02"), o.To.Add(-time.Nanosecond).In(o.Zone).Format("2006-01-02"))
			}
			return nil
		}
		tasks, err := tx.Tasks(id)
		if err != nil {
			return fmt.Errorf("evidence: read tasks of %s: %w", id, err)
		}
		apps, err := tx.Approvals(id)
		if err != nil {
			return fmt.Errorf("evidence: read approvals of %s: %w", id, err)
		}
		recs = append(recs, newRecord(c, tasks, apps, o))
		return nil
	}
	if len(o.Cases) > 0 {
		err := src.View(ctx, func(tx offboard.Tx) error {
			for _, id := range o.Cases {
				if err := read(tx, id, true); err != nil {
					return err
				}
			}
			return nil
		})
		return recs, err
	}
	var last uint64
	err := src.View(ctx, func(tx offboard.Tx) (err error) {
		last, err = tx.LastCaseNumber()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	for first := uint64(1); first <= last; first += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := src.View(ctx, func(tx offboard.Tx) error {
			for n := first; n < first+batch && n <= last; n++ {
				if err := read(tx, offboard.FormatCaseID(n), false); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func newRecord(c *offboard.Case, tasks []*offboard.Task, apps []*offboard.Approval, o Options) *Record {
	r := &Record{Case: c, SLA: o.SLA.Rule(c.Kind)}
	if d, ok := c.TimeToRevocation(); ok {
		r.TimeToRevoc = offboard.Humanize(d)
	}
	r.Verdict = verdict(c, r, o)
	for _, t := range tasks {
		s := step(t, o.Redactor)
		switch {
		case isDevice(t):
			r.Devices = append(r.Devices, s)
		case t.Manual():
			r.Manual = append(r.Manual, s)
		default:
			r.Systems = append(r.Systems, s)
		}
	}
	for _, a := range apps {
		d := Decision{Approval: a.ID, Question: o.Redactor.String(a.Question), Approver: a.Approver, Status: string(a.Status)}
		if a.Role != "" {
			d.Approver = "any " + string(a.Role)
		}
		for _, x := range a.Decisions {
			d.Decisions = append(d.Decisions, decisionText(x, o.Redactor))
		}
		r.Approvals = append(r.Approvals, d)
	}
	return r
}

func verdict(c *offboard.Case, r *Record, o Options) string {
	if c.Status == offboard.CaseCancelled {
		return VerdictCancelled
	}
	dl, ok := r.SLA.Deadline(c, o.Zone)
	if !ok {
		return VerdictUnknown
	}
	r.Deadline = &dl
	switch {
	case c.RevokedAt != nil && !c.RevokedAt.After(dl):
		return VerdictWithin
	case c.RevokedAt != nil:
		return VerdictOutside
	case o.Now.After(dl):
		return VerdictOutside // not revoked, and the deadline passed
	}
	return VerdictPending
}

func step(t *offboard.Task, red *offboard.Redactor) Step {
	s := Step{Key: t.Key, Title: t.Title, Action: t.Action, System: system(t), Status: string(t.Status),
		Department: string(t.Department), Revocation: t.IsRevocation(), By: t.CompletedBy, At: t.CompletedAt,
		Attempts: t.Attempts, Secrets: t.Secrets.Names(), SkipReason: red.String(t.SkipReason)}
	ev := red.Map(t.Evidence)
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.ReadBack = append(s.ReadBack, KV{k, ev[k]})
		if strings.HasSuffix(k, "request_id") || strings.HasSuffix(k, "request_ids") {
			s.RequestIDs = append(s.RequestIDs, ev[k])
		}
	}
	return s
}

// system is the connector an action belongs to ("okta" of okta.suspend).
func system(t *offboard.Task) string {
	if t.Manual() {
		return "manual"
	}
	name, _, _ := strings.Cut(t.Action, ".")
	return name
}

// isDevice reports whether the task acts on or tracks a device.
func isDevice(t *offboard.Task) bool {
	_, verb, _ := strings.Cut(t.Action, ".")
	return verb == "wipe" || verb == "lock" || verb == "retire" || strings.Contains(t.Action, "device") || strings.Contains(t.Track, "device")
}

func decisionText(d offboard.Decision, red *offboard.Redactor) string {
	word := "rejected"
	if d.Approve {
		word = "approved"
	}
	out := fmt.Sprintf("%s by %s at %s", word, d.By, d.At.UTC().Format(time.RFC3339))
	if d.As != "" {
		out += " (as " + d.As + ")"
	}
	if d.Comment != "" {
		out += ": " + red.String(d.Comment)
	}
	return out
}

// exceptions reads the departures from the happy path off the events,
// each with the seq that proves it.
func exceptions(id offboard.CaseID, evs []*offboard.AuditEvent) []Exception {
	var out []Exception
	for _, e := range evs {
		kind := ""
		switch {
		case e.Action == "task.skipped":
			kind = ExceptionSkip
		case e.Action == "task.order_overridden" || e.Action == "case.revoke_now":
			kind = ExceptionOverride
		case e.Action == "command.refused" || e.Outcome == offboard.OutcomeRefused:
			kind = ExceptionRefused
		case e.Action == "task.retry" || e.Outcome == offboard.OutcomeRetry:
			kind = ExceptionRetry
		case e.Action == "task.failed" || e.Outcome == offboard.OutcomeFailed || e.Outcome == offboard.OutcomeUnverified:
			kind = ExceptionFailure
		default:
			continue
		}
		out = append(out, Exception{CaseID: id, Kind: kind, Task: e.Target, Time: e.Time, Actor: e.Actor.String(), Text: e.Detail, Seq: e.Seq})
	}
	return out
}

// readCheckpoints reads the checkpoint file's lines; a line that does not
// parse is left for audit verify --checkpoints to report.
func readCheckpoints(name string) ([]offboard.Checkpoint, error) {
	if name == "" {
		return nil, nil
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: read audit.checkpoint_file: %w", err)
	}
	var out []offboard.Checkpoint
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		var cp offboard.Checkpoint
		if json.Unmarshal(sc.Bytes(), &cp) == nil && cp.Seq > 0 {
			out = append(out, cp)
		}
	}
	return out, nil
}

// covering picks the newest checkpoint that anchors the case's last event.
func covering(cps []offboard.Checkpoint, file string, evs []*offboard.AuditEvent) (*offboard.Checkpoint, string) {
	if file == "" {
		return nil, "anchoring is off (audit.checkpoint_file is not set): the chain proof rests on the store alone"
	}
	if len(evs) == 0 {
		return nil, "the case has no audit events"
	}
	last := evs[len(evs)-1].Seq
	var best *offboard.Checkpoint
	var newest uint64
	for i := range cps {
		newest = max(newest, cps[i].Seq)
		if cps[i].Seq >= last {
			best = &cps[i]
		}
	}
	if best == nil {
		return nil, fmt.Sprintf("no checkpoint covers event %d yet (the newest anchors event %d); one is written at the next case close or within audit.checkpoint_every", last, newest)
	}
	return best, ""
}

// storeName is the store the printed commands read: a copy, since serve
// holds the lock on the live file.
func storeName(o Options) string {
	if o.StorePath == "" {
		return "STORE_COPY.db"
	}
	return o.StorePath
}

func verifyCommand(o Options) string {
	store := storeName(o)
	if o.CheckpointFile == "" {
		return "offboard audit verify --store " + store
	}
	return "offboard audit verify --store " + store + " --checkpoints " + o.CheckpointFile + " --public-key AUDITOR_COPY_OF_PUBLIC_KEY"
}
