package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/offboard-dev/offboard"
)

// Options configure an Engine. Store is required; the rest have defaults.
type Options struct {
	Store offboard.Store
	Clock offboard.Clock
	// Roles returns the configured roles of a person by email.
	Roles func(email string) []offboard.Role
	// Location is the company time zone (default UTC).
	Location *time.Location
	// RevocationHour and RevocationMinute: when voluntary access goes on
	// the last day, local time (default 18:00).
	RevocationHour, RevocationMinute int
	// Playbooks are the configured playbooks (see ResolvePlaybooks).
	Playbooks []offboard.Playbook
	// Connectors are the registered connectors' declarations: the default
	// playbook's capability tasks become theirs, and a cancelled case's
	// restore uses their identity.restore bindings.
	Connectors offboard.Connectors
	// KnownAction reports whether an action id exists; nil accepts all.
	KnownAction func(string) bool
	// DeactivateAfter is the max_wait of a task that waits on others and
	// sets none itself (default 7 days).
	DeactivateAfter time.Duration
	// MaxAttempts before a job goes to the dead letters (default 5).
	MaxAttempts int
	// Delegates returns who may decide approvals addressed to an approver.
	Delegates func(approver string) []string
	// NameOf returns a person's name from the directory, for a notice
	// that gives only an email; nil or "" leaves the name empty.
	NameOf func(email string) string
	// Lookup says whether the directory knows an email (see known.go);
	// nil, or a directory nobody has read yet, checks nothing.
	Lookup func(email string) offboard.Presence
	// MaxFuture is how far ahead a last day or an effective time may lie
	// (default 2 years); MaxPast how far back (default 10 years). Dates
	// outside are refused as typos, never stored (see checkNoticeDates).
	MaxFuture, MaxPast time.Duration
	// Departments is the configured set in display order: a playbook task
	// must name one, a task's department role may run it, and its lead
	// hears about overdue tasks (empty: offboard.StandardDepartments).
	Departments offboard.Departments
	// Escalation says when Tick reminds, escalates and reports overdue
	// tasks (see EscalationPolicy for the defaults).
	Escalation EscalationPolicy
	// WriteOffAfter is how long after the revocation point a device not
	// yet received makes Tick ask the manager and Finance to write it off
	// (zero: DefaultWriteOffAfter; negative: never).
	WriteOffAfter time.Duration
	// Redactor removes the configured secrets from every text the engine
	// stores, audits or posts (nil: none). The runner redacts errors
	// already; this is the belt for every other way text comes in.
	Redactor *offboard.Redactor
	// AfterCommit runs after a command whose transaction wrote jobs has
	// committed (the runner's Wake, so they start at once, not at the
	// next poll). It must not block. One hook here replaces a wake in
	// every caller of Apply.
	AfterCommit func()
	// AfterClose runs after a command that completed or cancelled a case
	// has committed (serve writes an audit checkpoint then). It must not
	// block.
	AfterClose func()
	// NoticePlatforms names the chat platforms that are wired ("slack",
	// "teams", "console"); each notice becomes one job per platform. It
	// is a function because the engine is built before the platforms
	// (they need it); nil or empty queues one job for all of them.
	NoticePlatforms func() []string
	// Retention is how long after a case closes its leaver's personal
	// data is kept (retention.personal_data); zero keeps it for ever and
	// refuses EraseCase.
	Retention time.Duration
	// Metrics hears, after each commit, that case counts may have changed
	// and each case's time to revocation when its access went (nil:
	// nobody). It must not block.
	Metrics offboard.Metrics
	// TickBatch bounds the due tasks, and the woken cases that act, one
	// Tick takes (0: TickBatch). A store whose transactions are bounded
	// in operations (etcd's --max-txn-ops) needs fewer: a due task costs
	// about ten writes.
	TickBatch int
	Logger    *slog.Logger
}

// Engine applies commands. It is safe for concurrent use: the store
// serializes writers.
type Engine struct {
	store           offboard.Store
	clock           offboard.Clock
	roles           func(string) []offboard.Role
	delegates       func(string) []string
	nameOf          func(string) string
	lookup          func(string) offboard.Presence
	loc             *time.Location
	revHour, revMin int
	playbooks       map[string]*offboard.Playbook
	deactivateAfter time.Duration
	maxFuture       time.Duration
	maxPast         time.Duration
	maxAttempts     int
	knownAction     func(string) bool
	connectors      offboard.Connectors
	escalation      EscalationPolicy
	// wakesReady: the stored wake times follow this engine's rules
	// (prepareWakes); wakesMu makes one caller build them.
	wakesReady atomic.Bool
	wakesMu    sync.Mutex
	// revokedReady: the store's revocation index is complete
	// (prepareRevoked); revokedMu makes one caller build it.
	revokedReady    atomic.Bool
	revokedMu       sync.Mutex
	writeOffAfter   time.Duration
	depts           offboard.Departments
	redactor        *offboard.Redactor
	afterCommit     func()
	afterClose      func()
	noticePlatforms func() []string
	retention       time.Duration
	metrics         offboard.Metrics
	tickBatch       int
	log             *slog.Logger
}

// New builds an engine and resolves its playbooks; a bad playbook fails
// here, naming the task.
func New(o Options) (*Engine, error) {
	if o.Store == nil {
		return nil, errors.New("flows: no store")
	}
	e := &Engine{
		store: o.Store, clock: o.Clock, roles: o.Roles, delegates: o.Delegates, nameOf: o.NameOf, lookup: o.Lookup, loc: o.Location,
		revHour: o.RevocationHour, revMin: o.RevocationMinute,
		deactivateAfter: o.DeactivateAfter, maxFuture: o.MaxFuture, maxPast: o.MaxPast, maxAttempts: o.MaxAttempts,
		redactor: o.Redactor, log: o.Logger, escalation: o.Escalation.withDefaults(), knownAction: o.KnownAction,
		afterCommit: o.AfterCommit, afterClose: o.AfterClose, depts: o.Departments, noticePlatforms: o.NoticePlatforms,
		writeOffAfter: o.WriteOffAfter, retention: o.Retention, metrics: o.Metrics, tickBatch: o.TickBatch,
	}
	if e.tickBatch <= 0 {
		e.tickBatch = TickBatch
	}
	if e.clock == nil {
		e.clock = offboard.WallClock()
	}
	if e.roles == nil {
		e.roles = func(string) []offboard.Role { return nil }
	}
	if e.delegates == nil {
		e.delegates = func(string) []string { return nil }
	}
	if e.loc == nil {
		e.loc = time.UTC
	}
	if e.revHour == 0 && e.revMin == 0 {
		e.revHour = DefaultRevocationHour
	}
	if e.deactivateAfter <= 0 {
		e.deactivateAfter = DefaultDeactivateAfter
	}
	if e.maxFuture <= 0 {
		e.maxFuture = DefaultMaxFuture
	}
	if e.maxPast <= 0 {
		e.maxPast = DefaultMaxPast
	}
	if e.writeOffAfter == 0 {
		e.writeOffAfter = DefaultWriteOffAfter
	}
	if e.maxAttempts <= 0 {
		e.maxAttempts = DefaultMaxAttempts
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.connectors = o.Connectors
	pbs, err := ResolvePlaybooks(o.Playbooks, o.Connectors, o.KnownAction, o.Departments)
	if err != nil {
		return nil, err
	}
	e.playbooks = pbs
	return e, nil
}

// Playbook returns a resolved playbook by name.
func (e *Engine) Playbook(name string) (*offboard.Playbook, bool) {
	p, ok := e.playbooks[name]
	return p, ok
}

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// The engine is the case service every other package uses.
var _ offboard.CaseService = (*Engine)(nil)

// Apply authorizes and applies one command in one store transaction.
// Errors are *offboard.Error with a code and a message for people. A
// refused or invalid command changes nothing except an audit entry that
// records the attempt.
func (e *Engine) Apply(ctx context.Context, cmd offboard.Command) (*offboard.Result, error) {
	actor := e.resolveActor(cmd.Actor())
	cmd = e.redact(cmd)
	now := e.clock.Now().UTC().Round(0)
	if t, ok := cmd.(offboard.Tick); ok && !t.Now.IsZero() {
		now = t.Now.UTC().Round(0)
	}
	if _, ok := cmd.(offboard.Tick); ok {
		if err := e.prepareWakes(ctx); err != nil {
			return nil, fmt.Errorf("flows: %s: %w", cmd.Name(), err)
		}
		// Most ticks find nothing due: decide in a read transaction first,
		// and take the writer's lock (and a commit, an fsync) only when
		// the decision would write. Any other outcome, errors included, is
		// left to the ordinary path below.
		if res, err := e.tickReadOnly(ctx, cmd, actor, now); err == nil {
			return res, nil
		}
	}
	var res *offboard.Result
	wroteJobs, closed := false, false
	var revoked []time.Duration
	err := e.store.Update(ctx, func(tx offboard.Tx) error {
		d := &decision{e: e, tx: tx, now: now, actor: actor}
		r, err := d.decide(cmd)
		if err != nil {
			return err
		}
		res = r
		wroteJobs, closed, revoked = d.wroteJobs, d.closed, d.revoked
		return nil
	})
	if err == nil {
		if e.metrics != nil {
			e.metrics.CasesChanged()
			for _, ttr := range revoked {
				e.metrics.Revoked(ttr)
			}
		}
		if wroteJobs && e.afterCommit != nil {
			e.afterCommit()
		}
		if closed && e.afterClose != nil {
			e.afterClose()
		}
		return res, nil
	}
	if refusal(err) {
		e.auditRefusal(ctx, cmd, actor, now, err)
		return nil, err
	}
	return nil, fmt.Errorf("flows: %s: %w", cmd.Name(), err)
}

// decide applies cmd in d's transaction and completes what every command
// owes: the summaries and wake times of the cases it changed, and the
// redraw notices of the cards it touched.
func (d *decision) decide(cmd offboard.Command) (*offboard.Result, error) {
	r, err := d.apply(cmd)
	if err != nil {
		return nil, err
	}
	if err := d.resummarize(r); err != nil {
		return nil, err
	}
	if err := d.noticeTouched(); err != nil {
		return nil, err
	}
	hideSecrets(r.Tasks)
	d.e.fillButtons(r.Tasks)
	r.JobsQueued = d.jobs
	return r, nil
}

// refusal reports whether err is a decision against the command (as
// opposed to the store failing).
func refusal(err error) bool {
	return offboard.Permanent(err)
}

func (e *Engine) auditRefusal(ctx context.Context, cmd offboard.Command, actor offboard.Actor, now time.Time, cause error) {
	caseID, target := commandTarget(cmd)
	err := e.store.Update(ctx, func(tx offboard.Tx) error {
		ev := &offboard.AuditEvent{
			Time: now, Actor: actor, Action: "command.refused", CaseID: caseID, Target: target,
			Outcome: offboard.OutcomeRefused,
			Detail:  e.redactor.String(cmd.Name() + ": " + offboard.ErrorMessage(cause)),
		}
		// A refusal about a case that does not exist must not point the
		// audit index at it.
		if ev.CaseID != "" {
			if _, err := tx.Case(ev.CaseID); err != nil {
				ev.Target = string(ev.CaseID) + " " + ev.Target
				ev.CaseID = ""
			}
		}
		return tx.AppendAudit(ev)
	})
	if err != nil {
		e.log.Error("audit of refused command failed", "command", cmd.Name(), "err", err)
	}
}

func commandTarget(cmd offboard.Command) (offboard.CaseID, string) {
	switch c := cmd.(type) {
	case offboard.OpenCase:
		return "", c.Employee.Email
	case offboard.CancelCase:
		return c.CaseID, ""
	case offboard.StartTask:
		return c.CaseID, c.TaskKey
	case offboard.CompleteTask:
		return c.CaseID, c.TaskKey
	case offboard.SkipTask:
		return c.CaseID, c.TaskKey
	case offboard.RequestApproval:
		return c.CaseID, c.TaskKey
	case offboard.DecideApproval:
		return "", c.ApprovalID
	case offboard.ActionSucceeded:
		return "", c.JobID
	case offboard.ActionFailed:
		return "", c.JobID
	case offboard.RecordRoom:
		return c.CaseID, c.Room.Platform
	case offboard.RevokeNow:
		return c.CaseID, ""
	case offboard.RecordDeviceReturn:
		return c.CaseID, c.TaskKey
	case offboard.RevealSecrets:
		return c.CaseID, c.TaskKey
	case offboard.EraseCase:
		return c.CaseID, ""
	}
	return "", ""
}

// resolveActor replaces a person's roles with the configured ones: roles
// claimed by a caller are never trusted for people.
func (e *Engine) resolveActor(a offboard.Actor) offboard.Actor {
	if a.Kind == offboard.ActorPerson {
		a.Roles = nil
		if a.Email != "" {
			a.Roles = slices.Clone(e.roles(a.Email))
		}
		if a.ID == "" {
			a.ID = a.Email
		}
	}
	return a
}

// decision is the state of one Apply: everything happens in tx.
type decision struct {
	e     *Engine
	tx    offboard.Tx
	now   time.Time
	actor offboard.Actor
	jobs  int
	// wroteJobs: a job was queued or rescheduled, so the runner has work.
	wroteJobs bool
	// touched records which departments' tasks changed on which cases, so
	// chat can refresh those cards once per command.
	touched map[offboard.CaseID]map[offboard.Department]bool
	// opened is the case this command opened: its first notice shows
	// everything, so no per-department refresh is needed.
	opened offboard.CaseID
	// changed are the cases whose summary may need rewriting.
	changed map[offboard.CaseID]bool
	// closed: a case was completed or cancelled.
	closed bool
	// byHand: the command is a person's Run, Retry or Revoke now, so the
	// tasks it runs record who started them (recordStarter).
	byHand bool
	// revoked are the times to revocation of cases whose access went.
	revoked []time.Duration
	// audits counts the audit events this command appended: a tick
	// counts the woken cases that did something by it.
	audits int
}

func (d *decision) apply(cmd offboard.Command) (*offboard.Result, error) {
	if d.actor.Kind == "" || d.actor.ID == "" {
		return nil, offboard.Errorf(offboard.EFORBIDDEN, "%s: no actor; every command must say who sends it", cmd.Name())
	}
	switch c := cmd.(type) {
	case offboard.OpenCase:
		return d.openCase(c)
	case offboard.CancelCase:
		return d.cancelCase(c)
	case offboard.StartTask:
		return d.startTask(c)
	case offboard.CompleteTask:
		return d.completeTask(c)
	case offboard.SkipTask:
		return d.skipTask(c)
	case offboard.RequestApproval:
		return d.requestApproval(c)
	case offboard.DecideApproval:
		return d.decideApproval(c)
	case offboard.ActionSucceeded:
		return d.actionSucceeded(c)
	case offboard.ActionFailed:
		return d.actionFailed(c)
	case offboard.Tick:
		return d.tick()
	case offboard.RecordRoom:
		return d.recordRoom(c)
	case offboard.RevokeNow:
		return d.revokeNow(c)
	case offboard.RecordDeviceReturn:
		return d.recordDeviceReturn(c)
	case offboard.RevealSecrets:
		return d.revealSecrets(c)
	case offboard.RecordReconciliation:
		return d.recordReconciliation(c)
	case offboard.EraseCase:
		return d.eraseCase(c)
	}
	return nil, offboard.Errorf(offboard.EINVALID, "unknown command %T", cmd)
}

func (d *decision) audit(c offboard.CaseID, action, target, outcome, detail string, evidence map[string]string) error {
	r := d.e.redactor
	d.audits++
	if action == "case.completed" || action == "case.cancelled" {
		d.closed = true
	}
	return d.tx.AppendAudit(&offboard.AuditEvent{
		Time: d.now, Actor: d.actor, Action: action, CaseID: c, Target: r.String(target),
		Outcome: outcome, Detail: r.String(detail), Evidence: r.Map(evidence),
	})
}

// notify queues a chat notice as a low-priority job.
func (d *decision) notify(n offboard.Notice) error {
	n.Text = d.e.redactor.String(n.Text)
	platforms := []string{""} // one job for every platform
	if d.e.noticePlatforms != nil {
		if ps := d.e.noticePlatforms(); len(ps) > 0 {
			platforms = ps
		}
	}
	// Each platform gets its own job: a rate limit or an outage on one
	// never delays the others.
	for _, p := range platforms {
		j := &offboard.Job{
			Kind: offboard.JobNotify, CaseID: n.CaseID, TaskKey: n.TaskKey, Platform: p,
			Notice: new(n), Priority: offboard.PriorityChat, NotBefore: d.now, CreatedAt: d.now,
		}
		if err := d.putJob(j); err != nil {
			return err
		}
	}
	return nil
}

// putJob writes a new or rescheduled job and notes that the runner has
// work once the transaction commits.
func (d *decision) putJob(j *offboard.Job) error {
	d.wroteJobs = true
	return d.tx.PutJob(j)
}

func (d *decision) loadCase(id offboard.CaseID) (*offboard.Case, error) {
	if id == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "no case id given")
	}
	if norm, ok := offboard.ParseCaseID(string(id)); ok {
		id = norm
	}
	return d.tx.Case(id)
}

func (d *decision) loadTask(c *offboard.Case, key string) (*offboard.Task, error) {
	if key == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "no task given")
	}
	return d.tx.Task(c.ID, key)
}

func (d *decision) putCase(c *offboard.Case) error {
	c.UpdatedAt = d.now
	d.mark(c.ID)
	return d.tx.PutCase(c)
}

func (d *decision) putApproval(a *offboard.Approval) error {
	d.mark(a.CaseID)
	return d.tx.PutApproval(a)
}

// mark notes a case whose summary may have changed.
func (d *decision) mark(id offboard.CaseID) {
	if d.changed == nil {
		d.changed = map[offboard.CaseID]bool{}
	}
	d.changed[id] = true
}

// resummarize rewrites the summary and the wake time of every case this
// command changed, in its transaction, so lists never read a stale
// summary and Tick never misses what came due.
func (d *decision) resummarize(res *offboard.Result) error {
	ids := make([]offboard.CaseID, 0, len(d.changed))
	for id := range d.changed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c, err := d.tx.Case(id)
		if err != nil {
			return err
		}
		tasks, err := d.tx.Tasks(id)
		if err != nil {
			return err
		}
		apps, err := d.tx.Approvals(id)
		if err != nil {
			return err
		}
		if err := d.tx.SetWake(id, d.wakeAt(c, tasks, apps)); err != nil {
			return err
		}
		sum := offboard.Summarize(tasks, apps)
		if res != nil && res.Case != nil && res.Case.ID == id {
			res.Case.Summary = sum
		}
		if c.Summary.Equal(sum) {
			continue
		}
		c.Summary = sum
		if err := d.tx.PutCase(c); err != nil {
			return err
		}
	}
	return nil
}

func (d *decision) putTask(t *offboard.Task) error {
	t.UpdatedAt = d.now
	d.mark(t.CaseID)
	if d.touched == nil {
		d.touched = map[offboard.CaseID]map[offboard.Department]bool{}
	}
	if d.touched[t.CaseID] == nil {
		d.touched[t.CaseID] = map[offboard.Department]bool{}
	}
	d.touched[t.CaseID][t.Department] = true
	return d.tx.PutTask(t)
}

// noticeTouched queues one "tasks_updated" notice per case and department
// whose tasks this command changed, so every chat platform can redraw
// those cards from the stored state.
func (d *decision) noticeTouched() error {
	ids := make([]offboard.CaseID, 0, len(d.touched))
	for id := range d.touched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id == d.opened {
			continue
		}
		depts := d.e.depts.Names()
		for dept := range d.touched[id] {
			if !slices.Contains(depts, dept) {
				depts = append(depts, dept) // no longer configured: still redraw it
			}
		}
		for _, dept := range depts {
			if !d.touched[id][dept] {
				continue
			}
			if err := d.notify(offboard.Notice{Kind: offboard.NoticeTasksUpdated, CaseID: id, Department: dept,
				Text: fmt.Sprintf("%s tasks of %s changed", dept, id)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decision) result(c *offboard.Case, msg string) (*offboard.Result, error) {
	tasks, err := d.tx.Tasks(c.ID)
	if err != nil {
		return nil, err
	}
	apps, err := d.tx.Approvals(c.ID)
	if err != nil {
		return nil, err
	}
	return &offboard.Result{Case: c, Tasks: tasks, Approvals: apps, Departments: d.e.depts, Message: msg}, nil
}

// Fallbacks for a zero Options field; the product's defaults are config's
// (a test keeps them equal).
const (
	// DefaultRevocationHour is when access goes on a voluntary leaver's
	// last day, local time (18:00).
	DefaultRevocationHour = 18
	// DefaultDeactivateAfter is how long account deactivation waits for
	// the data tasks after the revocation point.
	DefaultDeactivateAfter = 7 * 24 * time.Hour
	// DefaultMaxAttempts is how often an action runs before its task fails.
	DefaultMaxAttempts = 5
)
