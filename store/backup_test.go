package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// storeWithCases opens a store at path holding cases 1..n and 5 audit
// events.
func storeWithCases(t *testing.T, path string, n int) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for i := 1; i <= n; i++ {
		putCase(t, db, "p"+strings.Repeat("x", i)+"@example.com")
	}
	appendEvents(t, db, 5)
	return db
}

// putCase opens the next case for email.
func putCase(t *testing.T, db *store.DB, email string) {
	t.Helper()
	update(t, db, func(tx offboard.Tx) error {
		id, err := tx.NextCaseID()
		if err != nil {
			return err
		}
		c := newCase(1, email, offboard.CaseOpen)
		c.ID = id
		return tx.PutCase(c)
	})
}

func TestDB_WriteBackup(t *testing.T) {
	ctx := context.Background()
	db := storeWithCases(t, tempPath(t), 3)
	dir := filepath.Join(t.TempDir(), "backups")
	at := time.Date(2026, 12, 6, 21, 30, 5, 0, time.FixedZone("CET", 3600))
	path, size, err := db.WriteBackup(ctx, dir, at)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "offboard-20261206T203005Z.db" {
		t.Errorf("backup named %s, want offboard-20261206T203005Z.db (UTC)", filepath.Base(path))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != size || info.Mode().Perm() != 0o600 {
		t.Errorf("backup is %d bytes, mode %v; want %d bytes, 0600", info.Size(), info.Mode().Perm(), size)
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("backup dir mode %v, want 0700", d.Mode().Perm())
	}
	c, err := store.CheckBackup(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := verify(t, db)
	if c.Cases != 3 || c.AuditEvents != 5 || c.ChainHead != want.HeadHash || c.SizeBytes != size {
		t.Errorf("check = %+v, want 3 cases, 5 events, head %s, %d bytes", c, want.HeadHash, size)
	}
	// A second backup in the same second gets a name of its own, and
	// lists as the newer one.
	second, _, err := db.WriteBackup(ctx, dir, at)
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.ListBackups(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Base(second), filepath.Base(path)}; !slices.Equal(names, want) || second == path {
		t.Errorf("backups %v, want %v", names, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d files, want only the 2 backups (no temporary file)", len(entries))
	}
}

func TestCheckBackup_refusesDamage(t *testing.T) {
	ctx := context.Background()
	db := storeWithCases(t, tempPath(t), 2)
	dir := t.TempDir()
	path, _, err := db.WriteBackup(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a rewritten audit event", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		if err := writeFile(copyPath, raw); err != nil {
			t.Fatal(err)
		}
		if err := storetest.TamperAudit(copyPath, 3, func(v []byte) ([]byte, error) {
			return []byte(strings.Replace(string(v), "Suspended", "Restored", 1)), nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err := store.CheckBackup(ctx, copyPath)
		if err == nil || !strings.Contains(err.Error(), "audit chain broken at event 3") {
			t.Errorf("CheckBackup of a tampered chain = %v, want broken at event 3", err)
		}
	})
	t.Run("a truncated file", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		if err := writeFile(copyPath, raw[:len(raw)/2]); err != nil {
			t.Fatal(err)
		}
		_, err := store.CheckBackup(ctx, copyPath)
		if _, ok := errors.AsType[*store.CorruptError](err); !ok {
			t.Errorf("CheckBackup of a truncated file = %v, want a *CorruptError", err)
		}
	})
	t.Run("not a store", func(t *testing.T) {
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		if err := writeFile(copyPath, []byte(strings.Repeat("not a database ", 1000))); err != nil {
			t.Fatal(err)
		}
		if _, err := store.CheckBackup(ctx, copyPath); err == nil {
			t.Error("CheckBackup of a text file passed")
		}
	})
}

func TestPruneBackups(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"offboard-20261201T000000Z.db", "offboard-20261203T000000Z.db", "offboard-20261203T000000Z-2.db",
		"offboard-20261202T120000Z.db", "notes.txt", "offboard-garbage.db", ".offboard-backup-123.tmp",
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := store.PruneBackups(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".offboard-backup-123.tmp", "offboard-20261201T000000Z.db", "offboard-20261202T120000Z.db"}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"notes.txt", "offboard-20261203T000000Z-2.db", "offboard-20261203T000000Z.db", "offboard-garbage.db"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v (other files untouched)", left, want)
	}
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	db := storeWithCases(t, path, 2)
	backup, _, err := db.WriteBackup(ctx, t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	backedUp := verify(t, db)
	putCase(t, db, "late@example.com")

	// While the store is open, as under serve, restore refuses.
	_, err = store.Restore(ctx, backup, path, 200*time.Millisecond, t0)
	if _, ok := errors.AsType[*store.LockedError](err); !ok {
		t.Fatalf("Restore over an open store = %v, want a *LockedError", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := store.Restore(ctx, backup, path, time.Second, t0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored.Cases != 2 || res.Restored.ChainHead != backedUp.HeadHash {
		t.Errorf("restored %+v, want 2 cases and head %s", res.Restored, backedUp.HeadHash)
	}
	if want := path + ".before-restore-20260302T090000Z"; res.KeptAs != want {
		t.Errorf("kept the old store as %q, want %q", res.KeptAs, want)
	}
	caseIDs := func(p string) []offboard.CaseID {
		t.Helper()
		d, err := store.Open(p, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var ids []offboard.CaseID
		for n := uint64(1); n <= 3; n++ {
			_ = d.View(ctx, func(tx offboard.Tx) error {
				if _, err := tx.Case(offboard.FormatCaseID(n)); err == nil {
					ids = append(ids, offboard.FormatCaseID(n))
				}
				return nil
			})
		}
		return ids
	}
	if got := caseIDs(path); !slices.Equal(got, []offboard.CaseID{"OFF-0001", "OFF-0002"}) {
		t.Errorf("restored store holds %v, want OFF-0001 and OFF-0002 only", got)
	}
	if got := caseIDs(res.KeptAs); len(got) != 3 {
		t.Errorf("kept store holds %v, want all 3 cases", got)
	}
}

func TestRestore_refusesBadBackup(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	db := storeWithCases(t, path, 1)
	backup, _, err := db.WriteBackup(ctx, t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := storetest.TamperAudit(backup, 2, func(v []byte) ([]byte, error) {
		return []byte(strings.Replace(string(v), "Suspended", "Restored", 1)), nil
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	_, err = store.Restore(ctx, backup, path, time.Second, t0)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "broken at event 2") {
		t.Fatalf("Restore of a tampered backup = %v, want refused, nothing changed", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the store changed although the restore was refused")
	}
	if m, _ := filepath.Glob(path + ".before-restore-*"); len(m) != 0 {
		t.Errorf("a refused restore left %v", m)
	}
	if _, err := store.Restore(ctx, path, path, time.Second, t0); err == nil || !strings.Contains(err.Error(), "is the store itself") {
		t.Errorf("Restore of the store onto itself = %v, want refused", err)
	}
}

// The store file is gone (a lost volume): restore puts the backup in
// place and keeps nothing.
func TestRestore_missingStore(t *testing.T) {
	ctx := context.Background()
	db := storeWithCases(t, tempPath(t), 2)
	backup, _, err := db.WriteBackup(ctx, t.TempDir(), t0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "offboard.db")
	res, err := store.Restore(ctx, backup, path, time.Second, t0)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeptAs != "" || res.Restored.Cases != 2 {
		t.Errorf("restore into a missing store = %+v, want 2 cases and nothing kept", res)
	}
	c, err := store.CheckBackup(ctx, path)
	if err != nil || c.ChainHead != res.Restored.ChainHead {
		t.Errorf("the restored store checks %+v, %v; want head %s", c, err, res.Restored.ChainHead)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the store's dir holds %d files, want only the store (no temporary file)", len(entries))
	}
}
