package flows_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

func (h *harness) digest() offboard.Digest {
	h.t.Helper()
	d, err := h.engine.Digest(h.ctx, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func TestDigest_EmptyWithNothingToSay(t *testing.T) {
	h := newHarness(t)
	d := h.digest()
	if !d.Empty() {
		t.Fatalf("digest of an empty store is not empty: %+v", d)
	}
	if txt := d.Text(time.UTC); !strings.Contains(txt, "Nothing open") {
		t.Fatalf("empty text = %q", txt)
	}
	if !d.ForDepartment(offboard.DeptIT).Empty() {
		t.Fatal("department part of an empty digest is not empty")
	}
}

func TestDigest_Content(t *testing.T) {
	h := newHarness(t)
	vol := h.open(offboard.Voluntary, "2026-12-31")
	due := h.task(vol.ID, "final_expenses").Due
	if due == nil {
		t.Fatal("final_expenses has no due date")
	}
	drive := h.approvalFor(vol.ID, "transfer_drive", offboard.ApprovalPending)

	// A confidential involuntary case, revoked 90 s after its notice.
	h.clock.Set(due.Add(2 * time.Hour))
	inv := h.apply(offboard.OpenCase{By: hr, Kind: offboard.Involuntary,
		Employee: offboard.Employee{Name: "John Roe", Email: "john.roe@example.com", ManagerEmail: manager.Email}}).Case
	if !inv.Confidential {
		t.Fatal("involuntary case is not confidential")
	}
	h.clock.Advance(90 * time.Second)
	h.succeedAll()
	if h.caseOf(inv.ID).RevokedAt == nil {
		t.Fatal("involuntary case not revoked")
	}
	h.clock.Advance(time.Hour - 90*time.Second) // due + 3h

	d := h.digest()
	if d.Empty() {
		t.Fatal("digest is empty")
	}
	if len(d.Open) != 2 {
		t.Fatalf("open = %+v, want both cases", d.Open)
	}
	for _, c := range d.Open {
		if c.ID == inv.ID && (c.Name != "confidential case" || !c.Confidential) {
			t.Fatalf("confidential case shown as %+v", c)
		}
		if c.ID == vol.ID && (c.Name != "Jane Doe" || c.Total == 0 || c.LastDay != "2026-12-31") {
			t.Fatalf("voluntary case shown as %+v", c)
		}
	}
	var overdue *offboard.DigestTask
	for i, tk := range d.Overdue[offboard.DeptFinance] {
		if tk.CaseID == vol.ID && tk.Key == "final_expenses" {
			overdue = &d.Overdue[offboard.DeptFinance][i]
		}
	}
	if overdue == nil || overdue.Overdue != 3*time.Hour || overdue.Department != offboard.DeptFinance {
		t.Fatalf("finance overdue = %+v", d.Overdue[offboard.DeptFinance])
	}
	var waiting *offboard.DigestApproval
	for i, a := range d.Waiting {
		if a.ID == drive.ID {
			waiting = &d.Waiting[i]
		}
	}
	if waiting == nil || waiting.Approver != manager.Email || waiting.Waiting != h.clock.Now().Sub(start) || waiting.Department != offboard.DeptIT {
		t.Fatalf("waiting = %+v", d.Waiting)
	}
	if len(d.Revoked) != 1 || d.Revoked[0].ID != inv.ID || d.Revoked[0].TimeToRevocation != 90*time.Second || d.Revoked[0].Name != "confidential case" {
		t.Fatalf("revoked = %+v", d.Revoked)
	}

	txt := d.Text(time.UTC)
	for _, want := range []string{
		"Jane Doe", "confidential case", string(inv.ID),
		`Finance: "Settle the final expense report" on ` + string(vol.ID) + ", overdue 3h",
		drive.ID, "on " + manager.Email,
		"Access revoked in the last 24h", "2m after notice",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("text does not say %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "John") || strings.Contains(txt, "john.roe") {
		t.Errorf("text names the confidential case:\n%s", txt)
	}

	// Only that department's overdue tasks, approvals and cases.
	fin := d.ForDepartment(offboard.DeptFinance)
	if len(fin.Overdue) != 1 || len(fin.Overdue[offboard.DeptFinance]) != len(d.Overdue[offboard.DeptFinance]) {
		t.Fatalf("finance part overdue = %+v", fin.Overdue)
	}
	for _, a := range fin.Waiting {
		if a.Department != offboard.DeptFinance {
			t.Fatalf("finance part waits on %+v", a)
		}
	}
	it := d.ForDepartment(offboard.DeptIT)
	if len(it.Overdue[offboard.DeptFinance]) != 0 || len(it.Waiting) == 0 || len(it.Open) != 2 {
		t.Fatalf("IT part = %+v", it)
	}
	if strings.Contains(it.Text(time.UTC), "Settle the final expense report") {
		t.Fatal("IT part shows a finance task")
	}
	if none := d.ForDepartment(offboard.Department("nobody")); !none.Empty() {
		t.Fatalf("part of a department without tasks = %+v", none)
	}

	// A day after the revocation it is no longer news.
	h.clock.Set(h.caseOf(inv.ID).RevokedAt.Add(24 * time.Hour))
	if d := h.digest(); len(d.Revoked) != 0 {
		t.Fatalf("revoked after a day = %+v", d.Revoked)
	}
}

func TestEscalation_BusinessHoursHoldNudges(t *testing.T) {
	var open atomic.Bool
	h := escalationHarness(t, func(p *flows.EscalationPolicy) {
		p.BusinessHours = func(time.Time, string) bool { return open.Load() }
	})
	c := h.open(offboard.Voluntary, "2026-12-31")
	a := h.approvalFor(c.ID, "transfer_drive", offboard.ApprovalPending)

	h.clock.Advance(24 * time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 0)
	h.clock.Advance(time.Hour)
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 0)

	open.Store(true)
	h.clock.Advance(time.Hour)
	h.tick()
	h.tick()
	h.wantCount(offboard.NoticeApprovalReminder, a.ID, 1)
	h.wantCount(offboard.NoticeApprovalEscalated, a.ID, 0)
}
