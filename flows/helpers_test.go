package flows_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/internal/testclock"
	"github.com/offboard-dev/offboard/store"
)

// People of the test company.
var (
	hr       = person("hana.hr@example.com")
	it       = person("ivan.it@example.com")
	finance  = person("fiona.finance@example.com")
	security = person("sam.security@example.com")
	legal    = person("lena.legal@example.com")
	admin    = person("ada.admin@example.com")
	manager  = person("mona.manager@example.com")
	jane     = person("jane.doe@example.com")
	stranger = person("stan.stranger@example.com")
	runner   = offboard.System("runner")
	sched    = offboard.System("scheduler")
)

func person(email string) offboard.Actor {
	return offboard.Actor{Kind: offboard.ActorPerson, Email: email, Platform: "test"}
}

func testRoles(email string) []offboard.Role {
	switch email {
	case hr.Email:
		return []offboard.Role{offboard.RoleHR}
	case it.Email:
		return []offboard.Role{offboard.RoleIT}
	case finance.Email:
		return []offboard.Role{offboard.RoleFinance}
	case security.Email:
		return []offboard.Role{offboard.RoleSecurity}
	case legal.Email:
		return []offboard.Role{offboard.RoleLegal}
	case admin.Email:
		return []offboard.Role{offboard.RoleAdmin}
	}
	return nil
}

type harness struct {
	t      testing.TB
	db     *store.DB
	engine *flows.Engine
	clock  *testclock.Clock
	ctx    context.Context
}

// start is a Wednesday morning in UTC.
var start = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, mutate ...func(*flows.Options)) *harness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "offboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := testclock.New(start)
	o := flows.Options{Store: db, Clock: clock, Roles: testRoles, Location: time.UTC, Connectors: offboard.Connectors{oktaconn.Declaration()}}
	for _, m := range mutate {
		m(&o)
	}
	e, err := flows.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, db: db, engine: e, clock: clock, ctx: context.Background()}
}

func (h *harness) apply(cmd offboard.Command) *offboard.Result {
	h.t.Helper()
	r, err := h.engine.Apply(h.ctx, cmd)
	if err != nil {
		h.t.Fatalf("%s: %v", cmd.Name(), err)
	}
	return r
}

func (h *harness) refuse(cmd offboard.Command, code, msgPart string) {
	h.t.Helper()
	_, err := h.engine.Apply(h.ctx, cmd)
	if err == nil {
		h.t.Fatalf("%s: expected a %s error, got success", cmd.Name(), code)
	}
	if got := offboard.ErrorCode(err); got != code {
		h.t.Fatalf("%s: code = %s (%v), want %s", cmd.Name(), got, err, code)
	}
	if !strings.Contains(err.Error(), msgPart) {
		h.t.Fatalf("%s: error %q does not mention %q", cmd.Name(), err, msgPart)
	}
}

func (h *harness) open(kind offboard.DepartureKind, lastDay string) *offboard.Case {
	h.t.Helper()
	r := h.apply(offboard.OpenCase{By: hr, Kind: kind, LastDay: lastDay,
		Employee: offboard.Employee{Name: "Jane Doe", Email: jane.Email, ManagerEmail: manager.Email}})
	return r.Case
}

func (h *harness) task(id offboard.CaseID, key string) *offboard.Task {
	h.t.Helper()
	var t *offboard.Task
	err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		t, err = tx.Task(id, key)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) caseOf(id offboard.CaseID) *offboard.Case {
	h.t.Helper()
	var c *offboard.Case
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) approvals(id offboard.CaseID) []*offboard.Approval {
	h.t.Helper()
	var out []*offboard.Approval
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		out, err = tx.Approvals(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) approvalFor(id offboard.CaseID, key string, st offboard.ApprovalStatus) *offboard.Approval {
	h.t.Helper()
	for _, a := range h.approvals(id) {
		if a.TaskKey == key && a.Status == st {
			return a
		}
	}
	h.t.Fatalf("no %s approval for %s on %s", st, key, id)
	return nil
}

// readyJobs returns the queued jobs (not leased) that are due now.
func (h *harness) readyJobs() []*offboard.Job {
	h.t.Helper()
	var out []*offboard.Job
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		out, err = tx.ReadyJobs(h.clock.Now(), 0, nil)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) actionJobs() []*offboard.Job {
	var out []*offboard.Job
	for _, j := range h.readyJobs() {
		if j.Kind == offboard.JobAction {
			out = append(out, j)
		}
	}
	return out
}

// succeedAll reports success for every queued action job, as a runner
// would, and returns how many it reported.
func (h *harness) succeedAll() int {
	h.t.Helper()
	n := 0
	for _, j := range h.actionJobs() {
		h.apply(offboard.ActionSucceeded{By: runner, JobID: j.ID, Verified: true,
			Evidence: map[string]string{"status_after": "SUSPENDED"}})
		n++
	}
	return n
}

func (h *harness) auditActions(id offboard.CaseID) []string {
	h.t.Helper()
	var out []string
	err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		out = append(out, e.Action)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *harness) lastAudit() *offboard.AuditEvent {
	h.t.Helper()
	var last *offboard.AuditEvent
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		last = e
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	if last == nil {
		h.t.Fatal("no audit events")
	}
	return last
}

func (h *harness) auditCount() int {
	h.t.Helper()
	n := 0
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{}, func(*offboard.AuditEvent) error { n++; return nil }); err != nil {
		h.t.Fatal(err)
	}
	return n
}
