package storetest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// The two attacks on the audit chain that the chain alone cannot detect,
// done as an attacker with write access to the closed store file would
// do them: with care to leave a chain and indexes that verify. Tests of
// the signed checkpoints (package anchor) need them.

// TruncateAudit removes every audit event after keep, with its per-case
// index entries, and rewrites the sequence counter and the recorded head
// to event keep's, so the shorter chain verifies.
func TruncateAudit(path string, keep uint64) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		audit, byCase, meta := tx.Bucket([]byte("audit")), tx.Bucket([]byte("audit_by_case")), tx.Bucket([]byte("meta"))
		if audit == nil || byCase == nil || meta == nil {
			return errors.New("missing audit buckets")
		}
		last := audit.Get(seqKey(keep))
		if last == nil {
			return fmt.Errorf("no audit event %d", keep)
		}
		var e offboard.AuditEvent
		if err := json.Unmarshal(last, &e); err != nil {
			return err
		}
		if err := deleteWhere(audit, func(k []byte) bool { return binary.BigEndian.Uint64(k) > keep }); err != nil {
			return err
		}
		if err := deleteWhere(byCase, func(k []byte) bool { return binary.BigEndian.Uint64(k[len(k)-8:]) > keep }); err != nil {
			return err
		}
		if err := audit.SetSequence(keep); err != nil {
			return err
		}
		return meta.Put([]byte("audit_head"), []byte(e.Hash))
	})
}

// RechainAudit changes audit event seq with edit (which must leave its
// case id alone), then recomputes the hash of it and of every event after
// it, and the recorded head: a rewritten history that verifies.
func RechainAudit(path string, seq uint64, edit func(*offboard.AuditEvent)) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		audit, meta := tx.Bucket([]byte("audit")), tx.Bucket([]byte("meta"))
		if audit == nil || meta == nil {
			return errors.New("missing audit buckets")
		}
		prev := ""
		if seq > 1 {
			var before offboard.AuditEvent
			if err := json.Unmarshal(audit.Get(seqKey(seq-1)), &before); err != nil {
				return fmt.Errorf("audit event %d: %w", seq-1, err)
			}
			prev = before.Hash
		}
		type rewrite struct {
			key, val []byte
		}
		var out []rewrite
		c := audit.Cursor()
		for k, v := c.Seek(seqKey(seq)); k != nil; k, v = c.Next() {
			var e offboard.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if e.Seq == seq {
				edit(&e)
			}
			e.PrevHash = prev
			h, err := e.ComputeHash()
			if err != nil {
				return err
			}
			e.Hash = h
			raw, err := json.Marshal(e)
			if err != nil {
				return err
			}
			out = append(out, rewrite{append([]byte(nil), k...), raw})
			prev = h
		}
		if len(out) == 0 {
			return fmt.Errorf("no audit event %d", seq)
		}
		for _, r := range out {
			if err := audit.Put(r.key, r.val); err != nil {
				return err
			}
		}
		return meta.Put([]byte("audit_head"), []byte(prev))
	})
}

// EditAuditEvent changes audit event seq with edit and stores it as it
// is, without re-chaining: the careless tampering the chain itself
// detects (tools that must refuse a broken chain test with it).
func EditAuditEvent(path string, seq uint64, edit func(*offboard.AuditEvent)) error {
	return updateFile(path, func(tx *bolt.Tx) error {
		audit := tx.Bucket([]byte("audit"))
		if audit == nil {
			return errors.New("missing audit bucket")
		}
		var e offboard.AuditEvent
		if err := json.Unmarshal(audit.Get(seqKey(seq)), &e); err != nil {
			return fmt.Errorf("audit event %d: %w", seq, err)
		}
		edit(&e)
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return audit.Put(seqKey(seq), raw)
	})
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// deleteWhere deletes the keys of b that match (collected first: a
// cursor must not delete while it walks).
func deleteWhere(b *bolt.Bucket, match func(k []byte) bool) error {
	var keys [][]byte
	if err := b.ForEach(func(k, _ []byte) error {
		if len(k) >= 8 && match(k) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func updateFile(path string, fn func(*bolt.Tx) error) error {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open store file: %w", err)
	}
	err = bdb.Update(fn)
	if cerr := bdb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store file: %w", cerr)
	}
	return err
}
