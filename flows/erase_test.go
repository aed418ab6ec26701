package flows_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
)

const sixYears = 2190 * 24 * time.Hour

// closedCase opens Jane's voluntary case, cancels it (which closes it)
// and returns it.
func closedCase(h *harness) *offboard.Case {
	h.t.Helper()
	c := h.open(offboard.Voluntary, "2026-12-18")
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "Jane Doe stays after all"})
	c = h.caseOf(c.ID)
	if c.ClosedAt == nil {
		h.t.Fatalf("%s is %s, not closed", c.ID, c.Status)
	}
	return c
}

func TestEngine_EraseCase(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.Retention = sixYears })
	c := closedCase(h)

	// The chain holds tokens, not Jane's name or email; readers see them.
	var chained, revealed strings.Builder
	if err := h.db.AuditEventsChained(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(e *offboard.AuditEvent) error {
		chained.WriteString(e.Target + e.Detail + strings.Join(mapValues(e.Evidence), " ") + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(e *offboard.AuditEvent) error {
		revealed.WriteString(e.Target + e.Detail + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := strings.ToLower(chained.String()); strings.Contains(s, "jane") || !strings.Contains(s, "[pd:") {
		t.Fatalf("chained events hold plaintext or no tokens:\n%s", chained.String())
	}
	if !strings.Contains(revealed.String(), "Jane Doe") || !strings.Contains(revealed.String(), jane.Email) {
		t.Fatalf("revealed events lack Jane's name and email:\n%s", revealed.String())
	}

	erase := offboard.EraseCase{By: admin, CaseID: c.ID, Reason: "retention passed; Jane Doe asked too"}
	h.refuse(erase, offboard.EINVALID, "kept until 2032-")
	h.clock.Advance(sixYears + time.Hour)
	h.refuse(offboard.EraseCase{By: it, CaseID: c.ID, Reason: "x"}, offboard.EFORBIDDEN, "only an admin")
	h.refuse(offboard.EraseCase{By: admin, CaseID: c.ID}, offboard.EINVALID, "give a reason")

	res := h.apply(erase)
	if res.Erasure == nil || res.Erasure.Tokens != 2 || res.Duplicate {
		t.Fatalf("erase result = %+v (%+v)", res, res.Erasure)
	}
	got := h.caseOf(c.ID)
	if got.ErasedAt == nil || got.Employee.Email != "" || !strings.HasPrefix(got.Employee.Name, "erased on 2032-") {
		t.Fatalf("erased case = %+v", got.Employee)
	}
	if got.Kind != offboard.Voluntary || got.ClosedAt == nil || got.Status != offboard.CaseCancelled || strings.Contains(got.CancelReason, "Jane") {
		t.Fatalf("erased case lost what an auditor needs or kept the name: %+v", got)
	}
	if ids := h.caseIDsByEmail(jane.Email); len(ids) != 0 {
		t.Fatalf("the email index still finds %v", ids)
	}

	if v, err := h.db.VerifyAudit(h.ctx); err != nil || !v.OK {
		t.Fatalf("verify after erasure = %+v, %v", v, err)
	}
	var after strings.Builder
	if err := h.db.AuditEvents(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(e *offboard.AuditEvent) error {
		after.WriteString(e.Action + " " + e.Target + " " + e.Detail + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := after.String(); strings.Contains(strings.ToLower(s), "jane") || !strings.Contains(s, "[erased on 2032-") {
		t.Fatalf("events after erasure:\n%s", s)
	}

	// Asked again (the scheduler, then the admin): nothing more is done
	// or audited.
	again := h.apply(offboard.EraseCase{By: sched, CaseID: c.ID})
	if !again.Duplicate || !strings.Contains(again.Message, "already") {
		t.Fatalf("second erasure = %+v", again)
	}
	n := 0
	for _, a := range h.auditActions(c.ID) {
		if a == "case.erased" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("case.erased audited %d times, want 1", n)
	}

	// The old bytes leave the file with the compaction.
	if _, err := h.db.Compact(h.ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(h.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{jane.Email, "Jane Doe", "jane"} {
		if bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(s))) {
			t.Errorf("the store file still holds %q", s)
		}
	}
	if v, err := h.db.VerifyAudit(h.ctx); err != nil || !v.OK {
		t.Fatalf("verify after compaction = %+v, %v", v, err)
	}
	// The store keeps working after the swap.
	h.open(offboard.Voluntary, "2032-12-20")
}

func TestEngine_EraseCase_refusals(t *testing.T) {
	h := newHarness(t) // retention off
	c := closedCase(h)
	h.clock.Advance(10 * sixYears)
	h.refuse(offboard.EraseCase{By: admin, CaseID: c.ID, Reason: "r"}, offboard.EINVALID, "retention.personal_data is off")

	h = newHarness(t, func(o *flows.Options) { o.Retention = time.Hour })
	open := h.open(offboard.Voluntary, "2026-12-18")
	h.clock.Advance(48 * time.Hour)
	h.refuse(offboard.EraseCase{By: admin, CaseID: open.ID, Reason: "r"}, offboard.EINVALID, "only a closed case")
	h.refuse(offboard.EraseCase{By: admin, CaseID: "OFF-9999", Reason: "r"}, offboard.ENOTFOUND, "OFF-9999")
	if a := h.lastAudit(); a.Action != "command.refused" || !strings.Contains(a.Detail, "erase_case") {
		t.Fatalf("last audit = %+v, want the refusal", a)
	}
}

func TestErasureDue(t *testing.T) {
	closed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	due, err := flows.ErasureDue(&offboard.Case{ID: "OFF-0001", ClosedAt: &closed}, sixYears)
	if err != nil || !due.Equal(closed.Add(sixYears)) {
		t.Fatalf("ErasureDue = %v, %v", due, err)
	}
}

func (h *harness) caseIDsByEmail(email string) []offboard.CaseID {
	h.t.Helper()
	var ids []offboard.CaseID
	if err := h.db.View(h.ctx, func(tx offboard.Tx) error {
		var err error
		ids, err = tx.CaseIDsByEmail(email)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestEngine_EraseCase_roomNamedAfterLeaver: a Slack channel named from
// channel_name_template ("offboard-jane-doe-off-0001") spells the name in
// a form the tokens do not match; neither the chain nor the erased store
// keeps it.
func TestEngine_EraseCase_roomNamedAfterLeaver(t *testing.T) {
	h := newHarness(t, func(o *flows.Options) { o.Retention = sixYears })
	c := h.open(offboard.Voluntary, "2026-12-18")
	room := "offboard-jane-doe-" + strings.ToLower(string(c.ID))
	h.apply(offboard.RecordRoom{By: sched, CaseID: c.ID, Room: offboard.RoomRef{Platform: "slack", ID: "C0JANE1", Name: room}})
	h.apply(offboard.CancelCase{By: hr, CaseID: c.ID, Reason: "stays"})
	var chained strings.Builder
	if err := h.db.AuditEventsChained(h.ctx, offboard.AuditFilter{CaseID: c.ID}, func(e *offboard.AuditEvent) error {
		chained.WriteString(e.Action + " " + e.Target + " " + e.Detail + " " + strings.Join(mapValues(e.Evidence), " ") + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := chained.String(); strings.Contains(s, "jane-doe") || !strings.Contains(s, "C0JANE1") {
		t.Fatalf("the chain holds the room's name, or not its id:\n%s", s)
	}
	h.clock.Advance(sixYears + 24*time.Hour)
	h.apply(offboard.EraseCase{By: sched, CaseID: c.ID})
	if _, err := h.db.Compact(h.ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(h.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(raw, []byte("jane-doe")); i >= 0 {
		t.Errorf("the store file still holds the room's name: %q", raw[max(i-150, 0):min(i+40, len(raw))])
	}
	if got := h.caseOf(c.ID); len(got.Rooms) != 1 || got.Rooms[0].ID != "C0JANE1" {
		t.Errorf("the erased case lost its room: %+v", got.Rooms)
	}
	if v, err := h.db.VerifyAudit(h.ctx); err != nil || !v.OK {
		t.Fatalf("verify after erasure = %+v, %v", v, err)
	}
}
