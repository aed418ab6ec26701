package store_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
)

// cancelAfter is a context whose Err turns Canceled after its first n
// calls: a shutdown that comes in the middle of a long check.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestDB_CheckPages_StopsWhenCancelled: the background check of a large
// file ends at a shutdown in the middle of its walk, instead of holding
// its read transaction (and Close) until it has read the whole file.
func TestDB_CheckPages_StopsWhenCancelled(t *testing.T) {
	db := openDB(t)
	detail := strings.Repeat("x", 4000)
	update(t, db, func(tx offboard.Tx) error {
		for range 50 { // a tree of many pages
			if err := tx.AppendAudit(&offboard.AuditEvent{Time: time.Now(), Actor: offboard.System("test"), Action: "test.filler", Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := db.CheckPages(context.Background()); err != nil {
		t.Fatalf("check of a sound file: %v", err)
	}
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(1) // CheckPages' own check passes; the walk's first fails
	if err := db.CheckPages(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("check cancelled mid-walk = %v, want context.Canceled", err)
	}
}
