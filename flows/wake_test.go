package flows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// txid is the store's last committed write transaction.
func (h *harness) txid() uint64 {
	h.t.Helper()
	id, err := h.db.TxID()
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// wake is when Tick must next look at case id, from the store.
func (h *harness) wake(id offboard.CaseID) time.Time {
	h.t.Helper()
	var at time.Time
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		at, err = tx.Wake(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return at
}

// tickWrote ticks at at and reports whether the tick committed a write.
func (h *harness) tickWrote(at time.Time) bool {
	h.t.Helper()
	before := h.txid()
	h.tickAt(at)
	return h.txid() != before
}

// walkWakes follows case id's wake times: just before each, once the
// due tasks of the tasks' own index have run, a tick writes nothing; a
// tick at it writes. It returns the audit actions the ticks added, in
// order.
func (h *harness) walkWakes(id offboard.CaseID, steps int) []string {
	h.t.Helper()
	seen := len(h.auditActions(id))
	var added []string
	for range steps {
		w := h.wake(id)
		if w.IsZero() {
			break
		}
		if !w.After(h.clock.Now()) {
			h.t.Fatalf("wake %s is not after now %s", w, h.clock.Now())
		}
		h.tickAt(w.Add(-time.Millisecond)) // scheduled tasks due meanwhile
		if h.tickWrote(w.Add(-time.Millisecond)) {
			h.t.Fatalf("a second tick before the wake time %s wrote", w)
		}
		if !h.tickWrote(w) {
			h.t.Fatalf("the tick at the wake time %s wrote nothing", w)
		}
		acts := h.auditActions(id)
		added = append(added, acts[seen:]...)
		seen = len(acts)
	}
	return added
}

// TestEngine_Tick_NothingDueWritesNothing: a tick with nothing due
// commits no transaction (the file's txid stays), however often it runs;
// one with something due writes it.
func TestEngine_Tick_NothingDueWritesNothing(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.apply(offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-30",
		Employee: offboard.Employee{Name: "Jon Roe", Email: "jon.roe@example.com", ManagerEmail: manager.Email}})
	h.tick() // the first tick records the wake policy of a new store
	before := h.txid()
	for i := range 5 {
		h.tickAt(start.Add(time.Duration(i) * time.Hour))
	}
	if got := h.txid(); got != before {
		t.Fatalf("ticks with nothing due moved the txid from %d to %d", before, got)
	}
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if w := h.wake(c.ID); !w.Equal(a.CreatedAt.Add(24 * time.Hour)) {
		t.Fatalf("wake = %s, want the reminder at %s", w, a.CreatedAt.Add(24*time.Hour))
	}
	if !h.tickWrote(a.CreatedAt.Add(24 * time.Hour)) {
		t.Fatal("the tick at the reminder wrote nothing")
	}
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
}

// TestEngine_Tick_EveryNudgeFoundThroughWakes: following a case's wake
// times alone finds its reminder, escalations, stuck page and both
// overdue notices, each at its time and none early; a closed case has no
// wake time.
func TestEngine_Tick_EveryNudgeFoundThroughWakes(t *testing.T) {
	h := escalationHarness(t, func(p *flows.EscalationPolicy) { p.EscalateTo = []string{cto.Email} })
	c := h.open(offboard.Voluntary, "2026-12-31")
	h.tick()
	acts := h.walkWakes(c.ID, 40)
	for _, want := range []string{"approval.reminded", "approval.escalated", "approval.stuck", "task.overdue"} {
		if !slices.Contains(acts, want) {
			t.Errorf("walking the wake times never audited %s: %v", want, acts)
		}
	}
	if n := countOf(acts, "task.overdue"); n < 2 {
		t.Errorf("%d task.overdue, want the first notice and the lead's of each overdue task", n)
	}
	if w := h.wake(c.ID); !w.IsZero() {
		t.Errorf("after every nudge the case still wakes at %s", w)
	}
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "test"})
	if w := h.wake(c.ID); !w.IsZero() {
		t.Errorf("a cancelled case wakes at %s", w)
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// TestEngine_Tick_WriteOffFoundThroughWakes: the write-off question of a
// laptop never returned is found through the case's wake time.
func TestEngine_Tick_WriteOffFoundThroughWakes(t *testing.T) {
	h := newHarness(t, withWriteOff)
	cs := openWithLaptop(h, manager.Email)
	h.tick()
	acts := h.walkWakes(cs.ID, 20)
	if !slices.Contains(acts, "device.write_off_asked") {
		t.Fatalf("walking the wake times never asked the write-off: %v", acts)
	}
	if n := len(h.writeOffApprovals(cs.ID)); n != 1 {
		t.Fatalf("%d write-off approvals, want 1", n)
	}
}

// TestEngine_Tick_ScheduledRevocationNeedsNoWake: a last-day revocation
// is found through the due index of tasks: nothing is written before its
// time, and its job is queued at it.
func TestEngine_Tick_ScheduledRevocationNeedsNoWake(t *testing.T) {
	h := newHarness(t)
	c := h.open(offboard.Voluntary, "2026-11-27")
	h.tick()
	revoke := h.caseOf(c.ID).RevokeAt
	if revoke.IsZero() || !revoke.After(start) {
		t.Fatalf("revocation point %s", revoke)
	}
	h.tickAt(revoke.Add(-time.Millisecond)) // nudges due before it
	jobs := len(h.actionJobs())
	if h.tickWrote(revoke.Add(-time.Millisecond)) {
		t.Fatal("a second tick before the revocation point wrote")
	}
	if !h.tickWrote(revoke) {
		t.Fatal("the tick at the revocation point wrote nothing")
	}
	if got := len(h.actionJobs()); got <= jobs {
		t.Fatalf("%d action jobs at the revocation point, had %d before", got, jobs)
	}
}

// TestEngine_Tick_BuildsWakesForOldStore: a store written before the
// wake index has none; the first tick of an engine builds it, and the
// reminder due meanwhile goes out.
func TestEngine_Tick_BuildsWakesForOldStore(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	path := h.db.Path()
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := storetest.DropWakeIndex(path); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	if w := h.wake(c.ID); !w.IsZero() {
		t.Fatalf("the old store has a wake time %s", w)
	}
	h.engine = rebuildEngine(t, h, 24*time.Hour)
	h.clock.Advance(24 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	if w := h.wake(c.ID); w.IsZero() {
		t.Fatal("no wake time after the first tick")
	}
}

// TestEngine_Tick_RebuildsWakesWhenPolicyChanges: wake times computed
// under remind_after 24h are recomputed when the engine comes back with
// 2h, so the reminder is not a day late.
func TestEngine_Tick_RebuildsWakesWhenPolicyChanges(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.tick()
	h.engine = rebuildEngine(t, h, 2*time.Hour)
	h.clock.Advance(2 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
}

// rebuildEngine is a restart: a new engine on h's store, with the
// escalation harness's policy and remindAfter.
func rebuildEngine(t *testing.T, h *harness, remindAfter time.Duration) *flows.Engine {
	t.Helper()
	o := flows.Options{Store: h.db, Clock: h.clock, Roles: testRoles, Location: time.UTC,
		Escalation: flows.EscalationPolicy{RemindAfter: remindAfter, EscalateAfter: 48 * time.Hour, MaxLevel: 2}}
	e, err := flows.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
