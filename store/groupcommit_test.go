package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/offboard-dev/offboard"
)

// Concurrent Updates share commits; each caller still gets its own
// outcome, and a failing one rolls back only its own writes.
func TestDB_Update_GroupCommit(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx offboard.Tx) error {
				id, err := tx.NextCaseID()
				if err != nil {
					return err
				}
				c := &offboard.Case{ID: id, Employee: offboard.Employee{Email: fmt.Sprintf("w%d@example.com", i)}, Status: offboard.CaseOpen, CreatedAt: t0}
				if err := tx.PutCase(c); err != nil {
					return err
				}
				if err := tx.AppendAudit(&offboard.AuditEvent{Time: t0, Action: "test", CaseID: id, Outcome: offboard.OutcomeOK}); err != nil {
					return err
				}
				if i%8 == 0 {
					return offboard.Errorf(offboard.EFORBIDDEN, "writer %d refused", i)
				}
				return nil
			})
		})
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		switch {
		case i%8 == 0 && offboard.ErrorCode(err) != offboard.EFORBIDDEN:
			t.Errorf("writer %d: err %v, want its own refusal", i, err)
		case i%8 == 0:
			failed++
		case err != nil:
			t.Errorf("writer %d: %v", i, err)
		}
	}
	var open []offboard.CaseID
	if err := db.View(ctx, func(tx offboard.Tx) error {
		var err error
		open, err = tx.CaseIDsByStatus(offboard.CaseOpen)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(open) != writers-failed {
		t.Fatalf("%d cases stored, want %d (refused writers must leave nothing)", len(open), writers-failed)
	}
	for _, id := range open {
		var c *offboard.Case
		db.View(ctx, func(tx offboard.Tx) error { c, _ = tx.Case(id); return nil })
		var n int
		fmt.Sscanf(c.Employee.Email, "w%d@", &n)
		if n%8 == 0 {
			t.Fatalf("case of refused writer %d was stored", n)
		}
	}
	res, err := db.VerifyAudit(ctx)
	if err != nil || !res.OK || res.Events != uint64(writers-failed) {
		t.Fatalf("audit after group commits: %+v %v; want %d events", res, err, writers-failed)
	}
}
