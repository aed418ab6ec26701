package etcdstore_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store/etcdstore"
)

// TestStore_VerifyAudit_tampered: someone with write access to the
// prefix edits, deletes, truncates or forges audit events behind the
// store's back; VerifyAudit names the event. A whole re-chain with the
// head rewritten verifies on its own (the hashes are not keyed): only a
// signed checkpoint, whose hash AuditHashes then contradicts, shows it.
func TestStore_VerifyAudit_tampered(t *testing.T) {
	cli := startEtcd(t)
	ctx := context.Background()
	n := 0
	// fresh returns a store holding five events, and its prefix.
	fresh := func(t *testing.T) (*etcdstore.Store, string) {
		n++
		prefix := fmt.Sprintf("tamper%d/", n)
		s := newStore(t, cli, prefix)
		for i := range 5 {
			ev := offboard.AuditEvent{Time: time.Unix(1_800_000_000+int64(i), 0).UTC(), Actor: offboard.System("test"),
				Action: "note.added", CaseID: "OFF-0001", Outcome: "ok", Detail: fmt.Sprintf("note %d", i+1)}
			if err := s.AuditLog(nil).Append(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		return s, prefix
	}
	key := func(prefix string, seq uint64) string {
		return prefix + "audit/" + string(binary.BigEndian.AppendUint64(nil, seq))
	}
	read := func(t *testing.T, prefix string, seq uint64) offboard.AuditEvent {
		resp, err := cli.Get(ctx, key(prefix, seq))
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("read event %d: %v", seq, err)
		}
		var ev offboard.AuditEvent
		if err := json.Unmarshal(resp.Kvs[0].Value, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	write := func(t *testing.T, prefix string, ev offboard.AuditEvent) {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Put(ctx, key(prefix, ev.Seq), string(raw)); err != nil {
			t.Fatal(err)
		}
	}
	setHead := func(t *testing.T, prefix string, seq uint64, hash string) {
		if _, err := cli.Put(ctx, prefix+"meta/audit_head", fmt.Sprintf(`{"seq":%d,"hash":%q}`, seq, hash)); err != nil {
			t.Fatal(err)
		}
	}
	rehash := func(t *testing.T, ev *offboard.AuditEvent) {
		h, err := ev.ComputeHash()
		if err != nil {
			t.Fatal(err)
		}
		ev.Hash = h
	}

	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, prefix string)
		badSeq  uint64
		problem string
	}{
		{"edited", func(t *testing.T, p string) {
			ev := read(t, p, 3)
			ev.Detail = "nothing to see"
			write(t, p, ev)
		}, 3, "hash mismatch"},
		{"edited and rehashed", func(t *testing.T, p string) {
			ev := read(t, p, 3)
			ev.Detail = "nothing to see"
			rehash(t, &ev)
			write(t, p, ev)
		}, 4, "prev_hash does not match"},
		{"deleted", func(t *testing.T, p string) {
			if _, err := cli.Delete(ctx, key(p, 2)); err != nil {
				t.Fatal(err)
			}
		}, 2, "event 2 is missing"},
		{"tail cut", func(t *testing.T, p string) {
			if _, err := cli.Delete(ctx, key(p, 4), clientv3.WithRange(p+"audit0")); err != nil {
				t.Fatal(err)
			}
		}, 4, "removed from the end"},
		{"forged after the head", func(t *testing.T, p string) {
			last := read(t, p, 5)
			ev := offboard.AuditEvent{Seq: 6, Time: last.Time.Add(time.Second), Actor: offboard.System("test"), Action: "case.closed",
				CaseID: "OFF-0001", Outcome: "ok", PrevHash: last.Hash}
			rehash(t, &ev)
			write(t, p, ev)
		}, 6, "recorded head (event 5) is behind"},
		{"forged with a made-up hash", func(t *testing.T, p string) {
			last := read(t, p, 5)
			ev := offboard.AuditEvent{Seq: 6, Time: last.Time, Actor: offboard.System("test"), Action: "case.closed",
				Outcome: "ok", PrevHash: last.Hash, Hash: strings.Repeat("0", 64)}
			write(t, p, ev)
			setHead(t, p, 6, ev.Hash)
		}, 6, "hash mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, prefix := fresh(t)
			tc.tamper(t, prefix)
			res, err := s.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.BadSeq != tc.badSeq || !strings.Contains(res.Problem, tc.problem) {
				t.Errorf("VerifyAudit = %+v; want event %d: %q", res, tc.badSeq, tc.problem)
			}
		})
	}

	t.Run("re-chained with the head rewritten", func(t *testing.T) {
		s, prefix := fresh(t)
		signed, err := s.AuditHashes(ctx, []uint64{5})
		if err != nil {
			t.Fatal(err)
		}
		prev := read(t, prefix, 2).Hash
		for seq := uint64(3); seq <= 5; seq++ {
			ev := read(t, prefix, seq)
			if seq == 3 {
				ev.Detail = "nothing to see"
			}
			ev.PrevHash = prev
			rehash(t, &ev)
			write(t, prefix, ev)
			prev = ev.Hash
		}
		setHead(t, prefix, 5, prev)
		res, err := s.VerifyAudit(ctx)
		if err != nil || !res.OK {
			t.Fatalf("a consistent re-chain: %+v, %v (verify alone cannot tell it)", res, err)
		}
		now, err := s.AuditHashes(ctx, []uint64{5})
		if err != nil || now[5] == signed[5] {
			t.Errorf("AuditHashes after the re-chain = %v, %v; want a hash other than the signed %s", now, err, signed[5])
		}
	})
}
