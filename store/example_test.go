package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// exampleDir is a scratch directory for one example's store file.
func exampleDir() (dir string, cleanup func()) {
	dir, err := os.MkdirTemp("", "offboard-store-example")
	if err != nil {
		panic(err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }
}

// openCase writes a case and its audit event in one transaction, the way
// the engine does: the store numbers the case and chains the event.
func openCase(ctx context.Context, db *store.DB, email string, at time.Time) (offboard.CaseID, error) {
	var id offboard.CaseID
	err := db.Update(ctx, func(tx offboard.Tx) error {
		var err error
		if id, err = tx.NextCaseID(); err != nil {
			return err
		}
		c := &offboard.Case{ID: id, Employee: offboard.Employee{Email: email}, Kind: offboard.Involuntary,
			Status: offboard.CaseOpen, NoticeAt: at, CreatedAt: at, Source: "example"}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		return tx.AppendAudit(&offboard.AuditEvent{Time: at, Actor: offboard.System("example"),
			Action: "case.opened", CaseID: id, Outcome: offboard.OutcomeOK, Detail: email})
	})
	return id, err
}

// A store is one file. Each Update is one transaction: a case and the
// audit event saying who opened it are written together or not at all.
// The audit events form a hash chain that VerifyAudit recomputes.
func Example() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()

	db, err := store.Open(filepath.Join(dir, "offboard.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, email := range []string{"jane@example.com", "sam@example.com"} {
		id, err := openCase(ctx, db, email, at)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("opened", id)
	}

	err = db.View(ctx, func(tx offboard.Tx) error {
		ids, err := tx.CaseIDsByEmail("jane@example.com")
		fmt.Println("jane's cases:", ids)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	var prev string
	err = db.AuditEvents(ctx, offboard.AuditFilter{}, func(e *offboard.AuditEvent) error {
		fmt.Println(e.Seq, e.Action, e.CaseID, "links to the previous hash:", e.PrevHash == prev)
		prev = e.Hash
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	res, err := db.VerifyAudit(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chain OK:", res.OK, "events:", res.Events, "head is the last hash:", res.HeadHash == prev)
	// Output:
	// opened OFF-0001
	// opened OFF-0002
	// jane's cases: [OFF-0001]
	// 1 case.opened OFF-0001 links to the previous hash: true
	// 2 case.opened OFF-0002 links to the previous hash: true
	// chain OK: true events: 2 head is the last hash: true
}

// VerifyAudit finds an event changed in the file behind the store's back
// and names the first one that no longer matches its hash.
func ExampleDB_VerifyAudit() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "offboard.db")

	db, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, email := range []string{"jane@example.com", "sam@example.com", "lee@example.com"} {
		if _, err := openCase(ctx, db, email, at); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := db.Close(); err != nil {
		fmt.Println(err)
		return
	}

	// Someone with write access to the file changes what happened. (The
	// event holds no email to change: personal data is tokenised.)
	err = storetest.TamperAudit(path, 2, func(v []byte) ([]byte, error) {
		return bytes.Replace(v, []byte("case.opened"), []byte("case.skipped"), 1), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	db, err = store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	res, err := db.VerifyAudit(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chain OK:", res.OK, "first bad event:", res.BadSeq, "verified before it:", res.Events)
	// Output:
	// chain OK: false first bad event: 2 verified before it: 1
}

// With a case id, AuditEvents reads only that case's events, through the
// per-case index.
func ExampleDB_AuditEvents() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()

	db, err := store.Open(filepath.Join(dir, "offboard.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, email := range []string{"jane@example.com", "sam@example.com"} {
		if _, err := openCase(ctx, db, email, at); err != nil {
			fmt.Println(err)
			return
		}
	}
	err = db.AuditEvents(ctx, offboard.AuditFilter{CaseID: "OFF-0002"}, func(e *offboard.AuditEvent) error {
		fmt.Println(e.Seq, e.Action, e.CaseID, e.Detail)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2 case.opened OFF-0002 sam@example.com
}
