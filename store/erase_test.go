package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// keyedCase writes case n for email with a task holding a secret, a job
// and a dead letter naming the email, a dedupe key and a delivery
// marker, and two audit events quoting the name and the email.
func keyedCase(t *testing.T, db *store.DB, n uint64, email string) offboard.CaseID {
	t.Helper()
	c := newCase(n, email, offboard.CaseCompleted)
	if !strings.HasPrefix(email, "jane") {
		c.Employee.Name = "Someone Else"
	}
	update(t, db, func(tx offboard.Tx) error {
		var err error
		c.ID, err = tx.NextCaseID()
		return err
	})
	closed := t0
	c.ClosedAt, c.Notes = &closed, c.Employee.Name+" said bye from "+email
	c.Source, c.SourceRef = "bamboohr", fmt.Sprintf("EMP-9%d31", n)
	update(t, db, func(tx offboard.Tx) error {
		if err := tx.PutCase(c); err != nil {
			return err
		}
		tk := newTask(c.ID, "lock", 0, offboard.TaskDone, nil)
		tk.Progress, tk.Secrets = "locked the Mac of "+email, offboard.Secrets{"pin": fmt.Sprintf("48291%d", n+2)}
		if err := tx.PutTask(tk); err != nil {
			return err
		}
		j := newJob(string(c.ID)+"/lock#1", offboard.PriorityRevocation, t0)
		j.CaseID, j.Target = c.ID, &offboard.Target{Email: strings.ToUpper(email)}
		if err := tx.PutJob(j); err != nil {
			return err
		}
		dj := newJob(string(c.ID)+"/notice#1", offboard.PriorityChat, t0)
		dj.CaseID, dj.LastError = c.ID, "no channel for "+c.Employee.Name
		if err := tx.PutJob(dj); err != nil {
			return err
		}
		if err := tx.DeadLetter(dj); err != nil {
			return err
		}
		if err := tx.PutDedupe("hris:"+string(c.ID), c.ID, t0); err != nil {
			return err
		}
		for _, ev := range []*offboard.AuditEvent{
			{Time: t0, Actor: offboard.System("test"), Action: "case.opened", CaseID: c.ID, Target: email, Outcome: offboard.OutcomeOK,
				Detail: "voluntary departure of " + c.Employee.Name, Evidence: map[string]string{"login": strings.ToUpper(email)}},
			{Time: t0, Actor: offboard.Actor{Kind: offboard.ActorPerson, ID: email, Email: email}, Action: "task.done", CaseID: c.ID, Outcome: offboard.OutcomeOK, Detail: "done"},
		} {
			if err := tx.AppendAudit(ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.MarkDelivered(context.Background(), "slack", string(c.ID)+"/opened", c.ID, t0); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestTx_AppendAudit_tokenisesPersonalData(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	id := keyedCase(t, db, 1, "jane.doe@example.com")
	var chained []string
	if err := db.AuditEventsChained(ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		b, _ := json.Marshal(e)
		chained = append(chained, string(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := strings.ToLower(strings.Join(chained, "\n")); strings.Contains(s, "jane") || strings.Count(s, "[pd:") != 5 {
		t.Fatalf("chained events:\n%s", s)
	}
	var opened *offboard.AuditEvent
	if err := db.AuditEvents(ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if opened == nil {
			opened = e
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if opened.Target != "jane.doe@example.com" || opened.Detail != "voluntary departure of Jane Doe" || opened.Evidence["login"] != "jane.doe@example.com" {
		t.Fatalf("revealed event = %+v", opened)
	}
	// An event of no case is as it was written.
	update(t, db, func(tx offboard.Tx) error {
		return tx.AppendAudit(&offboard.AuditEvent{Time: t0, Actor: offboard.System("test"), Action: "command.refused", Target: "jane.doe@example.com", Outcome: offboard.OutcomeRefused})
	})
	var last offboard.AuditEvent
	_ = db.AuditEventsChained(ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error { last = *e; return nil })
	if last.Target != "jane.doe@example.com" {
		t.Fatalf("an event of no case was changed: %+v", last)
	}
}

func TestTx_ErasePersonal(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	id := keyedCase(t, db, 1, "jane.doe@example.com")
	bob := keyedCase(t, db, 2, "bob.roe@example.com")
	when := t0.Add(2190 * 24 * time.Hour)
	update(t, db, func(tx offboard.Tx) error {
		er, err := tx.ErasePersonal(id, when)
		if err != nil {
			return err
		}
		if er.Tokens != 2 || er.Removed != 2 || er.Records < 4 {
			t.Errorf("erasure = %+v", er)
		}
		return nil
	})
	view(t, db, func(tx offboard.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if c.ErasedAt == nil || c.Employee.Name != "erased on 2032-02-29" || c.Employee.Email != "" || c.Notes != offboard.ErasedMark {
			t.Errorf("erased case = %+v notes %q", c.Employee, c.Notes)
		}
		if c.SourceRef != "" || c.Source != "bamboohr" {
			t.Errorf("erased case's source = %q ref %q, want the source kept and the HR id gone", c.Source, c.SourceRef)
		}
		tk, err := tx.Task(id, "lock")
		if err != nil {
			return err
		}
		if len(tk.Secrets) != 0 || tk.Progress != "locked the Mac of [erased]" {
			t.Errorf("erased task = %q %v", tk.Progress, tk.Secrets)
		}
		if _, ok, _ := tx.Dedupe("hris:" + string(id)); ok {
			t.Error("the dedupe key of the erased case is kept")
		}
		if _, ok, _ := tx.Dedupe("hris:" + string(bob)); !ok {
			t.Error("Bob's dedupe key went too")
		}
		b, err := tx.Case(bob)
		if err != nil || b.Employee.Email != "bob.roe@example.com" {
			t.Errorf("Bob's case = %+v, %v", b, err)
		}
		return nil
	})
	if ok, _ := db.Delivered(ctx, "slack", string(id)+"/opened"); ok {
		t.Error("the delivery marker of the erased case is kept")
	}
	update(t, db, func(tx offboard.Tx) error {
		_, err := tx.ErasePersonal(id, when)
		wantCode(t, err, offboard.ECONFLICT)
		return nil
	})
	if _, err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"jane", "482913", "emp-9131"} {
		if i := bytes.Index(bytes.ToLower(raw), []byte(s)); i >= 0 {
			t.Errorf("the compacted file still holds %q: %q", s, raw[max(i-200, 0):min(i+100, len(raw))])
		}
	}
	if !bytes.Contains(raw, []byte("bob.roe@example.com")) {
		t.Error("Bob's case lost its email")
	}
	if v, err := db.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	if probs, err := db.VerifyIndexes(ctx); err != nil || len(probs) > 0 {
		t.Fatalf("indexes after erasure: %v, %v", probs, err)
	}
}

// A case stored before keys existed has the plaintext in its events:
// erasing it is refused, and its events stay as they were.
func TestTx_ErasePersonal_legacyCase(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx offboard.Tx) error {
		return tx.PutCase(newCase(1, "jane.doe@example.com", offboard.CaseCompleted))
	})
	// What an older offboard wrote: no personal record.
	if err := db.Bolt().Update(func(btx *bolt.Tx) error { return btx.Bucket([]byte("personal")).Delete([]byte("OFF-0001")) }); err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx offboard.Tx) error {
		return tx.AppendAudit(&offboard.AuditEvent{Time: t0, Actor: offboard.System("test"), Action: "case.opened", CaseID: "OFF-0001", Target: "jane.doe@example.com", Outcome: offboard.OutcomeOK})
	})
	update(t, db, func(tx offboard.Tx) error {
		keyed, err := tx.PersonalKeyed("OFF-0001")
		if err != nil || keyed {
			t.Errorf("PersonalKeyed = %v, %v", keyed, err)
		}
		_, err = tx.ErasePersonal("OFF-0001", t0)
		wantCode(t, err, offboard.EINVALID)
		if err == nil || !strings.Contains(err.Error(), "opened before") {
			t.Errorf("refusal = %v", err)
		}
		return nil
	})
	var target string
	_ = db.AuditEventsChained(context.Background(), offboard.AuditFilter{CaseID: "OFF-0001"}, func(e *offboard.AuditEvent) error { target = e.Target; return nil })
	if target != "jane.doe@example.com" {
		t.Fatalf("legacy event target = %q", target)
	}
}

// Compact swaps the file while other goroutines read and write; nothing
// written is lost and the chain still verifies.
func TestDB_Compact(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	for n := uint64(1); n <= 50; n++ {
		keyedCase(t, db, n, "p"+strings.Repeat("x", int(n%7))+"@example.com")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var appended int
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(ctx, func(tx offboard.Tx) error {
				return tx.AppendAudit(&offboard.AuditEvent{Time: t0, Actor: offboard.System("test"), Action: "tick", Outcome: offboard.OutcomeOK})
			})
			if err != nil {
				t.Error(err)
				return
			}
			appended++
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.Stats(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 3 {
		if _, err := db.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(50*2 + appended); st.AuditEvents != want {
		t.Fatalf("audit events = %d, want %d", st.AuditEvents, want)
	}
	if v, err := db.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	if _, err := os.Stat(db.Path() + ".compact"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
}

// TestDB_Backup_afterErasure: a backup is a copy of the file's pages, free
// ones included; one taken after an erasure that no compaction followed
// yet (serve's backup between its erasure and its compaction) holds
// nothing of the erased leaver, and the backup still checks.
func TestDB_Backup_afterErasure(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	id := keyedCase(t, db, 1, "jane.doe@example.com")
	keyedCase(t, db, 2, "bob.roe@example.com")
	update(t, db, func(tx offboard.Tx) error {
		_, err := tx.ErasePersonal(id, t0.Add(2190*24*time.Hour))
		return err
	})
	dir := t.TempDir()
	name, _, err := db.WriteBackup(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"jane", "482913"} {
		if i := bytes.Index(bytes.ToLower(raw), []byte(s)); i >= 0 {
			t.Errorf("the backup holds %q of the erased case: %q", s, raw[max(i-100, 0):min(i+60, len(raw))])
		}
	}
	if !bytes.Contains(raw, []byte("bob.roe@example.com")) {
		t.Error("the backup lost Bob")
	}
	if _, err := store.CheckBackup(ctx, name); err != nil {
		t.Fatalf("check of the backup: %v", err)
	}
	// Nothing erased since: the next backup copies at once.
	before, _ := os.Stat(db.Path())
	if _, _, err := db.WriteBackup(ctx, dir, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(db.Path()); !os.SameFile(before, after) {
		t.Error("a backup with no erasure since the last compaction compacted the store again")
	}
}

// TestTx_AppendAudit_accountNames: an Entra user principal name or an
// Okta login that is not the work email, in a vendor's evidence, is
// tokenised in that event and every later one, read back as written,
// and erased with the name and email.
func TestTx_AppendAudit_accountNames(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	id := keyedCase(t, db, 1, "jane.doe@example.com")
	update(t, db, func(tx offboard.Tx) error {
		for _, ev := range []*offboard.AuditEvent{
			{Time: t0, Actor: offboard.System("runner"), Action: "task.done", CaseID: id, Target: "entra_suspend", Outcome: offboard.OutcomeOK,
				Detail: "suspended", Evidence: map[string]string{"user_principal_name": "JDoe7@corp.onmicrosoft.example", "login": "jdoe7x", "user_id": "9f1c"}},
			{Time: t0, Actor: offboard.System("runner"), Action: "task.failed", CaseID: id, Target: "okta_deactivate", Outcome: offboard.OutcomeFailed,
				Detail: "Okta: no user jdoe7x; Graph: jdoe7@corp.onmicrosoft.example not found"},
		} {
			if err := tx.AppendAudit(ev); err != nil {
				return err
			}
		}
		return nil
	})
	var chained, revealed strings.Builder
	if err := db.AuditEventsChained(ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		chained.WriteString(e.Detail + " " + strings.Join(slices.Sorted(maps.Values(e.Evidence)), " ") + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := strings.ToLower(chained.String()); strings.Contains(s, "jdoe7") || !strings.Contains(s, "9f1c") {
		t.Fatalf("the chain holds the account names, or lost the user id:\n%s", chained.String())
	}
	if err := db.AuditEvents(ctx, offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		revealed.WriteString(e.Detail + " " + e.Evidence["user_principal_name"] + "\n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if s := revealed.String(); !strings.Contains(s, "JDoe7@corp.onmicrosoft.example") || !strings.Contains(s, "no user jdoe7x") {
		t.Fatalf("read back:\n%s", s)
	}
	update(t, db, func(tx offboard.Tx) error {
		_, err := tx.ErasePersonal(id, t0.Add(2190*24*time.Hour))
		return err
	})
	if _, err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(bytes.ToLower(raw), []byte("jdoe7")); i >= 0 {
		t.Errorf("the erased store still holds an account name: %q", raw[max(i-100, 0):min(i+60, len(raw))])
	}
	if v, err := db.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("verify = %+v, %v", v, err)
	}
}

// TestDB_NeedsCompaction: an erasure marks the file until a compaction,
// across a restart (a crash between the erasure and its compaction), so
// a backup then compacts first and holds nothing of the leaver.
func TestDB_NeedsCompaction(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	id := keyedCase(t, db, 1, "jane.doe@example.com")
	if need, err := db.NeedsCompaction(ctx); err != nil || need {
		t.Fatalf("before any erasure: %v, %v", need, err)
	}
	update(t, db, func(tx offboard.Tx) error {
		_, err := tx.ErasePersonal(id, t0.Add(2190*24*time.Hour))
		return err
	})
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if need, err := db.NeedsCompaction(ctx); err != nil || !need {
		t.Fatalf("after an erasure and a restart: %v, %v", need, err)
	}
	name, _, err := db.WriteBackup(ctx, t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(bytes.ToLower(raw), []byte("482913")); i >= 0 {
		t.Errorf("the backup holds the erased case's secret: %q", raw[max(i-100, 0):min(i+60, len(raw))])
	}
	if need, err := db.NeedsCompaction(ctx); err != nil || need {
		t.Fatalf("after the backup's compaction: %v, %v", need, err)
	}
	if v, err := db.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("verify = %+v, %v", v, err)
	}
}
