// Package storetest writes large case histories for benchmarks: opening
// 100,000 cases one engine command at a time would take minutes, so they
// are copied from a real case straight through the store, in large
// transactions. TamperAudit breaks the audit chain on disk for tests of
// verification. It is for tests only and imports the domain and bbolt.
package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/offboard-dev/offboard"
)

// History describes closed cases to write.
type History struct {
	// Template is a real case, with its tasks, that every case copies.
	Template *offboard.Case
	Tasks    []*offboard.Task
	// N cases are opened First, First+Step, …, as the engine numbers them
	// (older cases get lower numbers).
	N     int
	First time.Time
	Step  time.Duration
	// Shape, when set, changes case i (0-based) before it is written:
	// its status, manager, revocation time.
	Shape func(i int, c *offboard.Case)
}

// Write stores the history: completed cases, revoked an hour or so after
// opening, named "Person i" <personi@example.com>, all tasks done, each
// with its summary.
func Write(ctx context.Context, db offboard.Store, h History) error {
	const batch = 5000
	for from := 0; from < h.N; from += batch {
		err := db.Update(ctx, func(tx offboard.Tx) error {
			for i := from; i < min(from+batch, h.N); i++ {
				id, err := tx.NextCaseID()
				if err != nil {
					return err
				}
				c := *h.Template
				at := h.First.Add(time.Duration(i) * h.Step)
				revoked := at.Add(time.Duration(1+i%120) * time.Minute)
				c.ID, c.Status, c.CreatedAt, c.NoticeAt, c.RevokedAt, c.ClosedAt = id, offboard.CaseCompleted, at, at, &revoked, &revoked
				c.Employee.Name, c.Employee.Email = fmt.Sprintf("Person %d", i), fmt.Sprintf("person%d@example.com", i)
				c.Summary = &offboard.CaseSummary{Tasks: len(h.Tasks), Settled: len(h.Tasks)}
				if h.Shape != nil {
					h.Shape(i, &c)
				}
				if err := tx.PutCase(&c); err != nil {
					return err
				}
				for _, t := range h.Tasks {
					tc := *t
					tc.CaseID, tc.Status, tc.RunAt, tc.Due = id, offboard.TaskDone, nil, nil
					if err := tx.PutTask(&tc); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
