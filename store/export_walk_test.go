package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// TestDB_Export: the walk yields every bucket's keys with their bytes,
// then the counters, from a store opened read-only; an error from the
// callback stops it.
func TestDB_Export(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.Update(ctx, func(tx offboard.Tx) error {
		id, err := tx.NextCaseID()
		if err != nil {
			return err
		}
		if err := tx.PutCase(storetest.NewCase(id, "dana@example.com")); err != nil {
			return err
		}
		return tx.AppendAudit(&offboard.AuditEvent{Time: time.Now(), CaseID: id, Action: "case.opened", Actor: offboard.System("hr")})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()

	kinds := map[string]int{}
	seqs := map[string]string{}
	var sawSeq bool
	err = ro.Export(ctx, func(r store.ExportRecord) error {
		if r.Kind == store.ExportSequence {
			seqs[string(r.Key)] = string(r.Value)
			sawSeq = true
			return nil
		}
		if sawSeq {
			t.Errorf("%s record after the counters", r.Kind)
		}
		kinds[r.Kind]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"meta", "cases", "audit", "audit_by_case", "idx_email", "idx_status", "personal"} {
		if kinds[k] == 0 {
			t.Errorf("no %s records exported (got %v)", k, kinds)
		}
	}
	if seqs["cases"] != "1" || seqs["audit"] != "1" {
		t.Errorf("counters %v; want cases and audit at 1", seqs)
	}

	stop := errors.New("stop")
	n := 0
	if err := ro.Export(ctx, func(store.ExportRecord) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("a failing callback: %v after %d records", err, n)
	}
}
