package store_test

import (
	"context"
	"testing"
)

func TestDB_AuditHead(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if seq, head, err := db.AuditHead(ctx); err != nil || seq != 0 || head != "" {
		t.Fatalf("empty chain: %d %q %v", seq, head, err)
	}
	last := appendEvents(t, db, 250)
	seq, head, err := db.AuditHead(ctx)
	if err != nil || seq != 250 || head != last.Hash {
		t.Fatalf("head = %d %q %v; want 250 %q", seq, head, err, last.Hash)
	}
	if res := verify(t, db); res.HeadHash != head {
		t.Fatalf("AuditHead %q disagrees with VerifyAudit's head %q", head, res.HeadHash)
	}
}

func TestDB_AuditHashes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	last := appendEvents(t, db, 120)
	got, err := db.AuditHashes(ctx, []uint64{120, 1, 121, 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[120] != last.Hash || got[1] == "" {
		t.Fatalf("hashes = %v; want events 1 and 120 only, 120 = %s", got, last.Hash)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.AuditHashes(cctx, []uint64{1}); err == nil {
		t.Error("a cancelled context was ignored")
	}
}
