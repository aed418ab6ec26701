package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// The contract of offboard.Store and offboard.Tx that every backend
// keeps, run against each of them (the bbolt store's tests and
// etcdstore's), so a second backend cannot drift from the first.

// Opener returns a new, empty store for one subtest.
type Opener func(t *testing.T) offboard.Store

// auditVerifier is the chain check both backends have.
type auditVerifier interface {
	VerifyAudit(ctx context.Context) (offboard.AuditVerifyResult, error)
}

// TxContract runs the contract's subtests, each on a fresh store.
func TxContract(t *testing.T, open Opener) {
	t.Run("Cases", func(t *testing.T) { contractCases(t, open(t)) })
	t.Run("Tasks", func(t *testing.T) { contractTasks(t, open(t)) })
	t.Run("Approvals", func(t *testing.T) { contractApprovals(t, open(t)) })
	t.Run("Jobs", func(t *testing.T) { contractJobs(t, open(t)) })
	t.Run("JobQueue", func(t *testing.T) { contractJobQueue(t, open(t)) })
	t.Run("Dedupe", func(t *testing.T) { contractDedupe(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { contractAudit(t, open(t)) })
	t.Run("Rollback", func(t *testing.T) { contractRollback(t, open(t)) })
	t.Run("ViewIsReadOnly", func(t *testing.T) { contractView(t, open(t)) })
	t.Run("ErasePersonal", func(t *testing.T) { contractErase(t, open(t)) })
	t.Run("Wakes", func(t *testing.T) { contractWakes(t, open(t)) })
	t.Run("Delivered", func(t *testing.T) { contractDelivered(t, open(t)) })
	t.Run("Batches", func(t *testing.T) { contractBatches(t, open(t)) })
	t.Run("AuditReading", func(t *testing.T) { contractAuditReading(t, open(t)) })
	t.Run("Figures", func(t *testing.T) { contractFigures(t, open(t)) })
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func update(t *testing.T, s offboard.Store, fn func(offboard.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s offboard.Store, fn func(offboard.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// NewCase is an open case for tests.
func NewCase(id offboard.CaseID, email string) *offboard.Case {
	return &offboard.Case{ID: id, Employee: offboard.Employee{Name: "Dana Leaver", Email: email}, Status: offboard.CaseOpen, NoticeAt: t0}
}

func contractCases(t *testing.T, s offboard.Store) {
	var id1, id2 offboard.CaseID
	update(t, s, func(tx offboard.Tx) error {
		var err error
		if id1, err = tx.NextCaseID(); err != nil {
			return err
		}
		if id2, err = tx.NextCaseID(); err != nil {
			return err
		}
		if err := tx.PutCase(NewCase(id1, "Dana@Example.com")); err != nil {
			return err
		}
		return tx.PutCase(NewCase(id2, "other@example.com"))
	})
	if id1 != offboard.FormatCaseID(1) || id2 != offboard.FormatCaseID(2) {
		t.Fatalf("ids = %s, %s; want the first two", id1, id2)
	}
	view(t, s, func(tx offboard.Tx) error {
		if n, err := tx.LastCaseNumber(); err != nil || n != 2 {
			t.Errorf("LastCaseNumber = %d, %v; want 2", n, err)
		}
		c, err := tx.Case(id1)
		if err != nil || c.Employee.Email != "Dana@Example.com" {
			t.Fatalf("Case = %+v, %v", c, err)
		}
		c.Employee.Name = "changed by the caller"
		if again, _ := tx.Case(id1); again.Employee.Name != "Dana Leaver" {
			t.Errorf("a returned case is not a copy: %q", again.Employee.Name)
		}
		if ids, _ := tx.CaseIDsByEmail(" dana@example.COM "); !slices.Equal(ids, []offboard.CaseID{id1}) {
			t.Errorf("CaseIDsByEmail = %v; want [%s]", ids, id1)
		}
		if ids, _ := tx.CaseIDsByStatus(offboard.CaseOpen); !slices.Equal(ids, []offboard.CaseID{id1, id2}) {
			t.Errorf("CaseIDsByStatus(open) = %v", ids)
		}
		if _, err := tx.Case("OFF-9999"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("missing case: %v; want not_found", err)
		}
		return nil
	})
	// Moving email and status moves the index entries.
	update(t, s, func(tx offboard.Tx) error {
		c, err := tx.Case(id1)
		if err != nil {
			return err
		}
		c.Employee.Email, c.Status = "dana.new@example.com", offboard.CaseCompleted
		return tx.PutCase(c)
	})
	view(t, s, func(tx offboard.Tx) error {
		if ids, _ := tx.CaseIDsByEmail("dana@example.com"); len(ids) != 0 {
			t.Errorf("old email still indexed: %v", ids)
		}
		if ids, _ := tx.CaseIDsByEmail("dana.new@example.com"); !slices.Equal(ids, []offboard.CaseID{id1}) {
			t.Errorf("new email: %v", ids)
		}
		if ids, _ := tx.CaseIDsByStatus(offboard.CaseOpen); !slices.Equal(ids, []offboard.CaseID{id2}) {
			t.Errorf("open after completing %s: %v", id1, ids)
		}
		if ids, _ := tx.CaseIDsByStatus(offboard.CaseCompleted); !slices.Equal(ids, []offboard.CaseID{id1}) {
			t.Errorf("completed: %v", ids)
		}
		if keyed, err := tx.PersonalKeyed(id1); err != nil || !keyed {
			t.Errorf("PersonalKeyed = %v, %v; want a new case keyed", keyed, err)
		}
		return nil
	})
	// OFF-10000 sorts after OFF-9999 though its string is smaller.
	update(t, s, func(tx offboard.Tx) error {
		if err := tx.PutCase(NewCase(offboard.FormatCaseID(10000), "big@example.com")); err != nil {
			return err
		}
		return tx.PutCase(NewCase(offboard.FormatCaseID(9999), "big@example.com"))
	})
	view(t, s, func(tx offboard.Tx) error {
		want := []offboard.CaseID{offboard.FormatCaseID(9999), offboard.FormatCaseID(10000)}
		if ids, _ := tx.CaseIDsByEmail("big@example.com"); !slices.Equal(ids, want) {
			t.Errorf("CaseIDsByEmail = %v; want %v", ids, want)
		}
		return nil
	})
	err := s.Update(context.Background(), func(tx offboard.Tx) error { return tx.PutCase(NewCase("OFF\x001", "x@example.com")) })
	if offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("a NUL in a case id: %v; want invalid", err)
	}
}

func contractTasks(t *testing.T, s offboard.Store) {
	id := offboard.FormatCaseID(1)
	past, future := t0.Add(-time.Hour), t0.Add(time.Hour)
	update(t, s, func(tx offboard.Tx) error {
		for _, tk := range []*offboard.Task{
			{CaseID: id, Key: "b", Order: 2, Status: offboard.TaskScheduled, RunAt: &past, Secrets: offboard.Secrets{"pw": "s3cret"}},
			{CaseID: id, Key: "a", Order: 1, Status: offboard.TaskPending},
			{CaseID: id, Key: "c", Order: 3, Status: offboard.TaskScheduled, RunAt: &future},
			{CaseID: id, Key: "d", Order: 4, Status: offboard.TaskDone, RunAt: &past},
		} {
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx offboard.Tx) error {
		tasks, err := tx.Tasks(id)
		if err != nil {
			return err
		}
		var keys []string
		for _, tk := range tasks {
			keys = append(keys, tk.Key)
		}
		if !slices.Equal(keys, []string{"a", "b", "c", "d"}) {
			t.Errorf("Tasks in order %v; want a b c d", keys)
		}
		b, err := tx.Task(id, "b")
		if err != nil || b.Secrets["pw"] != "s3cret" {
			t.Errorf("Task b = %+v, %v; want its secret kept", b, err)
		}
		if _, err := tx.Task(id, "zz"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("missing task: %v", err)
		}
		due, _ := tx.DueTasks(t0, 0)
		if !slices.Equal(due, []offboard.TaskRef{{CaseID: id, Key: "b"}}) {
			t.Errorf("DueTasks(now) = %v; want only b (c is later, d is done)", due)
		}
		due, _ = tx.DueTasks(future, 1)
		if len(due) != 1 || due[0].Key != "b" {
			t.Errorf("DueTasks(later, limit 1) = %v", due)
		}
		return nil
	})
	update(t, s, func(tx offboard.Tx) error {
		b, err := tx.Task(id, "b")
		if err != nil {
			return err
		}
		b.Status = offboard.TaskDone
		return tx.PutTask(b)
	})
	view(t, s, func(tx offboard.Tx) error {
		if due, _ := tx.DueTasks(future, 0); !slices.Equal(due, []offboard.TaskRef{{CaseID: id, Key: "c"}}) {
			t.Errorf("after b is done, DueTasks(later) = %v; want only c", due)
		}
		return nil
	})
}

func contractApprovals(t *testing.T, s offboard.Store) {
	id := offboard.FormatCaseID(7)
	var ids []string
	update(t, s, func(tx offboard.Tx) error {
		ids = nil
		for range 2 {
			aid, err := tx.NextApprovalID(id)
			if err != nil {
				return err
			}
			ids = append(ids, aid)
		}
		// Written out of order: A2 first.
		for _, aid := range []string{ids[1], ids[0]} {
			if err := tx.PutApproval(&offboard.Approval{ID: aid, CaseID: id, TaskKey: "laptop"}); err != nil {
				return err
			}
		}
		return nil
	})
	if !slices.Equal(ids, []string{string(id) + "-A1", string(id) + "-A2"}) {
		t.Fatalf("approval ids %v", ids)
	}
	view(t, s, func(tx offboard.Tx) error {
		as, err := tx.Approvals(id)
		if err != nil {
			return err
		}
		if len(as) != 2 || as[0].ID != ids[0] || as[1].ID != ids[1] {
			t.Errorf("Approvals = %+v; want A1, A2", as)
		}
		if _, err := tx.Approval("nope"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("missing approval: %v", err)
		}
		return nil
	})
}

func contractDedupe(t *testing.T, s offboard.Store) {
	update(t, s, func(tx offboard.Tx) error {
		if _, ok, err := tx.Dedupe("evt-1"); err != nil || ok {
			t.Errorf("Dedupe of a new key = %v, %v", ok, err)
		}
		return tx.PutDedupe("evt-1", "OFF-0001", t0)
	})
	view(t, s, func(tx offboard.Tx) error {
		if id, ok, err := tx.Dedupe("evt-1"); err != nil || !ok || id != "OFF-0001" {
			t.Errorf("Dedupe = %s, %v, %v", id, ok, err)
		}
		return nil
	})
	err := s.Update(context.Background(), func(tx offboard.Tx) error { return tx.PutDedupe("", "OFF-0001", t0) })
	if offboard.ErrorCode(err) != offboard.EINVALID {
		t.Errorf("empty dedupe key: %v", err)
	}
}

func contractAudit(t *testing.T, s offboard.Store) {
	id := offboard.FormatCaseID(1)
	var events []offboard.AuditEvent
	update(t, s, func(tx offboard.Tx) error {
		events = nil
		if err := tx.PutCase(NewCase(id, "dana@example.com")); err != nil {
			return err
		}
		for i, detail := range []string{"opened for Dana Leaver", "second", "third"} {
			e := offboard.AuditEvent{Time: t0.Add(time.Duration(i) * time.Second), Action: "case.test", CaseID: id, Outcome: "ok", Detail: detail}
			if err := tx.AppendAudit(&e); err != nil {
				return err
			}
			events = append(events, e)
		}
		return nil
	})
	prev := ""
	for i, e := range events {
		h, err := e.ComputeHash()
		if e.Seq != uint64(i+1) || e.PrevHash != prev || err != nil || h != e.Hash {
			t.Errorf("event %d: seq %d, prev %q, hash %q (recomputed %q, %v)", i, e.Seq, e.PrevHash, e.Hash, h, err)
		}
		prev = e.Hash
	}
	if d := events[0].Detail; strings.Contains(d, "Dana Leaver") || !strings.Contains(d, "[pd:") {
		t.Errorf("the leaver's name was chained in plaintext: %q", d)
	}
	AssertChainOK(t, s, 3)
}

// AssertChainOK verifies the store's chain and checks it holds n events.
func AssertChainOK(t *testing.T, s offboard.Store, n uint64) {
	t.Helper()
	v, ok := s.(auditVerifier)
	if !ok {
		t.Fatalf("%T cannot verify its audit chain", s)
	}
	res, err := v.VerifyAudit(context.Background())
	if err != nil || !res.OK || res.Events != n {
		t.Fatalf("VerifyAudit = %+v, %v; want OK with %d events", res, err, n)
	}
}

func contractRollback(t *testing.T, s offboard.Store) {
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx offboard.Tx) error {
		if err := tx.PutCase(NewCase("OFF-0001", "dana@example.com")); err != nil {
			return err
		}
		e := offboard.AuditEvent{Time: t0, Action: "case.test", Outcome: "ok"}
		if err := tx.AppendAudit(&e); err != nil {
			return err
		}
		return fmt.Errorf("command failed: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v; want fn's error", err)
	}
	view(t, s, func(tx offboard.Tx) error {
		if _, err := tx.Case("OFF-0001"); offboard.ErrorCode(err) != offboard.ENOTFOUND {
			t.Errorf("a failed Update left its case: %v", err)
		}
		if ids, _ := tx.CaseIDsByEmail("dana@example.com"); len(ids) != 0 {
			t.Errorf("a failed Update left its index entry: %v", ids)
		}
		return nil
	})
	var e offboard.AuditEvent
	update(t, s, func(tx offboard.Tx) error {
		e = offboard.AuditEvent{Time: t0, Action: "case.test", Outcome: "ok"}
		return tx.AppendAudit(&e)
	})
	if e.Seq != 1 {
		t.Errorf("the first event after a rolled-back append has seq %d; want 1", e.Seq)
	}
	AssertChainOK(t, s, 1)
}

func contractView(t *testing.T, s offboard.Store) {
	err := s.View(context.Background(), func(tx offboard.Tx) error {
		return tx.PutCase(NewCase("OFF-0001", "dana@example.com"))
	})
	if err == nil {
		t.Fatal("PutCase in a View succeeded")
	}
	err = s.View(context.Background(), func(tx offboard.Tx) error {
		e := offboard.AuditEvent{Time: t0, Action: "case.test"}
		return tx.AppendAudit(&e)
	})
	if err == nil {
		t.Fatal("AppendAudit in a View succeeded")
	}
}

func contractErase(t *testing.T, s offboard.Store) {
	id := offboard.FormatCaseID(1)
	update(t, s, func(tx offboard.Tx) error {
		if err := tx.PutCase(NewCase(id, "dana@example.com")); err != nil {
			return err
		}
		if err := tx.PutTask(&offboard.Task{CaseID: id, Key: "mail", Status: offboard.TaskDone, Title: "Forward mail of Dana Leaver", Secrets: offboard.Secrets{"pw": "x"}}); err != nil {
			return err
		}
		if err := tx.PutDedupe("evt-9", id, t0); err != nil {
			return err
		}
		e := offboard.AuditEvent{Time: t0, Action: "case.opened", CaseID: id, Outcome: "ok", Detail: "for dana@example.com"}
		return tx.AppendAudit(&e)
	})
	var out offboard.Erasure
	update(t, s, func(tx offboard.Tx) error {
		var err error
		out, err = tx.ErasePersonal(id, t0.Add(24*time.Hour))
		return err
	})
	if out.Records < 2 || out.Removed < 1 || out.Tokens < 2 {
		t.Errorf("Erasure = %+v; want the case and its task rewritten, the dedupe key removed, two tokens", out)
	}
	view(t, s, func(tx offboard.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if c.Employee.Email != "" || strings.Contains(c.Employee.Name, "Dana") || c.ErasedAt == nil {
			t.Errorf("erased case still names the leaver: %+v", c.Employee)
		}
		tk, err := tx.Task(id, "mail")
		if err != nil {
			return err
		}
		if strings.Contains(tk.Title, "Dana Leaver") || len(tk.Secrets) != 0 {
			t.Errorf("erased task: title %q, secrets %v", tk.Title, tk.Secrets)
		}
		if ids, _ := tx.CaseIDsByEmail("dana@example.com"); len(ids) != 0 {
			t.Errorf("erased email still indexed: %v", ids)
		}
		if _, ok, _ := tx.Dedupe("evt-9"); ok {
			t.Error("erased case's dedupe key is still there")
		}
		return nil
	})
	err := s.Update(context.Background(), func(tx offboard.Tx) error {
		_, err := tx.ErasePersonal(id, t0)
		return err
	})
	if offboard.ErrorCode(err) != offboard.ECONFLICT {
		t.Errorf("erasing twice: %v; want conflict", err)
	}
	AssertChainOK(t, s, 1)
}

// contractWakes: a case's wake time moves its index entry, DueWakes
// finds the due ones earliest first and stops at now and at limit,
// zero clears it, setting the stored time again writes nothing (so a
// read-only transaction may), and the wake policy round-trips.
func contractWakes(t *testing.T, s offboard.Store) {
	a, b, c := offboard.FormatCaseID(1), offboard.FormatCaseID(2), offboard.FormatCaseID(3)
	update(t, s, func(tx offboard.Tx) error {
		for i, id := range []offboard.CaseID{a, b, c} {
			if err := tx.SetWake(id, t0.Add(time.Duration(3-i)*time.Hour)); err != nil {
				return err
			}
		}
		// a moves from t0+3h to t0+30m.
		if err := tx.SetWake(a, t0.Add(30*time.Minute)); err != nil {
			return err
		}
		return tx.SetWakePolicy("policy-1")
	})
	view(t, s, func(tx offboard.Tx) error {
		due, err := tx.DueWakes(t0.Add(2*time.Hour), 0)
		if err != nil || !slices.Equal(due, []offboard.CaseID{a, c, b}) {
			t.Errorf("DueWakes(t0+2h) = %v, %v; want %v", due, err, []offboard.CaseID{a, c, b})
		}
		if due, _ := tx.DueWakes(t0.Add(time.Hour), 0); !slices.Equal(due, []offboard.CaseID{a, c}) {
			t.Errorf("DueWakes(t0+1h) = %v, want [%s %s]", due, a, c)
		}
		if due, _ := tx.DueWakes(t0.Add(2*time.Hour), 1); !slices.Equal(due, []offboard.CaseID{a}) {
			t.Errorf("DueWakes with limit 1 = %v", due)
		}
		if w, err := tx.Wake(a); err != nil || !w.Equal(t0.Add(30*time.Minute)) {
			t.Errorf("Wake(a) = %v, %v", w, err)
		}
		if p, err := tx.WakePolicy(); err != nil || p != "policy-1" {
			t.Errorf("WakePolicy = %q, %v", p, err)
		}
		// The stored time again: nothing to write, so a View may.
		return tx.SetWake(b, t0.Add(2*time.Hour))
	})
	update(t, s, func(tx offboard.Tx) error { return tx.SetWake(c, time.Time{}) })
	view(t, s, func(tx offboard.Tx) error {
		if due, _ := tx.DueWakes(t0.Add(24*time.Hour), 0); !slices.Equal(due, []offboard.CaseID{a, b}) {
			t.Errorf("after clearing c, DueWakes = %v", due)
		}
		if w, _ := tx.Wake(c); !w.IsZero() {
			t.Errorf("Wake(c) after clearing = %v", w)
		}
		return nil
	})
	err := s.View(context.Background(), func(tx offboard.Tx) error { return tx.SetWake(a, t0) })
	if err == nil {
		t.Error("a View moved a wake time")
	}
}
