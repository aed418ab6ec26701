package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

// auditEvent is the i-th event of a test chain: it varies the case, the
// evidence and characters JSON escapes.
func auditEvent(i int) *offboard.AuditEvent {
	e := &offboard.AuditEvent{
		Time:    t0.Add(time.Duration(i) * time.Second).In(time.FixedZone("CET", 3600)),
		Actor:   offboard.Actor{Kind: offboard.ActorPerson, ID: "it@example.com", Platform: "slack", PlatformUserID: "U024BE7LH"},
		Action:  "task.done",
		CaseID:  offboard.FormatCaseID(uint64(i%3 + 1)),
		Target:  "okta_suspend",
		Outcome: offboard.OutcomeOK,
		Detail:  fmt.Sprintf("Suspended Okta user number %d <jane> & Jürgen", i),
	}
	if i%2 == 0 {
		e.Evidence = map[string]string{"okta.status": "SUSPENDED", "request_id": fmt.Sprintf("req-%d", i)}
	}
	if i%5 == 0 {
		e.CaseID = ""
		e.Actor = offboard.System("scheduler")
	}
	return e
}

// appendEvents appends events 1..n in transactions of up to 100 and
// returns the last event as the store left it.
func appendEvents(tb testing.TB, db *store.DB, n int) *offboard.AuditEvent {
	tb.Helper()
	var last *offboard.AuditEvent
	for start := 1; start <= n; start += 100 {
		update(tb, db, func(tx offboard.Tx) error {
			for i := start; i < start+100 && i <= n; i++ {
				e := auditEvent(i)
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
				last = e
			}
			return nil
		})
	}
	return last
}

func verify(tb testing.TB, db *store.DB) offboard.AuditVerifyResult {
	tb.Helper()
	res, err := db.VerifyAudit(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestDB_AppendAudit(t *testing.T) {
	t.Run("fills seq, links and hashes, and the caller sees it", func(t *testing.T) {
		db := openDB(t)
		var first, second *offboard.AuditEvent
		update(t, db, func(tx offboard.Tx) error {
			first, second = auditEvent(1), auditEvent(2)
			if err := tx.AppendAudit(first); err != nil {
				return err
			}
			return tx.AppendAudit(second)
		})
		if first.Seq != 1 || second.Seq != 2 {
			t.Errorf("seqs %d, %d; want 1, 2", first.Seq, second.Seq)
		}
		if first.PrevHash != "" || second.PrevHash != first.Hash || first.Hash == "" {
			t.Errorf("links: first prev %q hash %q, second prev %q", first.PrevHash, first.Hash, second.PrevHash)
		}
		if h, _ := second.ComputeHash(); h != second.Hash {
			t.Errorf("second.Hash %q, recomputed %q", second.Hash, h)
		}
		if first.Time.Location() != time.UTC || !first.Time.Equal(t0.Add(time.Second)) {
			t.Errorf("time %v; want the same instant in UTC", first.Time)
		}
		update(t, db, func(tx offboard.Tx) error {
			third := auditEvent(3)
			err := tx.AppendAudit(third)
			if third.Seq != 3 || third.PrevHash != second.Hash {
				t.Errorf("next tx: seq %d prev %q; want 3 linked to event 2", third.Seq, third.PrevHash)
			}
			return err
		})
		if res := verify(t, db); !res.OK || res.Events != 3 {
			t.Errorf("VerifyAudit = %+v", res)
		}
	})

	t.Run("invalid UTF-8 is normalized so the chain verifies", func(t *testing.T) {
		db := openDB(t)
		e := &offboard.AuditEvent{Time: t0, Action: "command.refused", Outcome: offboard.OutcomeRefused, Detail: "bad \xff byte", Evidence: map[string]string{"k\xfe": "v"}}
		update(t, db, func(tx offboard.Tx) error { return tx.AppendAudit(e) })
		if e.Detail != "bad \uFFFD byte" {
			t.Errorf("Detail = %q, want the invalid byte replaced", e.Detail)
		}
		if res := verify(t, db); !res.OK {
			t.Errorf("VerifyAudit = %+v", res)
		}
	})

	t.Run("text that only looks like an escape, control characters and HTML", func(t *testing.T) {
		db := openDB(t)
		details := []string{`typed \ufffd by a person`, "nul \x00 and \u2028 line sep", "<script>&amp;</script>", "real \uFFFD rune", ""}
		update(t, db, func(tx offboard.Tx) error {
			for _, d := range details {
				e := &offboard.AuditEvent{Time: t0, Action: "x", Outcome: offboard.OutcomeOK, Detail: d, Evidence: map[string]string{}}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
				if e.Detail != d {
					t.Errorf("valid text %q changed to %q", d, e.Detail)
				}
			}
			return nil
		})
		if res := verify(t, db); !res.OK || res.Events != uint64(len(details)) {
			t.Errorf("VerifyAudit = %+v", res)
		}
	})

	t.Run("failed append in a committed tx leaves no gap", func(t *testing.T) {
		db := openDB(t)
		update(t, db, func(tx offboard.Tx) error {
			bad := &offboard.AuditEvent{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Action: "x"}
			if err := tx.AppendAudit(bad); err == nil {
				t.Error("AppendAudit of a year-10000 time succeeded; JSON cannot encode it")
			}
			return tx.AppendAudit(auditEvent(1))
		})
		if res := verify(t, db); !res.OK || res.Events != 1 {
			t.Errorf("VerifyAudit = %+v; want OK with 1 event", res)
		}
	})
}

func TestDB_AuditEvents(t *testing.T) {
	db := openDB(t)
	appendEvents(t, db, 30)
	collect := func(f offboard.AuditFilter) []uint64 {
		t.Helper()
		var seqs []uint64
		err := db.AuditEvents(context.Background(), f, func(e *offboard.AuditEvent) error {
			seqs = append(seqs, e.Seq)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	if got := collect(offboard.AuditFilter{}); len(got) != 30 || got[0] != 1 || got[29] != 30 || !slices.IsSorted(got) {
		t.Errorf("all events = %v", got)
	}
	var want []uint64
	for i := 1; i <= 30; i++ {
		if e := auditEvent(i); e.CaseID == "OFF-0002" {
			want = append(want, uint64(i))
		}
	}
	if got := collect(offboard.AuditFilter{CaseID: "OFF-0002"}); !slices.Equal(got, want) {
		t.Errorf("case OFF-0002 = %v, want %v", got, want)
	}
	if got := collect(offboard.AuditFilter{Since: t0.Add(10 * time.Second), Until: t0.Add(13 * time.Second)}); !slices.Equal(got, []uint64{10, 11, 12}) {
		t.Errorf("since/until = %v, want [10 11 12]", got)
	}
	stop := fmt.Errorf("stop")
	n := 0
	err := db.AuditEvents(context.Background(), offboard.AuditFilter{}, func(*offboard.AuditEvent) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("fn error: AuditEvents = %v after %d calls; want stop after 1", err, n)
	}
}

// chainFile returns the bytes of a closed store holding events 1..n and
// the head hash. Subtests write their own copy.
func chainFile(tb testing.TB, n int) ([]byte, string) {
	tb.Helper()
	path := tempPath(tb)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	last := appendEvents(tb, db, n)
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b, last.Hash
}

// tamper copies the chain file, changes the stored value of event seq
// with bbolt directly (nil from change deletes it), reopens it with the
// store and verifies.
func tamper(t *testing.T, file []byte, seq uint64, change func(v []byte) []byte) offboard.AuditVerifyResult {
	t.Helper()
	path := tempPath(t)
	if err := writeFile(path, file); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, path, func(btx *bolt.Tx) error {
		b := btx.Bucket([]byte("audit"))
		key := binary.BigEndian.AppendUint64(nil, seq)
		v := b.Get(key)
		if v == nil {
			t.Fatalf("event %d is not stored", seq)
		}
		nv := change(bytes.Clone(v))
		if nv == nil {
			return b.Delete(key)
		}
		if bytes.Equal(nv, v) {
			t.Fatal("tamper changed nothing")
		}
		return b.Put(key, nv)
	})
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return verify(t, db)
}

func wantBroken(t *testing.T, res offboard.AuditVerifyResult, seq uint64, problem string) {
	t.Helper()
	if res.OK || res.BadSeq != seq || !strings.Contains(res.Problem, problem) {
		t.Errorf("VerifyAudit = %+v; want not OK, BadSeq %d, problem containing %q", res, seq, problem)
	}
}

func TestDB_VerifyAudit(t *testing.T) {
	file, head := chainFile(t, 1000)

	t.Run("intact chain", func(t *testing.T) {
		path := tempPath(t)
		if err := writeFile(path, file); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res := verify(t, db)
		if !res.OK || res.Events != 1000 || res.HeadHash != head || res.BadSeq != 0 || res.Problem != "" {
			t.Errorf("VerifyAudit = %+v; want OK, 1000 events, head %s", res, head)
		}
	})

	t.Run("one letter of the detail flipped", func(t *testing.T) {
		res := tamper(t, file, 500, func(v []byte) []byte {
			i := bytes.Index(v, []byte(`"detail":"Suspended`))
			if i < 0 {
				t.Fatalf("no detail in %s", v)
			}
			i += len(`"detail":"`) + 1 // the 'u' of Suspended
			v[i] ^= 0x20               // 'u' -> 'U': still valid JSON
			return v
		})
		wantBroken(t, res, 500, "event 500 was altered: hash mismatch")
	})

	t.Run("a byte that breaks the JSON", func(t *testing.T) {
		res := tamper(t, file, 500, func(v []byte) []byte {
			i := bytes.Index(v, []byte(`"outcome":`))
			v[i+len(`"outcome"`)] = ';'
			return v
		})
		wantBroken(t, res, 500, "event 500 does not decode")
	})

	t.Run("a field name's case changed, which JSON decoding forgives", func(t *testing.T) {
		res := tamper(t, file, 500, func(v []byte) []byte {
			i := bytes.Index(v, []byte(`"detail":`))
			v[i+1] = 'D'
			return v
		})
		wantBroken(t, res, 500, "event 500 was altered")
	})

	t.Run("event 500 deleted", func(t *testing.T) {
		res := tamper(t, file, 500, func([]byte) []byte { return nil })
		wantBroken(t, res, 500, "event 500 is missing")
	})

	t.Run("last event deleted, head left", func(t *testing.T) {
		res := tamper(t, file, 1000, func([]byte) []byte { return nil })
		wantBroken(t, res, 1000, "the chain head does not match: events were removed from the end")
		if res.Events != 999 {
			t.Errorf("Events = %d, want 999 verified", res.Events)
		}
	})

	t.Run("recorded head altered", func(t *testing.T) {
		path := tempPath(t)
		if err := writeFile(path, file); err != nil {
			t.Fatal(err)
		}
		writeRaw(t, path, func(btx *bolt.Tx) error {
			return btx.Bucket([]byte("meta")).Put([]byte("audit_head"), []byte(strings.Repeat("0", 64)))
		})
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wantBroken(t, verify(t, db), 1001, "the chain head does not match")
	})

	t.Run("appending after a verified chain keeps it valid", func(t *testing.T) {
		path := tempPath(t)
		if err := writeFile(path, file); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var e *offboard.AuditEvent
		update(t, db, func(tx offboard.Tx) error {
			e = auditEvent(1001)
			return tx.AppendAudit(e)
		})
		if e.Seq != 1001 || e.PrevHash != head {
			t.Errorf("event after reopen: seq %d prev %q; want 1001 linked to %s", e.Seq, e.PrevHash, head)
		}
		if res := verify(t, db); !res.OK || res.Events != 1001 || res.HeadHash != e.Hash {
			t.Errorf("VerifyAudit = %+v", res)
		}
	})
}

// TestDB_VerifyAudit_everyByte changes each byte of one stored event, one
// at a time, in several ways, and checks that every change is reported
// against that event.
func TestDB_VerifyAudit_everyByte(t *testing.T) {
	db := openDB(t)
	appendEvents(t, db, 9)
	bdb := db.Bolt()
	// Thousands of tiny commits follow; durability is not under test.
	bdb.NoSync = true
	// Event 6 has evidence and characters JSON escapes.
	key := binary.BigEndian.AppendUint64(nil, 6)
	var orig []byte
	if err := bdb.View(func(btx *bolt.Tx) error {
		orig = bytes.Clone(btx.Bucket([]byte("audit")).Get(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(orig, []byte(`\u003c`)) || !bytes.Contains(orig, []byte(`"evidence"`)) {
		t.Fatalf("event 6 lacks the escapes and evidence this test wants: %s", orig)
	}
	put := func(v []byte) {
		if err := bdb.Update(func(btx *bolt.Tx) error { return btx.Bucket([]byte("audit")).Put(key, v) }); err != nil {
			t.Fatal(err)
		}
	}
	changes := 0
	for i := range orig {
		for _, b := range []byte{orig[i] ^ 0x20, orig[i] ^ 0x01, orig[i] + 1, '"', ' ', '0'} {
			if b == orig[i] {
				continue
			}
			v := bytes.Clone(orig)
			v[i] = b
			put(v)
			res := verify(t, db)
			if res.OK || res.BadSeq != 6 {
				t.Errorf("byte %d %q -> %q: VerifyAudit = %+v; want event 6 reported", i, orig[i], b, res)
			}
			changes++
		}
	}
	put(orig)
	if res := verify(t, db); !res.OK {
		t.Fatalf("restored chain: %+v", res)
	}
	t.Logf("%d single-byte changes over %d bytes, all reported", changes, len(orig))
}

// TestDB_AuditEvents_batches checks that fn runs outside any read
// transaction, across more events than one batch, for the whole log and
// for one case: a slow export client must not hold bbolt pages.
func TestDB_AuditEvents_batches(t *testing.T) {
	db := openDB(t)
	const n = 2500
	appendEvents(t, db, n)
	for _, f := range []offboard.AuditFilter{{}, {CaseID: "OFF-0002"}} {
		var seqs []uint64
		err := db.AuditEvents(context.Background(), f, func(e *offboard.AuditEvent) error {
			if open := db.Bolt().Stats().OpenTxN; open != 0 {
				return fmt.Errorf("event %d: %d read transactions open while fn runs", e.Seq, open)
			}
			seqs = append(seqs, e.Seq)
			return nil
		})
		if err != nil {
			t.Fatalf("filter %+v: %v", f, err)
		}
		var want []uint64
		for i := 1; i <= n; i++ {
			if f.CaseID == "" || auditEvent(i).CaseID == f.CaseID {
				want = append(want, uint64(i))
			}
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("filter %+v: got %d events (first %v), want %d", f, len(seqs), seqs[:min(3, len(seqs))], len(want))
		}
	}
}
