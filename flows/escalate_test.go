package flows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

var (
	boss    = person("bea.boss@example.com")
	cto     = person("carl.cto@example.com")
	finLead = "fred.lead@example.com"
	hrLead  = "hedy.lead@example.com"
)

func escalationHarness(t testing.TB, mutate func(*flows.EscalationPolicy)) *harness {
	t.Helper()
	return newHarness(t, func(o *flows.Options) {
		o.Escalation = flows.EscalationPolicy{
			RemindAfter: 24 * time.Hour, EscalateAfter: 48 * time.Hour, MaxLevel: 2,
			ManagerOf: func(email string) string {
				if email == manager.Email {
					return boss.Email
				}
				return ""
			},
		}
		o.Departments = offboard.StandardDepartments()
		for i, d := range o.Departments {
			switch d.Name {
			case offboard.DeptFinance:
				o.Departments[i].Lead = finLead
			case offboard.DeptHR:
				o.Departments[i].Lead = hrLead
			}
		}
		if mutate != nil {
			mutate(&o.Escalation)
		}
	})
}

// notices returns the queued notices of a kind about an approval or task
// (match is the approval id or task key; "" matches all).
func (h *harness) notices(kind offboard.NoticeKind, match string) []*offboard.Notice {
	h.t.Helper()
	var out []*offboard.Notice
	for _, j := range h.readyJobs() {
		n := j.Notice
		if j.Kind != offboard.JobNotify || n == nil || n.Kind != kind {
			continue
		}
		if match != "" && n.ApprovalID != match && (n.ApprovalID != "" || n.TaskKey != match) {
			continue
		}
		out = append(out, n)
	}
	return out
}

func (h *harness) tick() { h.t.Helper(); h.apply(offboard.Tick{By: sched}) }

func (h *harness) wantCount(kind offboard.NoticeKind, match string, want int) []*offboard.Notice {
	h.t.Helper()
	got := h.notices(kind, match)
	if len(got) != want {
		h.t.Fatalf("%d %s notices for %q, want %d: %+v", len(got), kind, match, want, got)
	}
	return got
}

func TestEscalation_ReminderAtRemindAfter(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)

	h.clock.Advance(24*time.Hour - time.Minute)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 0)

	h.clock.Advance(time.Minute)
	h.tick()
	n := h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)[0]
	if !slices.Equal(n.To, []string{manager.Email}) || !strings.HasPrefix(n.Text, "Reminder: "+a.Question) || !strings.Contains(n.Text, "waiting 1d") {
		t.Fatalf("reminder = %+v", n)
	}
	// Same now again (a restart, a second scheduler tick): nothing new.
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if got.Reminders != 1 || got.LastNudgeAt == nil || !got.LastNudgeAt.Equal(h.clock.Now()) || got.EscalationLevel != 0 {
		t.Fatalf("approval after reminder = %+v", got)
	}
	if !slices.Contains(h.auditActions(c.ID), "approval.reminded") {
		t.Fatal("no approval.reminded audit")
	}
	// Later, but before EscalateAfter: no second reminder, no escalation.
	h.clock.Advance(23 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 0)
}

func TestEscalation_ToManagerOfApprover(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)

	h.clock.Advance(48*time.Hour - time.Minute)
	h.tick()
	h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 0)
	h.clock.Advance(time.Minute)
	h.tick()
	n := h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 1)[0]
	if !slices.Equal(n.To, []string{boss.Email}) || n.Text != "Escalated to "+boss.Email+": "+a.Question {
		t.Fatalf("escalation = %+v", n)
	}
	got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if got.EscalationLevel != 1 || !slices.Equal(got.EscalatedTo, []string{boss.Email}) {
		t.Fatalf("approval = level %d to %v", got.EscalationLevel, got.EscalatedTo)
	}
	if !slices.Contains(h.auditActions(c.ID), "approval.escalated") {
		t.Fatal("no approval.escalated audit")
	}

	// The escalated person may decide; a stranger still may not.
	h.refuse(offboard.DecideApproval{By: stranger, ApprovalID: a.ID, Approve: true}, offboard.EFORBIDDEN, "only")
	h.apply(offboard.DecideApproval{By: boss, ApprovalID: a.ID, Approve: true})

	// A decision stops the chain.
	before := len(h.notices(offboard.NoticeApprovalReminder, a.ID)) + len(h.notices(offboard.NoticeApprovalEscalated, a.ID))
	for range 5 {
		h.clock.Advance(5 * 24 * time.Hour)
		h.tick()
	}
	after := len(h.notices(offboard.NoticeApprovalReminder, a.ID)) + len(h.notices(offboard.NoticeApprovalEscalated, a.ID))
	if after != before {
		t.Fatalf("decided approval nudged again: %d notices, had %d", after, before)
	}
	h.wantCount(offboard.NoticeApprovalStuck, a.ID, 0)
}

func TestEscalation_FallsBackToEscalateTo(t *testing.T) {
	h := escalationHarness(t, func(p *flows.EscalationPolicy) {
		p.ManagerOf = nil
		p.EscalateTo = []string{cto.Email}
	})
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.clock.Advance(48 * time.Hour)
	h.tick()
	n := h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 1)[0]
	if !slices.Equal(n.To, []string{cto.Email}) {
		t.Fatalf("escalated to %v, want the escalate_to list", n.To)
	}
	h.apply(offboard.DecideApproval{By: cto, ApprovalID: a.ID, Approve: false, Comment: "keep it"})
}

func TestEscalation_LongDowntimeAndStuck(t *testing.T) {
	h := escalationHarness(t, func(p *flows.EscalationPolicy) { p.EscalateTo = []string{cto.Email} })
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)

	// Ten days without a tick: one reminder and one escalation, not one per
	// missed tick.
	h.clock.Advance(10 * 24 * time.Hour)
	h.tick()
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 1)
	if got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending); got.EscalationLevel != 1 {
		t.Fatalf("level %d, want 1", got.EscalationLevel)
	}

	// Next step: level 2 (the max), to the escalate_to list since the boss
	// has no manager.
	h.clock.Advance(10 * 24 * time.Hour)
	h.tick()
	h.tick()
	es := h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 2)
	if !slices.Equal(es[1].To, []string{cto.Email}) {
		t.Fatalf("second escalation to %v", es[1].To)
	}
	h.wantCount(offboard.NoticeApprovalStuck, a.ID, 0)

	// Max level and still pending an EscalateAfter later: HR once.
	h.clock.Advance(48*time.Hour - time.Minute)
	h.tick()
	h.wantCount(offboard.NoticeApprovalStuck, a.ID, 0)
	h.clock.Advance(time.Minute)
	h.tick()
	st := h.wantCount(offboard.NoticeApprovalStuck, a.ID, 1)[0]
	if st.Department != offboard.DeptHR || !slices.Equal(st.To, []string{hrLead}) ||
		!strings.HasPrefix(st.Text, "HR: approval "+a.ID+" has waited ") || !strings.HasSuffix(st.Text, "; nobody decided") {
		t.Fatalf("stuck = %+v", st)
	}
	for range 3 {
		h.clock.Advance(10 * 24 * time.Hour)
		h.tick()
	}
	h.wantCount(offboard.NoticeApprovalStuck, a.ID, 1)
	h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 2)
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	got := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	if got.EscalationLevel != 2 || !got.Paged || !slices.Equal(got.EscalatedTo, []string{boss.Email, cto.Email}) {
		t.Fatalf("approval = %+v", got)
	}
	// Everyone escalated to can decide.
	h.apply(offboard.DecideApproval{By: cto, ApprovalID: a.ID, Approve: true})
}

func TestEscalation_OverdueTaskOnceThenLead(t *testing.T) {
	h := escalationHarness(t, nil)
	c := h.open(offboard.Voluntary, "2026-12-31")
	task := h.task(c.ID, "final_expenses")
	if task.Due == nil {
		t.Fatal("final_expenses has no due date")
	}
	h.clock.Set(task.Due.Add(-time.Minute))
	h.tick()
	h.wantCount(offboard.NoticeTaskOverdue, "final_expenses", 0)

	h.clock.Set(*task.Due)
	h.tick()
	h.tick()
	n := h.wantCount(offboard.NoticeTaskOverdue, "final_expenses", 1)[0]
	if n.Department != offboard.DeptFinance || len(n.To) != 0 || !strings.HasPrefix(n.Text, "Overdue: ") {
		t.Fatalf("overdue = %+v", n)
	}
	if !slices.Contains(h.auditActions(c.ID), "task.overdue") {
		t.Fatal("no task.overdue audit")
	}

	h.clock.Advance(24*time.Hour - time.Minute)
	h.tick()
	h.wantCount(offboard.NoticeTaskOverdue, "final_expenses", 1)
	h.clock.Advance(time.Minute)
	h.tick()
	h.tick()
	ns := h.wantCount(offboard.NoticeTaskOverdue, "final_expenses", 2)
	if !slices.Equal(ns[1].To, []string{finLead}) {
		t.Fatalf("second overdue to %v, want the finance lead", ns[1].To)
	}
	// Never more than two, however long it stays overdue.
	h.clock.Advance(30 * 24 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeTaskOverdue, "final_expenses", 2)
	if got := h.task(c.ID, "final_expenses"); got.Nudges != 2 || got.LastNudgeAt == nil {
		t.Fatalf("task nudges = %d at %v", got.Nudges, got.LastNudgeAt)
	}
}

func TestEscalation_ZeroRemindAfterDisablesReminders(t *testing.T) {
	h := escalationHarness(t, func(p *flows.EscalationPolicy) { p.RemindAfter = 0 })
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)
	h.clock.Advance(47 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 0)
}
